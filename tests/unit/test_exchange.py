"""Routes through the DLPack C exchange API (``interop._exchange``): exact, or they refuse.

Each route is called directly: a value it cannot take as it is must raise
``RouteFallback`` (sending it to the keyed routes and the planner) without calling
anything that throws; a value it takes must give what the planner gives.
"""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import numpy as np
import pytest

import interop
from interop._accel import exchange
from interop._errors import RouteFallback

torch = pytest.importorskip("torch")
_REASON = ("interop._exchange is not built or the C path is off" if exchange is None else
           f"torch {torch.__version__} has no DLPack C exchange API"
           if getattr(torch.Tensor, "__dlpack_c_exchange_api__", None) is None else None)
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

if _REASON is None:
    from interop.adapters.torch import _native_routes

    TO_NUMPY, FROM_NUMPY = _native_routes()


def test_torch_uses_the_exchange_routes() -> None:
    assert type(TO_NUMPY).__name__ == "ToNumpy"
    assert type(FROM_NUMPY).__name__ == "FromNumpy"


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "uint8", "int64", "bool",
                                   "complex64", "float16", "uint16"])
def test_torch_to_numpy_is_a_view_with_the_tensor_as_base(dtype: str) -> None:
    t = torch.from_numpy(np.arange(12).astype(dtype)).reshape(3, 4)[:, 1:]
    a = TO_NUMPY(t)
    assert a.base is t and a.flags.writeable
    np.testing.assert_array_equal(a, t.numpy())
    assert a.strides == t.numpy().strides and a.dtype == t.numpy().dtype


def test_grad_tensors_are_viewed_detached() -> None:
    t = torch.ones(3, requires_grad=True)
    a = TO_NUMPY(t)
    assert np.shares_memory(a, t.detach().numpy())


@pytest.mark.parametrize("make", [
    lambda: torch.tensor([1 + 2j]).conj(),
    lambda: torch.tensor([1 + 2j]).conj().imag,
    lambda: torch.ones(3).to_sparse(),
    lambda: torch._efficientzerotensor(3),
], ids=["conj-bit", "neg-bit", "sparse", "zero-tensor"])
def test_tensors_whose_memory_is_not_their_values_fall_back(make: Any) -> None:
    t = make()
    with pytest.raises(RouteFallback):
        TO_NUMPY(t)


def test_a_subclass_goes_to_the_python_level_call() -> None:
    class Mine(torch.Tensor):
        pass

    t = torch.ones(2).as_subclass(Mine)
    assert TO_NUMPY.other is torch.Tensor.numpy
    np.testing.assert_array_equal(TO_NUMPY(t), np.ones(2, np.float32))


def test_extended_dtypes_cross_bit_exactly() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bits = np.arange(256, dtype=np.uint8)
    for name in ("float8_e4m3fn", "float8_e5m2"):
        a = bits.view(getattr(ml_dtypes, name))
        t = FROM_NUMPY(a)
        assert t.dtype == getattr(torch, name)
        np.testing.assert_array_equal(t.view(torch.uint8).numpy(), bits)
        back = TO_NUMPY(t)
        assert back.dtype == a.dtype and np.shares_memory(back, a)
    b = np.arange(8, dtype=np.uint16).view(ml_dtypes.bfloat16)
    assert FROM_NUMPY(b).dtype == torch.bfloat16


@pytest.mark.parametrize("case", ["read-only", "byte-swapped", "negative", "odd-stride",
                                  "unaligned", "structured", "datetime"])
def test_numpy_values_torch_cannot_alias_fall_back_before_any_torch_call(case: str) -> None:
    a = np.arange(12, dtype=np.float32)
    if case == "read-only":
        a.flags.writeable = False
    elif case == "byte-swapped":
        a = a.astype(">f4")
    elif case == "negative":
        a = a[::-1]
    elif case == "odd-stride":
        a = np.ndarray((3,), np.float32, np.zeros(16, np.uint8).data, 0, (5,))
    elif case == "unaligned":
        a = np.zeros(17, np.uint8)[1:].view(np.float32)
    elif case == "structured":
        a = np.zeros(3, dtype=[("x", "f4")])
    else:
        a = np.zeros(3, dtype="M8[s]")
    with pytest.raises(RouteFallback):
        FROM_NUMPY(a)


def test_numpy_to_torch_shares_and_keeps_the_array_alive() -> None:
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    ref = weakref.ref(a)
    t = FROM_NUMPY(a)
    t[0, 0] = 42
    assert a[0, 0] == 42 and t.stride() == (3, 1)
    del a
    gc.collect()
    assert ref() is not None  # the tensor holds the array
    done = threading.Event()

    def drop() -> None:  # the deleter takes the GIL itself, from any thread
        nonlocal t
        del t
        done.set()

    threading.Thread(target=drop).start()
    done.wait(5)
    gc.collect()
    assert ref() is None


def test_empty_and_zero_dimensional_arrays() -> None:
    assert FROM_NUMPY(np.ones((0, 3))).shape == (0, 3)
    assert FROM_NUMPY(np.ones(())).shape == ()
    assert TO_NUMPY(torch.ones(0, 3)).shape == (0, 3)
    assert TO_NUMPY(torch.tensor(3.0)).shape == ()


def test_planned_and_remembered_agree_on_values_the_routes_refuse() -> None:
    c = torch.tensor([1 + 2j, 3 - 4j])
    for _ in range(2):  # the second call runs the remembered entry
        np.testing.assert_array_equal(interop.to(c.conj(), "numpy"), [1 - 2j, 3 + 4j])
        np.testing.assert_array_equal(interop.to(c.conj().imag, "numpy"), [-2, 4])
        r = np.arange(3.0)
        r.flags.writeable = False
        assert not np.shares_memory(interop.to(r, "torch").numpy(), r)


def test_constructors_check_the_capsule() -> None:
    bad = torch.utils.dlpack.to_dlpack(torch.ones(1))  # a capsule with another name
    with pytest.raises(ValueError):
        exchange.ToNumpy(bad, (), (torch.Tensor,), torch.Tensor.numpy, RouteFallback)
    with pytest.raises(TypeError):
        exchange.FromNumpy(torch.Tensor.__dlpack_c_exchange_api__, ((1, 2),), None,
                           RouteFallback)


def test_versioned_export_makes_the_capsule_dunder_dlpack_makes() -> None:
    """torch -> versioned capsule through the table: torch's own capsule, field for field."""
    from interop._dlpack import read_capsule
    from interop.adapters.torch import _EXPORT_VERSIONED

    assert _EXPORT_VERSIONED is not None
    for t in (torch.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)[:, ::2],
              torch.zeros((), dtype=torch.int8), torch.ones(2, dtype=torch.bfloat16)):
        ours, theirs = _EXPORT_VERSIONED(t), t.__dlpack__(max_version=(1, 1))
        assert read_capsule(ours) == read_capsule(theirs)
        back = torch.from_dlpack(ours)
        assert back.data_ptr() == t.data_ptr() and torch.equal(back, t)


def test_an_unconsumed_versioned_capsule_frees_its_tensor() -> None:
    from interop.adapters.torch import _EXPORT_VERSIONED

    assert _EXPORT_VERSIONED is not None
    t = torch.arange(4.0)
    gone = weakref.ref(t)
    capsule = _EXPORT_VERSIONED(t)
    del t
    gc.collect()
    assert gone() is not None  # the capsule keeps the tensor alive
    del capsule
    gc.collect()
    assert gone() is None  # dropped unconsumed: the deleter ran
