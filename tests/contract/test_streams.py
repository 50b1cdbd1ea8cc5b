"""Stream negotiation, checked on the CPU with protocol doubles.

A fake CUDA producer records the ``stream`` it is given; a fake consumer adapter,
registered through the public registry, reports a current stream.  Together they
show which stream value interop passes in every case, without a GPU.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any

import numpy as np
import pytest

import interop
from interop import _dlpack

CONSUMER_STREAM = 0xC0FFEE


def _relabel_device(capsule: object, device: tuple[int, int]) -> object:
    """Make a host capsule claim to live on ``device`` (for doubles that are never read)."""
    name = _dlpack.capsule_name(capsule)
    address = _dlpack._get_pointer(capsule, name.encode())
    struct = (_dlpack._DLManagedTensorVersioned if name.endswith("versioned")
              else _dlpack._DLManagedTensor)
    tensor = struct.from_address(address).dl_tensor
    tensor.device.device_type, tensor.device.device_id = device
    return capsule


class FakeDeviceProducer:
    """Says it holds CUDA (or ROCm) memory and records every ``__dlpack__`` call."""

    def __init__(self, array: np.ndarray, device: tuple[int, int] = (2, 0)) -> None:
        self.array, self.device = array, device
        self.calls: list[dict[str, Any]] = []

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.device

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: Any = None) -> object:
        self.calls.append({"stream": stream, "max_version": max_version,
                           "dl_device": dl_device, "copy": copy})
        if dl_device is not None:  # a copy to the host, as a real producer would make
            return np.array(self.array).__dlpack__(max_version=max_version)
        return _relabel_device(self.array.__dlpack__(max_version=max_version), self.device)

    @property
    def stream(self) -> Any:
        return self.calls[-1]["stream"]


class FakeDeviceArray:
    """What the fake consumer returns: the capsule and the device it came from."""

    def __init__(self, capsule: object, device: tuple[int, int]) -> None:
        self.capsule, self.device = capsule, device


class FakeGpuAdapter(interop.Adapter):
    """A consumer framework with streams on CUDA or ROCm devices."""

    name = "fakegpu"
    kind = "cuda"
    stream: int | None = CONSUMER_STREAM

    def owns(self, tp: type) -> bool:
        return issubclass(tp, FakeDeviceArray)

    def describe(self, x: Any) -> interop.ArrayInfo:
        raise NotImplementedError("the fake's results are inspected, never converted further")

    def check_device(self, device: interop.Device) -> interop.Device:
        if device.kind != self.kind:
            raise interop.UnsupportedDeviceError(f"fakegpu holds {self.kind} memory only")
        return interop.Device(self.kind, device.index or 0)

    def default_device(self) -> interop.Device:
        return interop.Device(self.kind, 0)

    def current_stream(self, device: interop.Device) -> int | None:
        return None if self.stream is None else self.stream + (device.index or 0)

    def from_dlpack(self, producer: Any) -> Any:
        return FakeDeviceArray(producer.__dlpack__(), producer.__dlpack_device__())


@pytest.fixture
def gpu_target() -> Any:
    adapter = FakeGpuAdapter()
    interop.register(adapter)
    yield adapter
    interop.unregister(adapter.name)


def _producer(device: tuple[int, int] = (2, 0)) -> FakeDeviceProducer:
    return FakeDeviceProducer(np.arange(6, dtype=np.float32), device)


def test_default_is_the_consumers_current_stream(gpu_target: Any) -> None:
    p = _producer()
    result = interop.to(p, "fakegpu")
    assert p.stream == CONSUMER_STREAM
    assert p.calls[-1]["max_version"] == (1, 1)
    assert result.device == (2, 0)


def test_current_stream_of_the_producers_device(gpu_target: Any) -> None:
    p = _producer((2, 1))
    interop.to(p, "fakegpu")
    assert p.stream == CONSUMER_STREAM + 1


def test_consumer_without_streams_gets_the_legacy_default(gpu_target: Any) -> None:
    gpu_target.stream = None
    p = _producer()
    interop.to(p, "fakegpu")
    assert p.stream == 1


@pytest.mark.parametrize(("given", "expected"), [
    (42, 42),
    (types.SimpleNamespace(cuda_stream=77), 77),  # torch.cuda.Stream
    (types.SimpleNamespace(ptr=88), 88),  # cupy.cuda.Stream
    (types.SimpleNamespace(__cuda_stream__=lambda: (0, 99)), 99),
    (interop.NO_SYNC, -1),
    (2, 2),
])
def test_explicit_streams(gpu_target: Any, given: Any, expected: int) -> None:
    if isinstance(given, types.SimpleNamespace) and hasattr(given, "__cuda_stream__"):
        given = type("S", (), {"__cuda_stream__": lambda self: (0, 99)})()
    p = _producer()
    interop.to(p, "fakegpu", stream=given)
    assert p.stream == expected


def test_stream_zero_is_refused_on_cuda(gpu_target: Any) -> None:
    with pytest.raises(interop.InteropError, match="Stream 0"):
        interop.to(_producer(), "fakegpu", stream=0)


def test_not_a_stream(gpu_target: Any) -> None:
    with pytest.raises(interop.InteropError, match="not a stream"):
        interop.to(_producer(), "fakegpu", stream="fast")


def test_rocm_defaults_and_forbidden_values(gpu_target: Any) -> None:
    gpu_target.kind = "rocm"
    p = _producer((10, 0))
    interop.to(p, "fakegpu")
    assert p.stream == CONSUMER_STREAM
    gpu_target.stream = None
    interop.to(p, "fakegpu")
    assert p.stream == 0
    with pytest.raises(interop.InteropError, match="ROCm"):
        interop.to(p, "fakegpu", stream=1)


def test_host_producers_get_none() -> None:
    producer = _producer((1, 0))
    out = interop.to(producer, "numpy", stream=interop.NO_SYNC)
    assert producer.stream is None
    np.testing.assert_array_equal(out, producer.array)


def test_device_to_host_asks_the_producer_to_copy() -> None:
    p = _producer()
    out = interop.to_numpy(p)
    assert p.calls[-1]["dl_device"] == (1, 0)
    assert p.calls[-1]["copy"] is True
    np.testing.assert_array_equal(out, p.array)
    assert not np.shares_memory(out, p.array)
    plan = interop.explain(_producer(), "numpy")
    assert not plan.zero_copy


def test_device_to_host_with_copy_false_is_refused() -> None:
    with pytest.raises(interop.CopyRequiredError, match="host"):
        interop.to_numpy(_producer(), copy=False)


def test_legacy_device_producer_cannot_reach_the_host() -> None:
    class Legacy(FakeDeviceProducer):
        def __dlpack__(self, *, stream: Any = None) -> object:  # type: ignore[override]
            return super().__dlpack__(stream=stream)

    with pytest.raises(interop.InteropError, match="too old"):
        interop.to_numpy(Legacy(np.arange(3.0)))


def test_numpy_cannot_hold_cuda() -> None:
    with pytest.raises(interop.UnsupportedDeviceError, match="cuda"):
        interop.to(np.arange(3), "numpy", device="cuda:0")


def test_relabelled_capsule_reads_back() -> None:
    capsule = _relabel_device(np.arange(3.0).__dlpack__(max_version=(1, 1)), (2, 3))
    assert _dlpack.read_capsule(capsule).device == (2, 3)
    assert ctypes.sizeof(_dlpack._DLDevice) == 8


@pytest.mark.parametrize("device", [(3, 0), (13, 0)], ids=["cuda-host", "cuda-managed"])
def test_pinned_and_managed_memory_is_read_without_a_copy(device: tuple[int, int]) -> None:
    source = np.arange(4.0)
    out = interop.to_numpy(FakeDeviceProducer(source, device))
    assert np.shares_memory(out, source)
    assert interop.explain(FakeDeviceProducer(source, device), "numpy").zero_copy


# -- consumers that behave like the real ones (what the first GPU run would have hit) -----------

class TorchLikeConsumer(FakeGpuAdapter):
    """Like torch: the default stream's handle is 0 (``current_stream().cuda_stream``)."""

    name = "torchlike"
    stream = 0


