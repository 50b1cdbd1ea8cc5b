"""The GPU suite (``nox -s gpu``): zero-copy hand-offs, stream ordering, host copies.

Every test needs a usable CUDA device and skips with the reason otherwise
(cupy imports without a GPU, so the fixtures probe the driver).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from conftest import require

import interop

from backends import GPU_BACKENDS, Backend, data_pointer, make, missing_reason, read

pytestmark = pytest.mark.gpu


def _need(*names: str) -> None:
    for backend in GPU_BACKENDS:
        if backend.name in names and (reason := missing_reason(backend)):
            pytest.skip(reason)


@pytest.fixture(params=GPU_BACKENDS, ids=lambda b: b.id)
def gpu_source(request: pytest.FixtureRequest) -> Backend:
    return require(request.param)


@pytest.fixture(params=GPU_BACKENDS, ids=lambda b: b.id)
def gpu_target(request: pytest.FixtureRequest) -> Backend:
    return require(request.param)


def test_same_device_is_zero_copy(gpu_source: Backend, gpu_target: Backend) -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = make(gpu_source, values)
    out = interop.to(x, gpu_target.name)
    np.testing.assert_array_equal(read(out), values)
    assert data_pointer(out) == data_pointer(x)
    assert interop.device(out) == interop.device(x)


def test_copy_true_stays_on_the_device(gpu_source: Backend, gpu_target: Backend) -> None:
    values = np.arange(12, dtype=np.float32)
    x = make(gpu_source, values)
    out = interop.to(x, gpu_target.name, copy=True)
    assert data_pointer(out) != data_pointer(x)
    assert interop.device(out) == interop.device(x)
    np.testing.assert_array_equal(read(out), values)


def test_gpu_to_host_and_back(gpu_source: Backend) -> None:
    values = np.random.default_rng(0).standard_normal((256, 257)).astype(np.float32)
    x = make(gpu_source, values)
    host = interop.to_numpy(x)
    np.testing.assert_array_equal(host, values)
    with pytest.raises(interop.CopyRequiredError):
        interop.to_numpy(x, copy=False)
    back = interop.to(host, gpu_source.name, device="cuda:0")
    np.testing.assert_array_equal(read(back), values)


def test_large_device_to_host_uses_the_pinned_pool() -> None:
    _need("torch")
    import torch

    from interop import _pinned

    n = (_pinned.CHUNK_BYTES * 2 + 12345) // 4
    t = torch.arange(n, dtype=torch.float32, device="cuda")
    out = interop.to_numpy(t)
    np.testing.assert_array_equal(out, np.arange(n, dtype=np.float32))
    assert ("torch", t.device) in _pinned._pools


def test_host_to_device_copies_on_the_target() -> None:
    _need("cupy")
    values = np.arange(10, dtype=np.int16)
    out = interop.to(values, "cupy")
    assert type(out).__module__.startswith("cupy")
    np.testing.assert_array_equal(out.get(), values)
    with pytest.raises(interop.CopyRequiredError):
        interop.to(values, "cupy", copy=False)


def _slow_fill(torch: Any, t: Any, value: float) -> None:
    torch.cuda._sleep(200_000_000)  # ~0.1 s of GPU time before the write
    t.fill_(value)


def test_side_stream_work_is_ordered_without_a_manual_sync() -> None:
    _need("torch", "cupy")
    import cupy
    import torch

    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        t = torch.zeros(1 << 20, device="cuda")
        _slow_fill(torch, t, 3.0)
        c = interop.to(t, "cupy")  # torch's current stream is `side` here
    assert float(c.sum()) == 3.0 * (1 << 20)
    cupy.cuda.Device().synchronize()


def test_conversion_does_not_block_the_host() -> None:
    _need("torch", "cupy")
    import torch

    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        t = torch.zeros(1 << 20, device="cuda")
        torch.cuda._sleep(2_000_000_000)  # ~1 s
        start = time.perf_counter()
        interop.to(t, "cupy")
        elapsed = time.perf_counter() - start
        still_running = not side.query()
    side.synchronize()
    assert still_running, "the kernel finished before the conversion returned"
    assert elapsed < 0.2


def test_explicit_no_sync_passes_minus_one() -> None:
    _need("torch", "cupy")
    import torch

    t = torch.ones(8, device="cuda")
    torch.cuda.synchronize()
    c = interop.to(t, "cupy", stream=interop.NO_SYNC)
    assert float(c.sum()) == 8.0


def test_tensor_on_another_gpu_exports_from_its_own_device() -> None:
    _need("torch", "cupy")
    import torch

    if torch.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    t = torch.arange(5.0, device="cuda:1")
    with torch.cuda.device(0):
        c = interop.to(t, "cupy")
    assert c.device.id == 1
    assert data_pointer(c) == data_pointer(t)
    moved = interop.to(t, "torch", device="cuda:0")
    assert moved.device.index == 0
    with pytest.raises(interop.CopyRequiredError):
        interop.to(t, "torch", device="cuda:0", copy=False)


def test_cuda_array_interface_producer() -> None:
    _need("cupy", "torch")
    import cupy

    source = cupy.arange(6, dtype=cupy.float32)

    class Legacy:  # only __cuda_array_interface__, like numba device arrays
        __cuda_array_interface__ = source.__cuda_array_interface__

    out = interop.to(Legacy(), "torch")
    assert data_pointer(out) == data_pointer(source)
    np.testing.assert_array_equal(read(out), np.arange(6, dtype=np.float32))


def test_gpu_semantics_hold() -> None:
    _need("torch")
    import torch

    c = torch.tensor([1 + 2j, 3 - 4j], device="cuda")
    np.testing.assert_array_equal(interop.to_numpy(c.conj().imag), [-2.0, 4.0])
    bf = torch.arange(4, dtype=torch.bfloat16, device="cuda")
    pytest.importorskip("ml_dtypes")
    np.testing.assert_array_equal(interop.to_numpy(bf).astype(np.float32), [0, 1, 2, 3])
    ro = np.arange(3.0)
    ro.flags.writeable = False
    moved = interop.to(ro, "torch", device="cuda")
    assert moved.is_cuda
