"""interop routes through the protocols: DLPack negotiation, legacy producers, capsules,
``__array__``/``__array_interface__`` objects, and the specialised routes agree with them."""

from __future__ import annotations

import numpy as np
import pytest

import interop

from backends import Backend, assert_exact, bits, data_pointer, dtype_name, make, read, set_jax_x64
from doubles import (
    ArrayInterfaceOnly,
    ArrayOnly,
    DLPackOnly,
    FakeCudaProducer,
    LegacyProducer,
    RaisingProducer,
    set_capsule_version,
)

# float32 and int16 survive every target (jax without x64, array_api_strict)
VALUES = np.arange(24, dtype=np.float32).reshape(4, 6) - 7.5


def _native_producer(backend: Backend) -> object:
    return make(backend, VALUES)


# -- the DLPack-only double -----------------------------------------------------------------------


def test_dlpack_only_gets_max_version_and_stream_none(target: Backend) -> None:
    a = VALUES.copy()
    double = DLPackOnly(a)
    result = interop.to(double, target.name)
    assert_exact(result, VALUES, target)
    assert double.calls, "interop did not call __dlpack__"
    first = double.calls[0]
    # JAX reads legacy capsules only: it is asked for one, every other consumer for DLPack 1.x
    assert first.get("max_version") == (None if target.name == "jax" else (1, 1))
    assert "stream" in first
    assert first["stream"] is None
    assert len(double.calls) == 1, "a producer that accepts the keywords is called once"


@pytest.mark.parametrize("copy", [None, False])
def test_dlpack_only_shares_with_numpy_and_torch(copy: bool | None) -> None:
    a = VALUES.copy()
    result = interop.to(DLPackOnly(a), "numpy", copy=copy)
    assert isinstance(result, np.ndarray)
    assert np.shares_memory(result, a)
    torch = pytest.importorskip("torch")
    t = interop.to(DLPackOnly(a), "torch", copy=copy)
    assert isinstance(t, torch.Tensor)
    assert t.data_ptr() == a.__array_interface__["data"][0]
    t[0, 0] = 123.0  # a writable source, so a writable alias is fine
    assert a[0, 0] == 123.0


def test_dlpack_only_copy_true_never_shares(target: Backend) -> None:
    a = VALUES.copy()
    result = interop.to(DLPackOnly(a), target.name, copy=True)
    assert_exact(result, VALUES, target)
    assert not interop.shares_memory(result, a)
    assert data_pointer(result) != a.__array_interface__["data"][0]


# -- specialised routes agree with the protocol route ------------------------------------------


def _layouts(backend: Backend) -> list[object]:
    x = make(backend, VALUES)
    views = [x]
    if backend.name == "numpy":
        views += [x.T, x[::2, 1::2]]
    elif backend.name == "torch":
        views += [x.mT, x[::2, 1::2]]
    return views


def test_specialised_and_protocol_routes_agree(backend: Backend, target: Backend) -> None:
    if backend.name == "jax":
        set_jax_x64(False)  # values are float32: the setting must not matter
    for x in _layouts(backend):
        expected = read(x)
        native = interop.to(x, target.name)
        protocol = interop.to(DLPackOnly(x), target.name)
        assert type(native) is type(protocol)
        assert dtype_name(native) == dtype_name(protocol) == "float32"
        assert tuple(native.shape) == tuple(protocol.shape) == expected.shape
        assert bits(read(native)) == bits(read(protocol)) == bits(expected)
        native_shares = interop.shares_memory(native, x)
        protocol_shares = interop.shares_memory(protocol, x)
        if backend.name == "jax" and target.name in ("torch", "cupy"):
            # read-only travels: interop knows a JAX array is immutable and copies; a bare
            # DLPack wrapper of it exports an unflagged legacy capsule, so it is shared
            assert not native_shares
        elif target.name != "jax":  # JAX aliases only aligned memory: never promised
            assert native_shares == protocol_shares, (native_shares, protocol_shares)


