"""``interop bench``: conversion time against array size, and host-copy throughput."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

import numpy as np

import interop

from . import _arrays as arrays
from . import _isolate as isolate
from ._info import fast_path_line
from ._matrix import (
    Row,
    check_pair,
    footnotes,
    legend,
    random_array,
    reasons,
    row_cells,
    table_columns,
)
from ._table import Column, fmt_bytes, fmt_ratio, jsonable, micro, print_table, progress
from ._timing import compare, environment, pin_threads
from ._usage import UsageError, parse_dtype, parse_names, parse_sizes

__all__ = ["add_parser", "copy_throughput", "run"]

DEFAULT_SIZES = ("100", "1000", "4000")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="time conversions against array size",
                       description="Time each installed pair's conversion with interop.to and "
                       "with the fastest native call, for several array sizes, and compare the "
                       "host-copy throughput of interop.to(..., copy=True) with numpy.copyto "
                       "and numpy.copy. Exit code 1 when a conversion gives wrong values.")
    p.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                   help="N for an NxN array, or a shape like 5000x5000 (default: 100 1000 "
                   "4000; docs/performance.md uses 1000 5000 10000, where a float32 array "
                   "takes 400 MB)")
    p.add_argument("--dtype", default="float32", help="element type (default: float32)")
    p.add_argument("--only", metavar="NAMES", help="comma-separated frameworks to include, "
                   "e.g. numpy,torch (default: every installed one)")
    p.add_argument("--budget", type=float, default=0.1, metavar="SECONDS",
                   help="timing budget per call, pair and size (default: 0.1)")
    p.add_argument("--threads", type=int, default=1, help="threads for the BLAS, OpenMP and torch "
                   "pools while timing (default: 1)")
    p.add_argument("--plot", metavar="PATH.png", help="write a log-log plot (needs matplotlib)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.set_defaults(func=run)


def copy_throughput(a: np.ndarray, targets: list[str], budget_s: float) -> dict[str, Any]:
    """GB/s of ``interop.to(a, t, copy=True)`` for each target, and of NumPy's copies."""
    out = np.empty_like(a)
    calls: dict[str, Any] = {"numpy.copyto": lambda: np.copyto(out, a),
                             "numpy.copy": lambda: np.copy(a)}
    for target in targets:
        calls[f"interop->{target}"] = _copy_call(a, target)
    stats = compare(calls, budget_s=budget_s)
    gbps = {name: a.nbytes / s.median / 1e9 for name, s in stats.items()}
    base = gbps["numpy.copyto"]
    return {"bytes": a.nbytes, "gbps": gbps,
            "ratio_to_copyto": {k: v / base for k, v in gbps.items() if k.startswith("interop")},
            "stats": {k: s.as_dict() for k, s in stats.items()}}


def _copy_call(a: np.ndarray, target: str) -> Any:
    def call() -> object:
        result = interop.to(a, target, copy=True)
        ready = getattr(result, "block_until_ready", None)  # JAX dispatches asynchronously
        return result if ready is None else ready()

    return call


def run(args: argparse.Namespace) -> int:
    sizes = parse_sizes(args.sizes)
    dtype = parse_dtype(args.dtype)
    only = parse_names(args.only, sorted({e.name for e in arrays.all_endpoints()}))
    if args.plot and not _have_matplotlib():
        raise UsageError("--plot needs matplotlib: pip install 'interop-arrays[plot]' "
                         "(or pip install matplotlib)")
    pin_threads(args.threads)
    endpoints = [e for e in arrays.available(only, skip=isolate.clashing(only))
                 if e.name != "python"]
    todo = arrays.pairs(endpoints)
    copy_targets = [e.name for e in endpoints if not e.gpu]
    conversions: list[dict[str, Any]] = []
    table: list[tuple[str, Row]] = []
    copies: list[dict[str, Any]] = []
    with progress(len(todo) * len(sizes) + len(sizes)) as step:
        for shape in sizes:
            ref = random_array(dtype, shape)
            for src, dst in todo:
                step(f"{src.id} -> {dst.id} {_label(shape)}")
                row = check_pair(src, dst, ref, args.budget)
                conversions.append({"shape": list(shape), "bytes": ref.nbytes, **asdict(row)})
                table.append((_label(shape), row))
            step(f"host copy {_label(shape)}")
            copies.append({"shape": list(shape),
                           **copy_throughput(ref, copy_targets, args.budget)})
            del ref
    _print(table, copies, str(dtype))
    if args.json:
        record = {"dtype": str(dtype), "environment": environment(),
                  "conversions": conversions, "copies": copies}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(jsonable(record), handle, indent=2)
    if args.plot:
        from ._plot import plot

        plot(conversions, copies, args.plot, str(dtype), environment())
        print(f"plot written to {args.plot}")
    bad = [c for c in conversions if c["status"] in ("WRONG VALUES", "error")]
    return 1 if bad else 0


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _label(shape: tuple[int, ...] | list[int]) -> str:
    return "x".join(str(n) for n in shape)


def _print(rows: list[tuple[str, Row]], copies: list[dict[str, Any]], dtype: str) -> None:
    u = micro()
    plain = [row for _, row in rows]
    marks = {why: i for i, why in enumerate(reasons(plain), 1)}
    print(fast_path_line())
    shapes = list(dict.fromkeys(shape for shape, _ in rows))
    for i, label in enumerate(shapes):  # one table per size: narrow enough for 80 columns
        last = i == len(shapes) - 1
        print_table(f"Conversion time, {label} {dtype}, median {u} per call",
                    table_columns(u),
                    [row_cells(row, marks) for shape, row in rows if shape == label],
                    notes=[*footnotes(plain), legend(u)] if last else ())
    print_table("Host copy throughput (GB/s): interop.to(..., copy=True) against NumPy's copies",
                [Column("shape"), Column("size", right=True), Column("copy"),
                 Column("GB/s", right=True), Column("vs numpy.copyto", right=True)],
                [[_label(c["shape"]), fmt_bytes(c["bytes"]), name, f"{gbps:.2f}",
                  fmt_ratio(c["ratio_to_copyto"].get(name)) if name.startswith("interop")
                  else ""]
                 for c in copies for name, gbps in c["gbps"].items()])
