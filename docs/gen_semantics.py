"""Print the conversion table of ``semantics.md`` from ``interop.explain`` (run, don't guess).

    python docs/gen_semantics.py > /tmp/table.md

``tests/tooling/test_docs.py`` checks that the table in ``semantics.md`` is this script's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import array_api_strict as xps
import jax.numpy as jnp
import numpy as np
import torch

import interop


def cases() -> list[tuple[str, Callable[[], Any], str, dict[str, Any]]]:
    """(description, source builder, target, explain keywords)."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    ro = a.copy()
    ro.flags.writeable = False
    rec = np.zeros(3, dtype=[("x", np.float32), ("y", np.float64)])
    c = torch.tensor([1 + 2j, 3 + 4j])
    return [
        ("NumPy array", lambda: a, "numpy", {}),
        ("NumPy array", lambda: a, "torch", {}),
        ("NumPy array", lambda: a, "jax", {}),
        ("NumPy array", lambda: a, "array_api_strict", {}),
        ("NumPy array, `copy=True`", lambda: a, "torch", {"copy": True}),
        ("read-only NumPy array", lambda: ro, "torch", {}),
        ("read-only NumPy array", lambda: ro, "jax", {}),
        ("reversed view `a[::-1]`", lambda: a[::-1], "torch", {}),
        ("reversed view `a[::-1]`", lambda: a[::-1], "jax", {}),
        ("strided view `a[:, ::2]`", lambda: a[:, ::2], "torch", {}),
        ("strided view `a[:, ::2]`", lambda: a[:, ::2], "jax", {}),
        ("transposed view `a.T`", lambda: a.T, "jax", {}),
        ("big-endian array", lambda: a.astype(">f4"), "torch", {}),
        ("float64 field of a packed record", lambda: rec["y"], "torch", {}),
        ("torch tensor", lambda: torch.ones(3), "numpy", {}),
        ("torch tensor", lambda: torch.ones(3), "jax", {}),
        ("torch tensor with `requires_grad`", lambda: torch.ones(3, requires_grad=True),
         "numpy", {}),
        ("torch conjugate view `c.conj()`", c.conj, "numpy", {}),
        ("torch negative view `c.conj().imag`", lambda: c.conj().imag, "numpy", {}),
        ("JAX array", lambda: jnp.ones(3), "numpy", {}),
        ("JAX array", lambda: jnp.ones(3), "torch", {}),
        ("array-api-strict array", lambda: xps.ones(3), "numpy", {}),
        ("Python list", lambda: [1.0, 2.0], "numpy", {}),
        ("Python list", lambda: [1.0, 2.0], "torch", {}),
    ]


def row(description: str, make: Callable[[], Any], target: str, kw: dict[str, Any]) -> str:
    plan = interop.explain(make(), target, **kw)
    if plan.route.value == "identity":
        result = "no conversion (the input itself)"
    elif plan.zero_copy:
        result = "**zero-copy**" + (" (JAX may copy unaligned memory)" if plan.may_copy else "")
    else:
        result = "copy"
    why = "; ".join(plan.copy_reasons) or ("detached, no copy" if plan.detach else "")
    return f"| {description} | {target} | {result} | {why} |"


def table() -> str:
    lines = ["| source | target | result | why it copies |", "|---|---|---|---|"]
    lines += [row(*case) for case in cases()]
    return "\n".join(lines)


#: Frameworks whose dtype support the format table lists (the default test environment's).
FORMAT_TARGETS = ("numpy", "torch", "jax", "array_api_strict")


def dtype_table() -> str:
    """Every format interop knows x each framework: what its adapter's dtype check says."""
    from interop._dtypes import DLPACK_CODES, EXTENDED
    from interop._registry import load_adapter

    lines = ["| format | bits | " + " | ".join(FORMAT_TARGETS) + " |",
             "|---|---|" + "---|" * len(FORMAT_TARGETS)]
    for name, (_code, bits) in DLPACK_CODES.items():
        cells = []
        for target in FORMAT_TARGETS:
            if target == "jax" and name in ("int64", "uint64", "float64", "complex128"):
                cells.append("with 64-bit mode on")  # refused, never narrowed, when off
                continue
            try:
                load_adapter(target).check_dtype(name)
                cells.append("yes (ml_dtypes)" if target == "numpy" and name in EXTENDED
                             else "yes")
            except interop.UnsupportedDtypeError:
                cells.append("no")
        lines.append(f"| {name} | {bits} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    print()
    print(dtype_table())
