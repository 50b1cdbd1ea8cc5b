"""One conversion of the command line: build natively, convert, check the bits, time it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

import interop

from . import _arrays as arrays
from ._timing import compare

__all__ = ["FAILURES", "Row", "check_pair", "random_array"]

#: Status of a row that makes the command fail.
FAILURES = ("WRONG VALUES", "error")


@dataclass
class Row:
    """One source x target conversion: what happened, and what it cost."""

    source: str
    target: str
    status: str  # identity | zero-copy | copy | refused | skipped | WRONG VALUES | error
    route: str = ""
    why: str = ""
    interop_s: float | None = None
    interop_iqr_s: float | None = None
    native: str = ""
    native_s: float | None = None
    native_iqr_s: float | None = None
    ratio: float | None = None


def random_array(dtype: np.dtype[Any], shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Reproducible values of ``dtype`` (random bits for floats, so any pattern may occur)."""
    rng = np.random.default_rng(seed)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    values = rng.standard_normal(shape) * 100
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return np.asarray(values).astype(dtype)


def check_pair(src: arrays.Endpoint, dst: arrays.Endpoint, ref: np.ndarray,
               budget_s: float) -> Row:
    """Convert ``ref``'s values from ``src`` to ``dst``; check and time the conversion."""
    row = Row(src.id, dst.id, "skipped")
    try:
        x = arrays.make(src, ref)
        expected = arrays.read(x)
    except Exception as exc:  # noqa: BLE001 - the framework cannot hold this dtype
        row.why = f"{src.id} cannot build this array natively: {_short(exc)}"
        return row
    if src.name != "python" and expected.dtype != ref.dtype:
        row.why = f"{src.id} holds {ref.dtype} as {expected.dtype} here"
        return row
    device = dst.device if src.device != dst.device else None
    try:
        plan = interop.explain(x, dst.name, device=device)
        result = interop.to(x, dst.name, device=device)
    except interop.InteropError as exc:
        row.status, row.why = "refused", _short(exc)
        return row
    except Exception as exc:  # noqa: BLE001 - reported as a failing row, not a crash
        row.status, row.why = "error", f"{type(exc).__name__}: {_short(exc)}"
        return row
    row.route = plan.route.value
    row.status, row.why = _sharing(plan, x, result, src)
    got = arrays.read(result)
    if src.name == "python" and got.dtype != expected.dtype and got.dtype.kind == "i" \
            and np.array_equal(got.astype(expected.dtype), expected):
        expected = got  # Python ints become int32 for a target without int64 (JAX, x64 off)
    if not arrays.same_bits(got, expected):
        row.status = "WRONG VALUES"
        row.why = f"expected {expected.dtype}{expected.shape}, got {got.dtype}{got.shape}"
        return row
    _time(row, src, dst, x, device=device, budget_s=budget_s)
    return row


def _sharing(plan: interop.Plan, x: Any, result: Any, src: arrays.Endpoint) -> tuple[str, str]:
    if plan.route.value == "identity":
        return "identity", "same framework and device"
    if not plan.zero_copy:
        return "copy", "; ".join(plan.copy_reasons)
    if src.name != "python" and not interop.shares_memory(x, result):
        return "copy", (f"{plan.target} copied on import, as the plan said it may (it does "
                        "not alias every buffer: JAX needs aligned memory, MLX always copies)")
    return "zero-copy", ""


def _time(row: Row, src: arrays.Endpoint, dst: arrays.Endpoint, x: Any, *,
          device: str | None, budget_s: float) -> None:
    sync = arrays.synchronizer(src, dst) if (src.gpu or dst.gpu) else None
    target = dst.name
    if device is None:
        calls = {"interop": _bind(partial(_to_target, target=target), x, sync)}
        if sync is None:  # the plain call, no wrapper, as a user would write it
            calls["interop"] = partial(interop.to, x, target)
    else:
        calls = {"interop": _bind(partial(_to_target, target=target, device=device), x, sync)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # natives warn about read-only buffers and dtypes
        for label, native in arrays.native_calls(src, dst).items():
            try:
                native(x)
            except Exception:  # noqa: BLE001 - that native call cannot take this array
                continue
            calls[label] = _bind(native, x, sync)
        stats = compare(calls, budget_s=budget_s)
    row.interop_s, row.interop_iqr_s = stats["interop"].median, stats["interop"].iqr
    natives = {k: v for k, v in stats.items() if k != "interop"}
    if natives:
        row.native = min(natives, key=lambda k: natives[k].median)
        row.native_s, row.native_iqr_s = natives[row.native].median, natives[row.native].iqr
        if row.status != "identity" and row.native_s:  # identity against a call: no meaning
            row.ratio = row.interop_s / row.native_s


def _to_target(x: Any, target: str, device: str | None = None) -> Any:
    return interop.to(x, target, device=device)


def _bind(fn: Any, x: Any, sync: Any) -> Any:
    """``fn(x)`` as a call without arguments; host calls get no wrapper of their own."""
    if sync is None:
        return partial(fn, x)

    def call() -> None:
        sync(fn(x))

    return call


def _short(exc: BaseException) -> str:
    """The first sentence of an error message."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    head, dot, _ = text.partition(". ")
    return head + dot.strip()
