"""Print the tables of ``semantics.md`` from ``interop.explain`` and the adapters (run them).

    python docs/gen_semantics.py > /tmp/table.md

``tests/tooling/test_docs.py`` checks that the tables in ``semantics.md`` are this script's output.

TensorFlow, MLX and Paddle rows and format columns are made in a process of their own
each (``python docs/gen_semantics.py --framework NAME`` prints them as JSON): importing
TensorFlow and then Paddle in one process crashes it, and this process imports none of
the three.  For one that is not installed here, the rows and column already on the page
are kept (and stderr says so); ``tests/tooling/test_semantics_more.py`` checks them in
the nox session that installs it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import interop

DOC = Path(__file__).with_name("semantics.md")
#: Frameworks generated in a process each; their rows follow the others, in this order.
MORE = ("tensorflow", "mlx", "paddle")
#: Each one's rows: (description, target, explain keywords); builders in ``_more_sources``.
MORE_CASES: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "tensorflow": (("NumPy array", "tensorflow", {}), ("TensorFlow tensor", "numpy", {}),
                   ("TensorFlow tensor", "torch", {})),
    "mlx": (("NumPy array", "mlx", {}), ("MLX array", "numpy", {}), ("MLX array", "torch", {})),
    "paddle": (("NumPy array", "paddle", {}), ("read-only NumPy array", "paddle", {}),
               ("Paddle tensor", "numpy", {}), ("Paddle tensor", "torch", {}),
               ("Paddle tensor with `stop_gradient=False`", "numpy", {})),
}
#: What a plan marked ``may_copy`` means for each target that may copy on import.
MAY_COPY = {"jax": "JAX may copy unaligned memory", "tensorflow": "TensorFlow may copy on import"}


def cases() -> list[tuple[str, Callable[[], Any], str, dict[str, Any]]]:
    """(description, source builder, target, explain keywords)."""
    import array_api_strict as xps
    import jax.numpy as jnp
    import torch

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
    why = "; ".join(plan.copy_reasons) or ("detached, no copy" if plan.detach else "")
    if plan.route.value == "identity":
        result = "no conversion (the input itself)"
    elif plan.zero_copy and plan.may_copy and _copies_every_import(target):
        result, why = "copy", f"{target} copies every array it imports"
    elif plan.zero_copy:
        note = MAY_COPY.get(target, f"{target} may copy on import")
        result = "**zero-copy**" + (f" ({note})" if plan.may_copy else "")
    else:
        result = "copy"
    return f"| {description} | {target} | {result} | {why} |"


def _copies_every_import(target: str) -> bool:
    """The adapter says it would copy even page-aligned memory (MLX)."""
    from interop._registry import load_adapter

    return load_adapter(target).would_copy(4096)


def table() -> str:
    lines = ["| source | target | result | why it copies |", "|---|---|---|---|"]
    lines += [row(*case) for case in cases()]
    for name in MORE:
        lines += more_parts()[name]["rows"]
    return "\n".join(lines)


#: Frameworks whose dtype support the format table lists (the default test environment's).
FORMAT_TARGETS = ("numpy", "torch", "jax", "array_api_strict")


def dtype_table() -> str:
    """Every format interop knows x each framework: what its adapter's dtype check says."""
    from interop._dtypes import DLPACK_CODES

    columns = (*FORMAT_TARGETS, *MORE)
    lines = ["| format | bits | " + " | ".join(columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for name, (_code, bits) in DLPACK_CODES.items():
        cells = [format_cell(target, name) for target in FORMAT_TARGETS]
        cells += [more_parts()[target]["formats"][name] for target in MORE]
        lines.append(f"| {name} | {bits} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_cell(target: str, name: str) -> str:
    """``yes``/``no`` from ``target``'s dtype check (imports ``target``)."""
    from interop._dtypes import EXTENDED
    from interop._registry import load_adapter

    if target == "jax" and name in ("int64", "uint64", "float64", "complex128"):
        return "with 64-bit mode on"  # refused, never narrowed, when off
    try:
        load_adapter(target).check_dtype(name)
    except interop.UnsupportedDtypeError:
        return "no"
    return "yes (ml_dtypes)" if target == "numpy" and name in EXTENDED else "yes"


# -- TensorFlow, MLX, Paddle: a process each --------------------------------------------------
def _more_sources(name: str) -> dict[str, Callable[[], Any]]:
    """The sources of ``name``'s rows, by description (imports ``name`` only)."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    ro = a.copy()
    ro.flags.writeable = False
    found: dict[str, Callable[[], Any]] = {"NumPy array": lambda: a,
                                           "read-only NumPy array": lambda: ro}
    if name == "tensorflow":
        import tensorflow as tf

        found["TensorFlow tensor"] = lambda: tf.ones(3)
    elif name == "mlx":
        import mlx.core as mx

        found["MLX array"] = lambda: mx.ones(3)
    elif name == "paddle":
        import paddle

        def grad() -> Any:
            t = paddle.ones([3])
            t.stop_gradient = False
            return t

        found["Paddle tensor"] = lambda: paddle.ones([3])
        found["Paddle tensor with `stop_gradient=False`"] = grad
    return found


def framework_part(name: str) -> dict[str, Any]:
    """``name``'s table rows and format column, made in this process (it imports ``name``)."""
    from interop._dtypes import DLPACK_CODES

    sources = _more_sources(name)
    rows = [row(d, sources[d], target, kw) for d, target, kw in MORE_CASES[name]]
    return {"rows": rows, "formats": {f: format_cell(name, f) for f in DLPACK_CODES}}


@functools.cache
def more_parts() -> dict[str, dict[str, Any]]:
    """Each of ``MORE``: made by a process of its own where installed, else kept from the page."""
    return {name: _run_part(name) if importlib.util.find_spec(name) is not None
            else kept_part(name, DOC.read_text(encoding="utf-8")) for name in MORE}


def _run_part(name: str) -> dict[str, Any]:
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--framework", name], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"gen_semantics.py --framework {name} failed:\n{done.stderr}")
    part: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return part


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def kept_part(name: str, page: str) -> dict[str, Any]:
    """``name``'s rows and format column as ``page`` has them (``name`` is not installed)."""
    print(f"gen_semantics: {name} is not installed here; its rows and format column are "
          "kept from semantics.md", file=sys.stderr)
    table = page.split("<!-- table:start -->\n")[1].split("<!-- table:end -->", maxsplit=1)[0]
    lines = table.splitlines()
    by_case = {tuple(_cells(line)[:2]): line for line in lines[2:]}
    missing = [(d, t) for d, t, _ in MORE_CASES[name] if (d, t) not in by_case]
    if missing:
        raise RuntimeError(f"semantics.md has no row for {missing}; generate it where {name} "
                           "is installed")
    formats = page.split("<!-- dtypes:start -->\n")[1].split("<!-- dtypes:end -->", maxsplit=1)[0]
    rows = [_cells(line) for line in formats.strip().splitlines()]
    if name not in rows[0]:
        raise RuntimeError(f"semantics.md has no {name} column; generate it where {name} "
                           "is installed")
    column = rows[0].index(name)
    return {"rows": [by_case[(d, t)] for d, t, _ in MORE_CASES[name]],
            "formats": {r[0]: r[column] for r in rows[2:]}}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--framework"]:
        print(json.dumps(framework_part(sys.argv[2])))
        raise SystemExit(0)
    print(table())
    print()
    print(dtype_table())