def test_numpy_to_torch_routes_both_share() -> None:
    torch = pytest.importorskip("torch")
    a = VALUES.copy()
    native = interop.to(a, "torch")
    protocol = interop.to(DLPackOnly(a), "torch")
    reference = torch.from_dlpack(a)
    for t in (native, protocol):
        assert t.dtype == reference.dtype
        assert t.shape == reference.shape
        assert t.stride() == reference.stride()
        assert torch.equal(t, reference)
        assert t.data_ptr() == reference.data_ptr()


def test_torch_to_numpy_routes_both_share() -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(12, dtype=torch.int16).reshape(3, 4).mT
    native = interop.to(t, "numpy")
    protocol = interop.to(DLPackOnly(t), "numpy")
    for a in (native, protocol):
        assert a.dtype == np.int16
        assert a.strides == native.strides
        assert np.array_equal(a, t.numpy())
        assert a.__array_interface__["data"][0] == t.data_ptr()


# -- legacy producers ------------------------------------------------------------------------------


def test_legacy_producer_retried_with_stream_only(target: Backend) -> None:
    a = VALUES.copy()
    legacy = LegacyProducer(a)
    result = interop.to(legacy, target.name)
    assert_exact(result, VALUES, target)
    if target.name == "jax":  # asked for a legacy capsule: no keyword to retry without
        assert legacy.calls == [{"stream": None}]
        return
    assert len(legacy.calls) == 2, legacy.calls
    assert legacy.calls[0].get("max_version") == (1, 1)
    assert legacy.calls[1] == {"stream": None}


def test_legacy_producer_copy_true_done_by_interop(target: Backend) -> None:
    a = VALUES.copy()
    result = interop.to(LegacyProducer(a), target.name, copy=True)
    assert_exact(result, VALUES, target)
    assert not interop.shares_memory(result, a)
    assert data_pointer(result) != a.__array_interface__["data"][0]


def test_legacy_capsule_into_numpy_is_read_only() -> None:
    a = VALUES.copy()
    result = interop.to(LegacyProducer(a), "numpy")
    assert np.shares_memory(result, a)
    assert not result.flags.writeable


def test_unrelated_type_error_is_not_retried() -> None:
    producer = RaisingProducer()
    with pytest.raises(interop.InteropError) as info:
        interop.to(producer, "numpy")
    assert producer.calls == 1
    assert isinstance(info.value.__cause__, TypeError)


# -- READ_ONLY flag of versioned capsules ---------------------------------------------------------


def _readonly() -> np.ndarray:
    a = VALUES.copy()
    a.flags.writeable = False
    return a


def test_read_only_flag_numpy_gets_read_only_view() -> None:
    a = _readonly()
    result = interop.to(DLPackOnly(a), "numpy")
    assert np.shares_memory(result, a)
    assert not result.flags.writeable


def test_read_only_flag_torch_copies() -> None:
    pytest.importorskip("torch")
    a = _readonly()
    t = interop.to(DLPackOnly(a), "torch")
    assert not interop.shares_memory(t, a)
    assert t.data_ptr() != a.__array_interface__["data"][0]
    t[0, 0] = 1e6
    assert a[0, 0] == VALUES[0, 0]
    with pytest.raises(interop.CopyRequiredError, match="read-only"):
        interop.to(DLPackOnly(a), "torch", copy=False)


# -- raw capsules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("versioned", [False, True])
def test_raw_capsule_usable_once(target: Backend, versioned: bool) -> None:
    a = VALUES.copy()
    capsule = a.__dlpack__(max_version=(1, 0)) if versioned else a.__dlpack__()
    result = interop.to(capsule, target.name)
    assert_exact(result, VALUES, target)
    with pytest.raises(interop.InteropError, match=r"consumed|already"):
        interop.to(capsule, target.name)
    with pytest.raises(interop.InteropError):
        interop.to(capsule, "numpy")


def test_explain_does_not_consume_capsule() -> None:
    a = VALUES.copy()
    capsule = a.__dlpack__()
    plan = interop.explain(capsule, "numpy")
    assert isinstance(plan, interop.Plan)
    result = interop.to(capsule, "numpy")  # still usable
    assert np.array_equal(result, VALUES)


