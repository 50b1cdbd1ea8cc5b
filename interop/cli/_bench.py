"""``interop bench``: conversion time against array size, and host-copy throughput."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import interop

from . import _arrays as arrays
from ._matrix import check_pair, random_array
from ._table import fmt_ratio, fmt_us, jsonable, print_table, progress
from ._timing import compare, environment, pin_threads
from ._usage import UsageError, parse_dtype, parse_names, parse_sizes

__all__ = ["add_parser", "copy_throughput", "run"]

DEFAULT_SIZES = ("100", "1000", "4000")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="time conversions against array size",
                       description="Time each installed pair's conversion with interop.to and "
                       "with the fastest native call, for several array sizes, and compare the "
                       "host-copy throughput of interop.to(..., copy=True) with numpy.copyto.")
    p.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                   help="N for an NxN array, or a shape like 5000x5000 (default: 100 1000 "
                   "4000; the tutorials use 1000 5000 10000)")
    p.add_argument("--dtype", default="float32", help="element type (default: float32)")
    p.add_argument("--only", metavar="NAMES", help="comma-separated frameworks to include")
    p.add_argument("--budget", type=float, default=0.1, metavar="SECONDS",
                   help="timing budget per call, pair and size (default: 0.1)")
    p.add_argument("--threads", type=int, default=1, help="pin thread pools (default: 1)")
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
    only = parse_names(args.only, sorted({e.name for e in arrays.ENDPOINTS}))
    if args.plot and not _have_matplotlib():
        raise UsageError("--plot needs matplotlib: pip install 'interop[plot]' "
                         "(or pip install matplotlib)")
    pin_threads(args.threads)
    endpoints = [e for e in arrays.available(only) if e.name != "python"]
    todo = arrays.pairs(endpoints)
    copy_targets = [e.name for e in endpoints if not e.gpu]
    conversions: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    with progress(len(todo) * len(sizes) + len(sizes)) as step:
        for shape in sizes:
            ref = random_array(dtype, shape)
            for src, dst in todo:
                step(f"{src.id} -> {dst.id} {_label(shape)}")
                row = check_pair(src, dst, ref, args.budget)
                conversions.append({"shape": list(shape), "bytes": ref.nbytes, **vars(row)})
            step(f"host copy {_label(shape)}")
            copies.append({"shape": list(shape),
                           **copy_throughput(ref, copy_targets, args.budget)})
            del ref
    _print(conversions, copies, str(dtype))
    if args.json:
        record = {"dtype": str(dtype), "environment": environment(),
                  "conversions": conversions, "copies": copies}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(jsonable(record), handle, indent=2)
    if args.plot:
        from ._plot import plot

        plot(conversions, copies, args.plot, str(dtype))
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


def _print(conversions: list[dict[str, Any]], copies: list[dict[str, Any]], dtype: str) -> None:
    print_table(f"Conversion time ({dtype}, median us per call)",
                ["source", "target", "shape", "result", "interop us", "fastest native",
                 "native us", "ratio"],
                [[c["source"], c["target"], _label(c["shape"]), c["status"],
                  fmt_us(c["interop_s"]), c["native"], fmt_us(c["native_s"]),
                  fmt_ratio(c["ratio"])] for c in conversions],
                right=("interop us", "native us", "ratio"))
    names = list(copies[0]["gbps"]) if copies else []
    print_table("Host copy throughput (GB/s; ratio = interop / numpy.copyto)",
                ["shape", "MB", *names, *(f"ratio {n}" for n in names if "interop" in n)],
                [[_label(c["shape"]), f"{c['bytes'] / 1e6:.1f}",
                  *(f"{c['gbps'][n]:.2f}" for n in names),
                  *(fmt_ratio(c["ratio_to_copyto"][n]) for n in names if "interop" in n)]
                 for c in copies],
                right=("MB", *names, *(f"ratio {n}" for n in names)))
