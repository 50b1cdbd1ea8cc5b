"""``interop matrix``: convert a real array for every installed pair, check it, time it."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

import interop

from . import _arrays as arrays
from . import _isolate as isolate
from ._info import fast_path_line
from ._table import (
    Column,
    fmt_ratio,
    fmt_spread,
    jsonable,
    micro,
    print_lines,
    print_table,
    progress,
    terminal_width,
)
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
    native_iqr_s: float | None = None
    ratio: float | None = None


def add_parser(sub: Any) -> None:
    p = sub.add_parser("matrix", help="convert, check and time every installed pair",
                       description="For every installed source x target pair, build a real "
                       "array natively, convert it with interop.to, check the values bit for "
                       "bit, say whether it shared memory or copied (and why), and time it "
                       "against the fastest native call for that pair. Exit code 1 when a "
                       "conversion gives wrong values.")
    p.add_argument("--dtype", default="float32", help="element type (default: float32)")
    p.add_argument("--shape", default="1000,1000", help="array shape (default: 1000,1000)")
    p.add_argument("--only", metavar="NAMES", help="comma-separated frameworks to include, "
                   "e.g. numpy,torch (default: every installed one)")
    p.add_argument("--budget", type=float, default=0.1, metavar="SECONDS",
                   help="timing budget per timed call and pair (default: 0.1)")
    p.add_argument("--threads", type=int, default=1, help="threads for the BLAS, OpenMP and torch "
                   "pools while timing (default: 1)")
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    # internal: the rows of one framework that cannot share a process (see _isolate)
    p.add_argument("--worker", metavar="NAME", help=argparse.SUPPRESS)
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


def run(args: argparse.Namespace) -> int:
    dtype, shape = parse_dtype(args.dtype), parse_shape(args.shape)
    only = parse_names(args.only, sorted({e.name for e in arrays.all_endpoints()}))
    pin_threads(args.threads)
    ref = random_array(dtype, shape)
    if args.worker:
        return _work(args, ref, only)
    endpoints = arrays.available(only, skip=isolate.apart_names())
    rows = _ordered([*_rows_here(ref, endpoints, args.budget),
                     *_rows_apart(args, endpoints, only)])
    print(fast_path_line())
    u = micro()
    print_table(title(dtype, shape, u, lists=any(r.source == "python" for r in rows)),
                table_columns(u), [row_cells(r, marks) for r, marks in _marked(rows)],
                notes=[*footnotes(rows), legend(u)])
    width = terminal_width()
    print_lines(missing_hint(endpoints, only), sys.stdout, width)
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


def _rows_here(ref: np.ndarray, endpoints: list[arrays.Endpoint], budget_s: float,
               keep: str | None = None) -> list[Row]:
    """Check every pair of ``endpoints`` in this process (those with ``keep`` when given)."""
    todo = [(s, d) for s, d in arrays.pairs(endpoints) if keep in (None, s.name, d.name)]
    rows = []
    with progress(len(todo)) as step:
        for src, dst in todo:
            step(f"{src.id} -> {dst.id}")
            rows.append(check_pair(src, dst, ref, budget_s))
    return rows


def _work(args: argparse.Namespace, ref: np.ndarray, only: list[str] | None) -> int:
    """A worker process: the pairs of ``--worker NAME`` only, written to ``--json``."""
    endpoints = arrays.available(only, skip=isolate.apart_names() - set(only or ()))
    rows = _rows_here(ref, endpoints, args.budget, keep=args.worker)
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump(jsonable({"rows": [asdict(r) for r in rows]}), handle)
    return 0


def _rows_apart(args: argparse.Namespace, endpoints: list[arrays.Endpoint],
                only: list[str] | None) -> list[Row]:
    """The rows of the frameworks that cannot share a process, each from its own worker.

    Each worker takes the frameworks that share this process; two of them that are not of
    one group meet in one more worker; the pairs within a group are skipped, with the reason.
    """
    known = {e.name for e in arrays.all_endpoints()}
    workers = [n for n in sorted(isolate.apart_names()) if n in known
               and (only is None or n in only) and isolate.installed(n)]
    shared = sorted({e.name for e in endpoints})
    rows: list[Row] = []
    for i, name in enumerate(workers):
        others = [n for n in workers[i + 1:] if not isolate.skipped_pairs([name, n])]
        for names in [shared, *([n] for n in others)]:
            found, failure = isolate.run_worker(name, args, names)
            rows += [Row(**row) for row in found]
            if failure:
                rows.append(Row(name, "*", "error", why=failure))
    rows += [Row(a, b, "skipped", why=why) for a, b, why in isolate.skipped_pairs(workers)]
    return rows


def _ordered(rows: list[Row]) -> list[Row]:
    """Rows in endpoint order, one per pair (a pair met in two workers is kept once)."""
    order = {e.id: i for i, e in enumerate(arrays.all_endpoints())}
    seen: dict[tuple[str, str], Row] = {}
    for row in rows:
        seen.setdefault((row.source, row.target), row)
    return sorted(seen.values(), key=lambda r: (order.get(r.source, len(order)),
                                                order.get(r.target, len(order))))


def title(dtype: np.dtype[Any], shape: tuple[int, ...], u: str, *, lists: bool) -> str:
    """What was converted; a Python list holds Python numbers, so its dtype is said apart."""
    label = "x".join(map(str, shape)) if shape else "0-d"
    note = ""
    if lists:
        list_dtype = np.array(random_array(dtype, (1,)).tolist()).dtype
        if list_dtype != dtype:
            note = f" (Python lists: {list_dtype}, as Python numbers are)"
    return f"interop matrix: {label} {dtype} arrays{note}, median {u} per call"


def table_columns(u: str, *, shape: bool = False) -> list[Column]:
    """The columns of a conversion table; the native call's name goes first when narrow."""
    return [Column("source"), Column("target"), *([Column("shape")] if shape else []),
            Column("result"), Column(f"interop {u}", right=True),
            Column(f"native {u}", right=True), Column("ratio", right=True),
            Column("fastest native", drop=1)]


