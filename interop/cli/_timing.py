"""The timing harness shared by ``interop matrix``, ``interop bench`` and ``benchmarks/``.

Calls that are compared run in one process, in alternating short batches (a
batch of A, a batch of B, a batch of A...), so that slow drifts of the machine
(frequency scaling, other load, page cache) hit every call alike.  Each batch
gives one per-call sample; the report is the median of the samples and their
interquartile range.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

__all__ = ["Stats", "compare", "environment", "pin_threads"]

#: Environment variables read by the BLAS/OpenMP runtimes at import time.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True, slots=True)
class Stats:
    """Seconds per call: median, quartiles, and how many batches and calls made them."""

    median: float
    q1: float
    q3: float
    batches: int
    calls_per_batch: int

    @property
    def iqr(self) -> float:
        """The spread of the samples (third quartile minus first)."""
        return self.q3 - self.q1

    def as_dict(self) -> dict[str, float | int]:
        """A JSON-ready record, with the spread spelled out."""
        return {**asdict(self), "iqr": self.iqr}


def pin_threads(count: int) -> None:
    """Pin the thread pools of the numeric runtimes to ``count`` threads.

    The environment variables only take effect for frameworks imported later; torch,
    when already imported, is pinned directly.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(count)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)


def compare(calls: Mapping[str, Callable[[], object]], *, budget_s: float = 0.2,
            batch_s: float = 0.002, min_batches: int = 5, max_batches: int = 500
            ) -> dict[str, Stats]:
    """Time every call of ``calls`` in alternating batches; seconds per call for each.

    ``budget_s`` bounds the time spent per call (the rounds stop after it, but never
    before ``min_batches``); ``batch_s`` is the length a batch aims for.
    """
    sizes = {name: _calibrate(call, batch_s) for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    deadline = time.perf_counter() + budget_s * len(names)
    for round_ in range(max_batches):
        if round_ >= min_batches and time.perf_counter() > deadline:
            break
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:  # rotate who goes first
            samples[name].append(_batch(calls[name], sizes[name]))
    return {name: _stats(samples[name], sizes[name]) for name in names}


def _calibrate(call: Callable[[], object], batch_s: float) -> int:
    call()  # warm-up: first-call caches, lazy imports, page faults
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-8)
    return max(1, min(100_000, int(batch_s / once)))


def _batch(call: Callable[[], object], size: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(size):
        call()
    return (clock() - start) / size


def _stats(values: list[float], size: int) -> Stats:
    if len(values) == 1:
        return Stats(values[0], values[0], values[0], 1, size)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Stats(median, q1, q3, len(values), size)


def environment() -> dict[str, Any]:
    """What a benchmark result depends on: interpreter, machine, versions, threads."""
    versions = {}
    for dist in ("numpy", "torch", "jax", "jaxlib", "array-api-strict", "cupy-cuda12x",
                 "ml_dtypes"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    versions["interop"] = _interop_version()
    torch = sys.modules.get("torch")
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "threads": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "versions": versions,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _interop_version() -> str:
    """The version of the interop being timed: the imported package, not some metadata."""
    from interop import __version__

    return __version__


def cpu_name() -> str:
    """The CPU model, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
