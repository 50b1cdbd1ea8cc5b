"""``interop matrix``: convert a real array for every installed pair, check it, time it."""

from __future__ import annotations

import argparse
import json
import warnings
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

import interop

from . import _arrays as arrays
from ._table import fmt_ratio, fmt_us, jsonable, print_table, progress
from ._timing import compare, environment, pin_threads
from ._usage import parse_dtype, parse_names, parse_shape

__all__ = ["Row", "add_parser", "check_pair", "random_array", "run"]

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
    ratio: float | None = None


def add_parser(sub: Any) -> None:
    p = sub.add_parser("matrix", help="convert, check and time every installed pair",
                       description="For every installed source x target pair, build a real "
                       "array natively, convert it with interop.to, check the values bit for "
                       "bit, and time it against the fastest native call for that pair.")
    p.add_argument("--dtype", default="float32", help="element type (default: float32)")
    p.add_argument("--shape", default="1000,1000", help="array shape (default: 1000,1000)")
    p.add_argument("--only", metavar="NAMES", help="comma-separated frameworks to include")
    p.add_argument("--budget", type=float, default=0.1, metavar="SECONDS",
                   help="timing budget per call and pair (default: 0.1)")
    p.add_argument("--threads", type=int, default=1, help="pin thread pools (default: 1)")
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    p.set_defaults(func=run)


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
        return "copy", f"{plan.target} copied on import (this buffer is not aligned for it)"
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
        row.native_s = natives[row.native].median
        row.ratio = row.interop_s / row.native_s if row.native_s else None


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


def run(args: argparse.Namespace) -> int:
    dtype, shape = parse_dtype(args.dtype), parse_shape(args.shape)
    only = parse_names(args.only, sorted({e.name for e in arrays.ENDPOINTS}))
    pin_threads(args.threads)
    ref = random_array(dtype, shape)
    todo = arrays.pairs(arrays.available(only))
    rows = []
    with progress(len(todo)) as step:
        for src, dst in todo:
            step(f"{src.id} -> {dst.id}")
            rows.append(check_pair(src, dst, ref, args.budget))
    title = f"interop matrix: {dtype} {shape}, median us per call (rows: source -> target)"
    print_table(title, ["source", "target", "route", "result", "why", "interop us",
                        "fastest native", "native us", "ratio"],
                [[r.source, r.target, r.route, r.status, r.why, fmt_us(r.interop_s),
                  r.native, fmt_us(r.native_s), fmt_ratio(r.ratio)] for r in rows],
                right=("interop us", "native us", "ratio"))
    failed = [r for r in rows if r.status in FAILURES]
    if args.json:
        record = {"dtype": str(dtype), "shape": list(shape), "environment": environment(),
                  "rows": [asdict(r) for r in rows]}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(jsonable(record), handle, indent=2)
    if failed:
        print(f"{len(failed)} conversion(s) failed: "
              + ", ".join(f"{r.source}->{r.target}" for r in failed))
        return 1
    return 0
