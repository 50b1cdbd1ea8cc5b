"""Host copies into every installed target: bandwidth against ``np.copy``, and peak memory.

Issue 12's goal: a host copy (any target) runs at 0.9x ``np.copy``'s bandwidth or better
from 1 MiB to 1 GiB, and holds one copy of the data at its peak.  Each case is timed in
alternating batches beside ``np.copy`` of the same bytes (a fresh allocation, page faults
included, as in every copy that returns a new array) and beside its native recipe.

Peak memory is measured in a fresh child process per case and size: the high-water mark
of its resident set (``VmHWM``, reset through ``/proc/self/clear_refs``) during one
conversion, less the resident set before it.  tracemalloc would see NumPy's allocations
only; torch and JAX allocate behind its back.  "Copies at peak" is that extra divided by
the array's bytes: 1.0 for one new buffer.

    python benchmarks/host_copy.py [--sizes 1 16 256 1024] [--peak-sizes 256 1024]
                                   [--only TEXT] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import compare, pin_threads, write_json

COPY_GOAL = 0.9
SIZES_MB = (1, 16, 256, 1024)
PEAK_SIZES_MB = (256, 1024)
Call = Callable[[], object]


@dataclass(frozen=True)
class CopyCase:
    """``ours(src)`` and ``native(src)`` make the two calls timed for a source ``make(n)``."""

    name: str
    needs: tuple[str, ...]
    make: Callable[[int], Any]
    ours: Callable[[Any], Call]
    native_name: str
    native: Callable[[Any], Call]


def _ready(x: Any) -> Any:
    """JAX dispatches asynchronously: a copy counts once its result is ready."""
    block = getattr(x, "block_until_ready", None)
    return x if block is None else block()


def _np(n: int) -> Any:
    import numpy as np

    return np.full(n // 4, 1.5, dtype=np.float32)


def _read_only(n: int) -> Any:
    a = _np(n)
    a.flags.writeable = False
    return a


def _unaligned(n: int) -> Any:
    """16 bytes past a 64-byte boundary, as NumPy's large allocations are (JAX copies those)."""
    raw = _np(n + 64)
    start = (16 - raw.ctypes.data) % 64 // 4
    return raw[start:start + n // 4]


def _unaligned_read_only(n: int) -> Any:
    a = _unaligned(n)
    a.flags.writeable = False
    return a


def _torch(n: int) -> Any:
    import torch

    return torch.full((n // 4,), 1.5)


def _torch_slice(n: int) -> Any:
    return _torch(n + 4)[1:]  # 4 bytes past torch's 64-byte aligned start: JAX copies it


def _jax(n: int) -> Any:
    import jax

    return _ready(jax.device_put(_np(n), jax.devices("cpu")[0]))


def _to(target: str, **kw: Any) -> Callable[[Any], Call]:
    import interop

    return lambda src: lambda: _ready(interop.to(src, target, **kw))


def _cases() -> list[CopyCase]:
    import numpy as np

    def mod(name: str) -> Any:
        return importlib.import_module(name)

    return [
        CopyCase("numpy -> numpy copy=True", (), _np, _to("numpy", copy=True),
                 "np.copy(a)", lambda a: lambda: np.copy(a)),
        CopyCase("numpy -> torch copy=True", ("torch",), _np, _to("torch", copy=True),
                 "torch.from_numpy(a.copy())",
                 lambda a: lambda: mod("torch").from_numpy(a.copy())),
        CopyCase("numpy -> jax copy=True", ("jax",), _np, _to("jax", copy=True),
                 "jnp.array(a)", lambda a: lambda: _ready(mod("jax.numpy").array(a))),
        CopyCase("numpy -> jax (unaligned)", ("jax",), _unaligned, _to("jax"),
                 "jax.dlpack.from_dlpack(a)",
                 lambda a: lambda: _ready(mod("jax").dlpack.from_dlpack(a))),
        CopyCase("read-only numpy -> jax", ("jax",), _unaligned_read_only, _to("jax"),
                 "jax.device_put(r)", lambda a: lambda: _ready(mod("jax").device_put(a))),
        CopyCase("numpy -> strict copy=True", ("array_api_strict",), _np,
                 _to("array_api_strict", copy=True), "xp.asarray(a, copy=True)",
                 lambda a: lambda: mod("array_api_strict").asarray(a, copy=True)),
        CopyCase("read-only numpy -> torch", ("torch",), _read_only, _to("torch"),
                 "torch.from_numpy(r.copy())",
                 lambda a: lambda: mod("torch").from_numpy(a.copy())),
        CopyCase("negative strides -> torch", ("torch",), lambda n: _np(n)[::-1], _to("torch"),
                 "torch.from_numpy(a[::-1].copy())",
                 lambda a: lambda: mod("torch").from_numpy(a.copy())),
        CopyCase("torch -> numpy copy=True", ("torch",), _torch, _to("numpy", copy=True),
                 "t.numpy().copy()", lambda t: lambda: t.numpy().copy()),
        CopyCase("torch -> jax copy=True", ("torch", "jax"), _torch, _to("jax", copy=True),
                 "jnp.array(t.numpy())",
                 lambda t: lambda: _ready(mod("jax.numpy").array(t.numpy()))),
        CopyCase("torch slice -> jax (unaligned)", ("torch", "jax"), _torch_slice, _to("jax"),
                 "jnp.from_dlpack(t)",
                 lambda t: lambda: _ready(mod("jax.numpy").from_dlpack(t))),
        CopyCase("jax -> numpy copy=True", ("jax",), _jax, _to("numpy", copy=True),
                 "np.array(j)", lambda j: lambda: np.array(j)),
    ]


def installed_cases(only: str | None = None) -> tuple[list[CopyCase], list[str]]:
    """The cases whose frameworks import here (named ``only``...), why the others are skipped."""
    found, skipped = [], []
    for case in _cases():
        if only and only not in case.name:
            continue
        missing = [m for m in case.needs if importlib.util.find_spec(m) is None]
        if missing:
            skipped.append(f"{case.name}: {', '.join(missing)} not installed")
        else:
            found.append(case)
    return found, skipped


def time_size(cases: list[CopyCase], mb: int, budget: float) -> list[dict[str, Any]]:
    """Bandwidth of each case at ``mb`` MiB beside np.copy of the same bytes and its recipe."""
    import numpy as np

    nbytes = mb * 2**20
    base = _np(nbytes)
    rows = []
    for case in cases:
        src = case.make(nbytes)
        # the native recipe apart: JAX's own copies free their buffers on its threads,
        # which would slow whatever runs beside them
        stats = compare({"interop": case.ours(src), "np.copy": lambda: np.copy(base)},
                        budget_s=budget, min_batches=9 if mb < 256 else 5)
        stats.update(compare({"native": case.native(src)}, budget_s=budget,
                             min_batches=5 if mb < 256 else 3))
        gbps = {k: nbytes / s.median / 1e9 for k, s in stats.items()}
        ratio = gbps["interop"] / gbps["np.copy"]
        rows.append({"case": case.name, "mib": mb, "bytes": nbytes, "gbps": gbps,
                     "native": case.native_name, "ratio": ratio,
                     "ratio_to_native": gbps["interop"] / gbps["native"],
                     "goal": COPY_GOAL, "meets_goal": ratio >= COPY_GOAL,
                     "stats": {k: s.as_dict() for k, s in stats.items()}})
        del src
        gc.collect()
    return rows


def _memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found


def _peak_extra(call: Call) -> int | None:
    """Bytes the resident set rose above its level before ``call`` while it ran."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # reset VmHWM to the current resident set
    except OSError:
        return None
    before = _memory()["VmRSS"]
    result = call()
    peak = _memory()["VmHWM"] - before
    del result
    return peak


def peak_child(name: str, mb: int) -> dict[str, Any]:
    """In a fresh process: extra peak memory of one conversion and of its native recipe."""
    (case,) = [c for c in _cases() if c.name == name]
    case.ours(case.make(4096))()  # plans and remembers the route; imports settle
    case.native(case.make(4096))()
    src = case.make(mb * 2**20)
    ours, native = _peak_extra(case.ours(src)), _peak_extra(case.native(src))
    return {"interop": ours, "native": native}


def measure_peaks(cases: list[CopyCase], sizes: tuple[int, ...]) -> dict[tuple[str, int], Any]:
    """(case, MiB) -> the child's {"interop": bytes, "native": bytes}, or None if it failed."""
    found: dict[tuple[str, int], Any] = {}
    for mb in sizes:
        for case in cases:
            done = subprocess.run([sys.executable, __file__, "--peak-child", case.name, str(mb)],
                                  capture_output=True, text=True, check=False)
            lines = done.stdout.strip().splitlines()
            found[case.name, mb] = json.loads(lines[-1]) if done.returncode == 0 and lines \
                else None
    return found


def run(sizes: tuple[int, ...], peak_sizes: tuple[int, ...], budget: float,
        only: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Every installed case at every size; copies at peak where measured."""
    cases, skipped = installed_cases(only)
    rows = [row for mb in sizes for row in time_size(cases, mb, budget)]
    peaks = measure_peaks(cases, peak_sizes)
    for row in rows:
        peak = peaks.get((row["case"], row["mib"]))
        if peak is not None:
            row["peak_extra"] = peak
            row["copies_at_peak"] = {k: None if v is None else v / row["bytes"]
                                     for k, v in peak.items()}
    for (name, mb), peak in peaks.items():  # sizes measured for memory but not timed
        if mb not in sizes and peak is not None:
            nbytes = mb * 2**20
            rows.append({"case": name, "mib": mb, "bytes": nbytes, "peak_extra": peak,
                         "copies_at_peak": {k: None if v is None else v / nbytes
                                            for k, v in peak.items()}})
    return rows, skipped


def report(rows: list[dict[str, Any]], skipped: list[str]) -> None:
    print(f"Host copies, float32 (goal >= {COPY_GOAL}x np.copy of the same bytes; one copy at "
          "peak). GB/s; copies of the data at peak: interop / native recipe")
    print(f"  {'':4} {'case':28} {'MiB':>5} {'ratio':>6} {'interop':>8} {'np.copy':>8} "
          f"{'native':>8} {'peak':>11}  native recipe")
    for r in rows:
        copies = r.get("copies_at_peak")
        peak = "" if copies is None else "/".join(
            "n/a" if v is None else f"{v:.2f}" for v in (copies["interop"], copies["native"]))
        if "gbps" not in r:
            print(f"  {'':4} {r['case']:28} {r['mib']:5} {'':>6} {'':>8} {'':>8} {'':>8} "
                  f"{peak:>11}")
            continue
        g, flag = r["gbps"], "ok " if r["meets_goal"] else "MISS"
        print(f"  {flag:4} {r['case']:28} {r['mib']:5} {r['ratio']:5.2f}x {g['interop']:8.2f} "
              f"{g['np.copy']:8.2f} {g['native']:8.2f} {peak:>11}  {r['native']}")
    for reason in skipped:
        print(f"  skipped: {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES_MB),
                        help="MiB sizes timed (default: 1 16 256 1024)")
    parser.add_argument("--peak-sizes", type=int, nargs="*", default=list(PEAK_SIZES_MB),
                        help="MiB sizes whose peak memory is measured (default: 256 1024)")
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per call and case")
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    parser.add_argument("--peak-child", nargs=2, metavar=("CASE", "MIB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pin_threads(1)
    if args.peak_child:
        print(json.dumps(peak_child(args.peak_child[0], int(args.peak_child[1]))))
        return 0
    rows, skipped = run(tuple(args.sizes), tuple(args.peak_sizes), args.budget, args.only)
    report(rows, skipped)
    if args.json:
        write_json(args.json, rows=rows, skipped=skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
