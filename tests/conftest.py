"""Backend fixtures: every CPU framework (skipped with a reason when missing), usable GPUs.

GPU parametrisations are generated only for the GPU backends usable here: a CPU-only
machine would otherwise collect thousands of ``torch:cuda``/``cupy:cuda`` cases that all
skip for the same reason, drowning the skips that say something.  What was left out is
said once, in the report header and at the end of the run; GPU-only modules
(``GPU_MODULES``) skip as a whole, one skip line with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from backends import CPU_BACKENDS, GPU_BACKENDS, GPU_MODULES, Backend, missing_reason

#: GPU backends that cannot run here, with the reason (probed once, at collection).
GPU_OMITTED = {b.id: reason for b in GPU_BACKENDS if (reason := missing_reason(b)) is not None}
USABLE_GPU_BACKENDS = tuple(b for b in GPU_BACKENDS if b.id not in GPU_OMITTED)
TEST_BACKENDS = CPU_BACKENDS + USABLE_GPU_BACKENDS


def _param(backend: Backend) -> object:
    marks = [pytest.mark.gpu] if backend.gpu else []
    return pytest.param(backend, id=backend.id, marks=marks)


def _params(backends: Iterable[Backend]) -> list[object]:
    return [_param(b) for b in backends]


def require(backend: Backend) -> Backend:
    reason = missing_reason(backend)
    if reason is not None:
        pytest.skip(reason)
    return backend


def gpu_omitted_line() -> str | None:
    """One line naming the GPU backends whose cases were not generated, and why."""
    if not GPU_OMITTED:
        return None
    reasons = "; ".join(f"{name}: {reason}" for name, reason in GPU_OMITTED.items())
    return f"GPU cases not generated ({reasons})"


@pytest.fixture(params=_params(TEST_BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each framework/device where arrays can live."""
    return require(request.param)


@pytest.fixture(params=_params(TEST_BACKENDS))
def target(request: pytest.FixtureRequest) -> Backend:
    """Each framework/device as a conversion target."""
    return require(request.param)


@pytest.fixture(params=_params(CPU_BACKENDS))
def cpu_backend(request: pytest.FixtureRequest) -> Backend:
    return require(request.param)


@pytest.hookimpl(tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport | None:
    """A GPU-only module where no GPU is usable: one skip at the module, nothing imported."""
    if not (isinstance(collector, pytest.Module) and collector.path.name in GPU_MODULES
            and not USABLE_GPU_BACKENDS):
        return None
    reason = f"Skipped: no usable GPU ({'; '.join(GPU_OMITTED.values())})"
    return pytest.CollectReport(collector.nodeid, "skipped", (str(collector.path), 1, reason),
                                [])


def pytest_report_header() -> str | None:
    return gpu_omitted_line()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    line = gpu_omitted_line()
    if line is not None:
        terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``INTEROP_GPU_SAMPLE=N``: keep N of the GPU-parametrised matrix cases (a stable sample).

    Every test of a GPU-only module is kept; the matrix's GPU variants number in the
    thousands, too many for the few minutes a lent GPU machine gives.
    """
    import os
    import zlib

    wanted = int(os.environ.get("INTEROP_GPU_SAMPLE", "0") or 0)
    if not wanted:
        return
    sampled = [i for i in items if i.get_closest_marker("gpu") and i.path.name not in GPU_MODULES]
    if len(sampled) <= wanted:
        return
    ranked = sorted(sampled, key=lambda i: zlib.crc32(i.nodeid.encode()))
    dropped = set(map(id, ranked[wanted:]))
    config.hook.pytest_deselected(items=[i for i in items if id(i) in dropped])
    items[:] = [i for i in items if id(i) not in dropped]