class JaxLikeConsumer(FakeGpuAdapter):
    """Like ``jax.dlpack.from_dlpack``: passes the stream *it* reads on, reads legacy capsules."""

    name = "jaxlike"
    stream = None
    wanted = 0x5EED
    dlpack_versioned = False
    consumer_names_stream = True

    def current_stream(self, device: interop.Device) -> int | None:
        return self.wanted  # what get_stream_for_external_ready_events() reports

    def from_dlpack(self, producer: Any) -> Any:
        capsule = producer.__dlpack__(stream=self.wanted)
        assert _dlpack.capsule_name(capsule) == "dltensor", "JAX reads legacy capsules only"
        return FakeDeviceArray(capsule, producer.__dlpack_device__())


@pytest.fixture(params=[TorchLikeConsumer, JaxLikeConsumer], ids=["torch-like", "jax-like"])
def realistic(request: pytest.FixtureRequest) -> Any:
    adapter = request.param()
    interop.register(adapter)
    yield adapter
    interop.unregister(adapter.name)


def test_default_stream_zero_means_the_legacy_stream(realistic: Any) -> None:
    p = _producer()
    interop.to(p, realistic.name)
    expected = 1 if isinstance(realistic, TorchLikeConsumer) else JaxLikeConsumer.wanted
    assert p.stream == expected, "torch's 0 is CUDA's legacy stream; JAX names its own"


def test_jax_like_consumers_get_legacy_capsules_on_the_stream_they_name() -> None:
    adapter = JaxLikeConsumer()
    interop.register(adapter)
    try:
        p = _producer()
        interop.to(p, "jaxlike")
        assert p.calls[-1]["stream"] == JaxLikeConsumer.wanted
        assert p.calls[-1]["max_version"] is None
        interop.to(p, "jaxlike", stream=77)  # the caller's stream wins
        assert p.stream == 77
    finally:
        interop.unregister("jaxlike")


@pytest.mark.parametrize("default", [
    types.SimpleNamespace(cuda_stream=0),  # torch.cuda.default_stream()
    types.SimpleNamespace(ptr=0),  # cupy.cuda.Stream.null
], ids=["torch-default", "cupy-null"])
def test_default_stream_objects_mean_the_legacy_stream(gpu_target: Any, default: Any) -> None:
    p = _producer()
    interop.to(p, "fakegpu", stream=default)
    assert p.stream == 1