def test_unknown_major_version_is_refused() -> None:
    a = VALUES.copy()
    capsule = a.__dlpack__(max_version=(1, 0))
    set_capsule_version(capsule, 2, 0)
    with pytest.raises(interop.InteropError, match="DLPack 2"):
        interop.to(capsule, "numpy")
    del capsule  # the unconsumed capsule is released by its own destructor: no crash
    import gc

    gc.collect()
    assert np.array_equal(a, VALUES)


def test_unknown_major_version_from_producer() -> None:
    class FutureProducer:
        def __dlpack__(self, **kwargs: object) -> object:
            capsule = VALUES.copy().__dlpack__(max_version=(1, 0))
            set_capsule_version(capsule, 3, 1)
            return capsule

        def __dlpack_device__(self) -> tuple[int, int]:
            return (1, 0)

    with pytest.raises(interop.InteropError, match="DLPack 3"):
        interop.to(FutureProducer(), "numpy")


# -- GPU producer: the stream it is given ---------------------------------------------------------


def test_fake_cuda_producer_asked_for_a_host_copy() -> None:
    """numpy cannot hold CUDA memory: the producer is asked to copy to the host itself."""
    producer = FakeCudaProducer(VALUES.copy())
    assert str(interop.device(producer)) == "cuda:0"
    result = interop.to(producer, "numpy")
    assert np.array_equal(result, VALUES)
    assert len(producer.calls) == 1
    call = producer.calls[0]
    assert call.get("dl_device") == (1, 0)
    assert call.get("copy") is True
    assert call.get("max_version") == (1, 1)
    stream = producer.streams[0]
    assert stream is None or (isinstance(stream, int) and stream != 0), stream


def test_fake_cuda_producer_host_copy_gets_stream_none() -> None:
    """DLPack allows only ``stream=None`` with ``dl_device=CPU``: the producer orders its copy."""
    for stream in (interop.NO_SYNC, 7, None):
        producer = FakeCudaProducer(VALUES.copy())
        interop.to(producer, "numpy", stream=stream)
        assert producer.streams == [None]


def test_fake_cuda_producer_stream_zero_refused() -> None:
    producer = FakeCudaProducer(VALUES.copy())
    with pytest.raises(interop.InteropError, match=r"[Ss]tream 0"):
        interop.to(producer, "numpy", stream=0)
    assert producer.calls == []


def test_fake_cuda_producer_copy_false_refused() -> None:
    producer = FakeCudaProducer(VALUES.copy())
    with pytest.raises(interop.CopyRequiredError):
        interop.to(producer, "numpy", copy=False)
    assert producer.calls == [], "nothing may be exported when the answer is an error"


def test_cpu_producer_always_gets_stream_none() -> None:
    double = DLPackOnly(VALUES.copy())
    assert np.array_equal(interop.to(double, "numpy", stream=5), VALUES)
    assert [call["stream"] for call in double.calls] == [None]


# -- __array__ / __array_interface__ --------------------------------------------------------------


def test_array_only_object(target: Backend) -> None:
    a = VALUES.copy()
    obj = ArrayOnly(a)
    result = interop.to(obj, target.name)
    assert_exact(result, VALUES, target)
    assert obj.calls, "interop did not use __array__"
    if target.name in ("numpy", "torch"):
        assert interop.shares_memory(result, a)


def test_array_interface_only_object(target: Backend) -> None:
    a = VALUES.copy()
    result = interop.to(ArrayInterfaceOnly(a), target.name)
    assert_exact(result, VALUES, target)
    if target.name in ("numpy", "torch"):
        assert interop.shares_memory(result, a)
    copied = interop.to(ArrayInterfaceOnly(a), target.name, copy=True)
    assert not interop.shares_memory(copied, a)


# -- not arrays -----------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", [object(), "abc", {"a": 1}, None, {1, 2}],
                         ids=["object", "str", "dict", "None", "set"])
def test_not_an_array(obj: object, target: Backend) -> None:
    with pytest.raises(interop.NotAnArrayError):
        interop.to(obj, target.name)
