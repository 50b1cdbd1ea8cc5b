"""The speed cases of issue 12: each an interop call beside the native recipe doing the same work.

One table, read by ``speed.py`` (timings, ratios with their spread) and by
``instructions.py`` (callgrind instruction counts per call), so that both report the
same rows.  A case is skipped, with the reason, where a framework is missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = ["Case", "cases"]


@dataclass(frozen=True)
class Case:
    """``ours`` against ``native``; ``goal`` is the ratio issue 12 asks for (None: absolute)."""

    group: str
    name: str
    ours: Callable[[], object]
    native: Callable[[], object] | None
    native_name: str
    goal: float | None  # ratio goal; for absolute rows, microseconds
    absolute: bool = False
    calls: int | None = None  # most calls instructions.py counts (None: its --calls)


def _numpy_cases(np: Any, interop: Any) -> list[Case]:
    a = np.arange(1000, dtype=np.float32)
    tree10, tree100k = [a] * 10, [a] * 100_000
    return [
        Case("identity", "numpy -> numpy", partial(interop.to, a, "numpy"),
             partial(np.asarray, a), "np.asarray(a)", 1.0),
        Case("to_each", "to_each 10 leaves -> numpy", partial(interop.to_each, tree10, "numpy"),
             lambda: [np.asarray(x) for x in tree10], "[np.asarray(x) for x in tree]", 1.2),
        Case("to_each", "to_each 100k leaves -> numpy",
             partial(interop.to_each, tree100k, "numpy"),
             lambda: [np.asarray(x) for x in tree100k], "[np.asarray(x) for x in tree]", 1.2,
             calls=4),
        Case("planning", "explain(numpy, 'numpy')", partial(interop.explain, a, "numpy"),
             None, "", 5.0, absolute=True),
    ]


def _torch_cases(np: Any, interop: Any, torch: Any) -> list[Case]:
    a = np.arange(1000, dtype=np.float32)
    t = torch.arange(1000, dtype=torch.float32)
    g = torch.ones(1000, requires_grad=True)
    r = a.copy()
    r.flags.writeable = False
    m = np.arange(2000, dtype=np.float32).reshape(20, 100)
    neg, cols = a[::-1], m[:, ::2]
    s, short = np.float32(1.5), [1.0, 2.0, 3.0]
    tree = [t] * 1000
    rows = [
        Case("hot", "torch -> numpy", partial(interop.to, t, "numpy"), t.numpy,
             "t.numpy()", 0.6),
        Case("hot", "numpy -> torch", partial(interop.to, a, "torch"),
             partial(torch.from_numpy, a), "torch.from_numpy(a)", 0.9),
        Case("identity", "torch -> torch", partial(interop.to, t, "torch"),
             partial(torch.asarray, t), "torch.asarray(t)", 1.0),
        Case("miss", "grad tensor -> numpy", partial(interop.to, g, "numpy"),
             lambda: g.detach().numpy(), "g.detach().numpy()", 2.0),
        Case("miss", "read-only numpy -> torch", partial(interop.to, r, "torch"),
             lambda: torch.from_numpy(r.copy()), "torch.from_numpy(r.copy())", 2.0),
        Case("miss", "negative strides -> torch", partial(interop.to, neg, "torch"),
             lambda: torch.from_numpy(neg.copy()), "torch.from_numpy(a[::-1].copy())", 2.0),
        Case("miss", "non-contiguous -> torch", partial(interop.to, cols, "torch"),
             partial(torch.from_numpy, cols), "torch.from_numpy(m[:, ::2])", 2.0),
        Case("miss", "numpy scalar -> torch", partial(interop.to, s, "torch"),
             lambda: torch.from_numpy(np.asarray(s)), "torch.from_numpy(np.asarray(s))", 2.0),
        Case("miss", "short list -> torch", partial(interop.to, short, "torch"),
             partial(torch.tensor, short), "torch.tensor(list)", 2.0),
        Case("miss", "numpy -> torch copy=False", partial(interop.to, a, "torch", copy=False),
             partial(torch.from_numpy, a), "torch.from_numpy(a)", 2.0),
        Case("miss", "numpy -> torch device='cpu'", partial(interop.to, a, "torch", device="cpu"),
             partial(torch.from_numpy, a), "torch.from_numpy(a)", 2.0),
        Case("miss", "numpy -> torch copy=True", partial(interop.to, a, "torch", copy=True),
             lambda: torch.from_numpy(a.copy()), "torch.from_numpy(a.copy())", 2.0),
        Case("to_each", "to_each 1k leaves -> numpy", partial(interop.to_each, tree, "numpy"),
             lambda: [x.numpy() for x in tree], "[x.numpy() for x in tree]", 1.2),
        Case("like", "like(t, numpy ref)", partial(interop.like, t, a),
             partial(interop.to, t, "numpy"), "interop.to(t, 'numpy')", 1.5),
        Case("planning", "first conversion (planned)", partial(interop._convert.planned, a,
                                                                "torch"),
             None, "", 5.0, absolute=True),
        Case("planning", "explain(numpy, 'torch')", partial(interop.explain, a, "torch"),
             None, "", 5.0, absolute=True),
    ]
    try:
        import ml_dtypes
    except ImportError:
        return rows
    b = np.arange(1000, dtype=np.uint16).view(ml_dtypes.bfloat16)
    tb = torch.from_numpy(b.view(np.uint16)).view(torch.bfloat16)
    f8 = np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn)
    tf8 = torch.from_numpy(f8.view(np.uint8)).view(torch.float8_e4m3fn)
    return [*rows,
            Case("formats", "bfloat16 numpy -> torch", partial(interop.to, b, "torch"),
                 lambda: torch.from_numpy(b.view(np.uint16)).view(torch.bfloat16),
                 "from_numpy(b.view(uint16)).view(bfloat16)", 1.3),
            Case("formats", "bfloat16 torch -> numpy", partial(interop.to, tb, "numpy"),
                 lambda: tb.view(torch.uint16).numpy().view(ml_dtypes.bfloat16),
                 "tb.view(uint16).numpy().view(bfloat16)", 1.3),
            Case("formats", "float8 numpy -> torch", partial(interop.to, f8, "torch"),
                 lambda: torch.from_numpy(f8.view(np.uint8)).view(torch.float8_e4m3fn),
                 "from_numpy(f.view(uint8)).view(float8_e4m3fn)", 1.3),
            Case("formats", "float8 torch -> numpy", partial(interop.to, tf8, "numpy"),
                 lambda: tf8.view(torch.uint8).numpy().view(ml_dtypes.float8_e4m3fn),
                 "tf.view(uint8).numpy().view(float8_e4m3fn)", 1.3)]


def _jax_cases(np: Any, interop: Any, jnp: Any, torch: Any) -> list[Case]:
    a = np.arange(1000, dtype=np.float32)
    j = jnp.asarray(a)
    rows = [Case("hot", "jax -> numpy", partial(interop.to, j, "numpy"), partial(np.asarray, j),
                 "np.asarray(j)", 1.0)]
    if torch is not None:
        t = torch.arange(1000, dtype=torch.float32)
        rows.append(Case("hot", "torch -> jax", partial(interop.to, t, "jax"),
                         partial(jnp.from_dlpack, t), "jnp.from_dlpack(t)", 1.0))
    try:
        import ml_dtypes
    except ImportError:
        return rows
    b = np.arange(1000, dtype=np.float32).astype(ml_dtypes.bfloat16)
    jb = jnp.asarray(b)
    rows += [Case("formats", "bfloat16 numpy -> jax", partial(interop.to, b, "jax"),
                  partial(jnp.asarray, b), "jnp.asarray(b)", 1.3),
             Case("formats", "bfloat16 jax -> numpy", partial(interop.to, jb, "numpy"),
                  partial(np.asarray, jb), "np.asarray(jb)", 1.3)]
    if torch is not None:
        tb = torch.from_numpy(b.view(np.uint16)).view(torch.bfloat16)
        rows.append(Case("formats", "bfloat16 torch -> jax", partial(interop.to, tb, "jax"),
                         partial(jnp.from_dlpack, tb), "jnp.from_dlpack(tb)", 1.3))
    return rows


def _strict_cases(np: Any, interop: Any, xp: Any, torch: Any) -> list[Case]:
    a = np.arange(1000, dtype=np.float32)
    s = xp.asarray(a)
    rows = [Case("strict", "strict -> numpy", partial(interop.to, s, "numpy"),
                 partial(np.from_dlpack, s), "np.from_dlpack(s)", 1.3)]
    if torch is not None:
        t = torch.arange(1000, dtype=torch.float32)
        rows += [Case("strict", "strict -> torch", partial(interop.to, s, "torch"),
                      partial(torch.from_dlpack, s), "torch.from_dlpack(s)", 1.3),
                 Case("strict", "torch -> strict", partial(interop.to, t, "array_api_strict"),
                      partial(xp.from_dlpack, t), "xp.from_dlpack(t)", 1.3)]
    return rows


def cases() -> tuple[list[Case], list[str]]:
    """Every case this environment can run, and why the others are skipped."""
    import numpy as np

    import interop

    warnings.simplefilter("ignore", UserWarning)
    found, skipped = _numpy_cases(np, interop), []
    try:
        import torch
    except ImportError:
        torch, _ = None, skipped.append("torch cases: torch is not installed")
    if torch is not None:
        found += _torch_cases(np, interop, torch)
    try:
        import jax.numpy as jnp
    except ImportError:
        skipped.append("jax cases: jax is not installed")
    else:
        found += _jax_cases(np, interop, jnp, torch)
    try:
        import array_api_strict as xp
    except ImportError:
        skipped.append("array-api-strict cases: array-api-strict is not installed")
    else:
        found += _strict_cases(np, interop, xp, torch)
    return found, skipped
