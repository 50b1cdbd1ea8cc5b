"""``interop matrix``: convert a real array for every installed pair, check it, time it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

import numpy as np

from . import _arrays as arrays
from . import _isolate as isolate
from ._check import FAILURES, Row, check_pair, random_array
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
from ._timing import environment, pin_threads
from ._usage import UsageError, parse_dtype, parse_names, parse_shape

__all__ = ["Row", "add_parser", "check_pair", "random_array", "run"]

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
    if not args.json:
        raise UsageError("--worker is internal to interop matrix and needs --json PATH")
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