def reasons(rows: list[Row]) -> list[str]:
    """The distinct reasons worth a footnote, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        if row.why and row.status != "identity":
            seen.setdefault(row.why)
    return list(seen)


def _marked(rows: list[Row]) -> list[tuple[Row, dict[str, int]]]:
    marks = {why: i for i, why in enumerate(reasons(rows), 1)}
    return [(row, marks) for row in rows]


def footnotes(rows: list[Row]) -> list[str]:
    """``[n] reason`` for each distinct reason: the table itself stays narrow."""
    return [f"[{i}] {why}" for i, why in enumerate(reasons(rows), 1)]


def row_cells(row: Row, marks: dict[str, int], shape: str | None = None) -> list[str]:
    """A row's cells: the result with its footnote mark, times with their spread, ratio."""
    result = row.status
    if row.why in marks and row.status != "identity":
        result = f"{result} [{marks[row.why]}]"
    return [row.source, row.target, *([shape] if shape is not None else []), result,
            fmt_spread(row.interop_s, row.interop_iqr_s),
            fmt_spread(row.native_s, row.native_iqr_s),
            "" if row.status == "identity" else fmt_ratio(row.ratio), row.native]


def legend(u: str) -> str:
    """How to read the timing columns."""
    return (f"{u}: median per call, ± half the interquartile range of the timing batches. "
            "ratio: interop / fastest native (none for identity: interop returns its input).")


#: The ``interop-arrays[...]`` extra of each framework the CLI knows.
EXTRAS = {"torch": "torch", "jax": "jax", "array_api_strict": "strict", "cupy": "cupy"}


def missing_hint(endpoints: list[arrays.Endpoint], only: list[str] | None) -> list[str]:
    """Which frameworks would add rows and how to install them (NumPy alone gives two)."""
    present = {e.name for e in endpoints}
    absent = [name for name in EXTRAS if name != "cupy" and name not in present
              and (only is None or name in only) and not arrays.usable(arrays.Endpoint(name))]
    lines = []
    if absent:
        extras = ",".join(EXTRAS[name] for name in absent)
        lines.append(f"Not installed, so no rows: {', '.join(absent)}. Add them with "
                     f'pip install "interop-arrays[{extras}]"; `interop info` lists what is '
                     "installed.")
    if only is None and not any(e.gpu for e in endpoints):
        lines.append("No GPU rows: torch, cupy or jax see no CUDA device here "
                     "(`interop info` shows the GPUs).")
    return lines
