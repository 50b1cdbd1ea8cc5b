"""Backend fixtures: every installed framework (GPU variants too), skipped with a reason."""

from __future__ import annotations

import pytest

from backends import ALL_BACKENDS, CPU_BACKENDS, Backend, missing_reason


def _param(backend: Backend) -> object:
    marks = [pytest.mark.gpu] if backend.gpu else []
    return pytest.param(backend, id=backend.id, marks=marks)


def require(backend: Backend) -> Backend:
    reason = missing_reason(backend)
    if reason is not None:
        pytest.skip(reason)
    return backend


@pytest.fixture(params=[_param(b) for b in ALL_BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each framework/device where arrays can live."""
    return require(request.param)


@pytest.fixture(params=[_param(b) for b in ALL_BACKENDS])
def target(request: pytest.FixtureRequest) -> Backend:
    """Each framework/device as a conversion target."""
    return require(request.param)


@pytest.fixture(params=[_param(b) for b in CPU_BACKENDS])
def cpu_backend(request: pytest.FixtureRequest) -> Backend:
    return require(request.param)
