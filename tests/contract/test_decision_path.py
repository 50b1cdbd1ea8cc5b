"""One decision path: what the planner decides is what every later call does.

The differential test (``test_differential.py``) compares results; these tests pin
the machinery around it: remembered keyword calls, pickling, the registry's
validation and change signal, bounded caches, the switch for the C path, and
``explain`` never converting.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import subprocess
import sys
import weakref
from typing import Any

import numpy as np
import pytest

import interop
from interop import _convert, _registry, _remember

from doubles import FakeCudaProducer


def _entry(copy: bool | None, target: str, tp: type, device: Any = None) -> Any:
    table = _remember.ROUTES[copy] if device is None else _remember.DEVICE_ROUTES[copy][device]
    return table[target][tp]


@pytest.mark.parametrize("kwargs", [{"copy": False}, {"copy": True}, {"device": "cpu"},
                                    {"copy": False, "device": "cpu"}])
def test_keyword_calls_are_remembered(kwargs: dict[str, Any]) -> None:
    pytest.importorskip("torch")
    _remember.clear()
    a = np.arange(4.0)
    first = interop.to(a, "torch", **kwargs)
    entry = _entry(kwargs.get("copy"), "torch", np.ndarray, kwargs.get("device"))
    assert entry is not None
    second = interop.to(a, "torch", **kwargs)
    assert type(first) is type(second)
    assert (first.data_ptr() == a.ctypes.data) == (second.data_ptr() == a.ctypes.data)


def test_a_type_remembers_one_route_per_kind_of_value() -> None:
    """Writable and read-only arrays of one type each keep their own route (no re-planning)."""
    torch = pytest.importorskip("torch")
    _remember.clear()
    a = np.arange(4.0)
    ro = a.copy()
    ro.flags.writeable = False
    for x in (a, ro, a[::-1], a, ro):
        t = interop.to(x, "torch", copy=True)
        assert isinstance(t, torch.Tensor) and t.data_ptr() != x.ctypes.data
    entry = _entry(True, "torch", np.ndarray)
    assert len(entry.runs) == 3


def test_numpy_scalars_copy_true_keep_their_planned_type() -> None:
    x = np.float64(1.5)
    results = [interop.to(x, "numpy", copy=True) for _ in range(3)]
    assert all(type(r) is np.ndarray and r.shape == () for r in results)


@pytest.mark.parametrize("make", [np.asmatrix, lambda a: a.view(type("Mine", (np.ndarray,), {}))])
def test_subclasses_copy_true_give_base_arrays(make: Any) -> None:
    x = make(np.arange(6.0).reshape(2, 3))
    for _ in range(3):
        out = interop.to(x, "numpy", copy=True)
        assert type(out) is np.ndarray
        assert not np.shares_memory(out, x)


def test_masked_arrays_are_refused_not_unmasked() -> None:
    m = np.ma.masked_array([1.0, 2.0], mask=[True, False])
    for target in ("numpy", "torch"):
        pytest.importorskip(target)
        with pytest.raises(interop.InteropError, match="mask"):
            interop.to(m, target)


def test_settings_of_the_target_are_rechecked() -> None:
    """A route into JAX remembered with x64 on is not taken once x64 is off."""
    jax = pytest.importorskip("jax")
    a = np.arange(3.0)
    previous = jax.config.jax_enable_x64
    try:
        jax.config.update("jax_enable_x64", True)
        assert interop.to(a, "jax").dtype == np.float64
        jax.config.update("jax_enable_x64", False)
        with pytest.raises(interop.UnsupportedDtypeError, match="64-bit"):
            interop.to(a, "jax")
    finally:
        jax.config.update("jax_enable_x64", previous)


# -- pickling -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["to", "to_numpy", "explain", "like", "to_each", "via",
                                  "shares_memory", "device", "framework"])
def test_entry_points_pickle_by_name(name: str) -> None:
    func = getattr(interop, name)
    assert pickle.loads(pickle.dumps(func)) is func


def test_values_pickle() -> None:
    assert pickle.loads(pickle.dumps(interop.Device("cuda", 1))) == interop.Device("cuda", 1)
    assert pickle.loads(pickle.dumps(interop.NO_SYNC)) is interop.NO_SYNC
    err = interop.CopyRequiredError("copy=False, but ...", ("one", "two"))
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is interop.CopyRequiredError
    assert back.reasons == ("one", "two") and str(back) == str(err)
    for cls in (interop.UnsupportedDtypeError, interop.NotAnArrayError,
                interop.UnknownFrameworkError, interop.UnsupportedDeviceError):
        assert str(pickle.loads(pickle.dumps(cls("why")))) == "why"


def test_multiprocessing_pool_maps_to_numpy() -> None:
    torch = pytest.importorskip("torch")
    tensors = [torch.arange(3.0) * i for i in range(4)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        arrays = pool.map(interop.to_numpy, tensors)
    assert [a.tolist() for a in arrays] == [t.tolist() for t in tensors]


def test_copy_required_error_carries_its_reasons() -> None:
    pytest.importorskip("torch")
    a = np.arange(6.0)[::-1]
    a.flags.writeable = False
    with pytest.raises(interop.CopyRequiredError) as caught:
        interop.to(a, "torch", copy=False)
    reasons = caught.value.reasons
    assert isinstance(reasons, tuple) and len(reasons) == 2
    assert any("read-only" in r for r in reasons) and any("negative" in r for r in reasons)


# -- the registry --------------------------------------------------------------------------------

class _NameOnly(interop.Adapter):
    name = "name_only"


class _OwnsWithoutDescribe(interop.Adapter):
    name = "owns_only"

    def owns(self, tp: type) -> bool:
        return False


class _TargetWithoutImport(interop.Adapter):
    name = "half_target"

    def check_dtype(self, dtype: str) -> None:
        pass


def test_register_validates_adapters() -> None:
    with _registry.use():
        interop.register(_NameOnly())  # owns nothing, targets nothing: valid
        with pytest.raises(TypeError, match="describe"):
            interop.register(_OwnsWithoutDescribe())
        with pytest.raises(TypeError, match="from_dlpack"):
            interop.register(_TargetWithoutImport())
        with pytest.raises(TypeError, match="Adapter instance"):
            interop.register(object())  # type: ignore[arg-type]


def test_register_and_unregister_empty_the_route_caches() -> None:
    pytest.importorskip("torch")
    with _registry.use():
        interop.to(np.arange(3.0), "torch")
        assert _remember.ROUTES[None]["torch"]
        interop.register(_NameOnly())
        assert "torch" not in _remember.ROUTES[None]
        interop.to(np.arange(3.0), "torch")
        interop.unregister("name_only")
        assert "torch" not in _remember.ROUTES[None]


def test_a_fresh_registry_leaves_the_global_one_alone() -> None:
    with _registry.use():
        interop.register(_NameOnly())
        assert "name_only" in interop.registry()
    assert "name_only" not in interop.registry()


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(interop.UnknownFrameworkError, match=r"(?i)did you mean 'torch'"):
        interop.to(np.arange(2), "pytorch")
    with pytest.raises(interop.UnknownFrameworkError, match=r"(?i)did you mean 'numpy'"):
        interop.to(np.arange(2), "Numpy")


def test_module_names_are_accepted_as_targets() -> None:
    pytest.importorskip("jax")
    out = interop.to(np.arange(3, dtype=np.float32), "jax.numpy")
    assert interop.framework(out) == "jax"


# -- bounded caches --------------------------------------------------------------------------------

class _Echo(interop.Adapter):
    """A target that takes NumPy arrays as they are."""

    name = "echo"
    host_hub = True
    holds_read_only = True
    any_layout = True

    def from_dlpack(self, producer: Any) -> Any:
        return np.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        return array


def test_adapters_passed_as_targets_are_not_kept_alive() -> None:
    target = _Echo()
    ref = weakref.ref(target)
    for _ in range(3):
        interop.to(np.arange(3.0), target)
    del target
    gc.collect()
    assert ref() is None


def test_classes_made_in_a_loop_do_not_grow_the_tables_without_end() -> None:
    a = np.arange(3.0)
    for i in range(_remember.MAX_TYPES + 50):
        sub = type(f"Sub{i}", (np.ndarray,), {})
        interop.to(a.view(sub), "numpy", copy=True)
    assert len(_remember.ROUTES[True]["numpy"]) <= _remember.MAX_TYPES
    assert len(_registry._current.types) <= _registry.MAX_TYPES


# -- the C path switch, explain -------------------------------------------------------------------

def test_interop_no_speedups_selects_the_python_path() -> None:
    code = "import interop._convert as c; print(c.ACCELERATED, c.SPEEDUPS_REASON)"
    env = {**os.environ, "INTEROP_NO_SPEEDUPS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.startswith("False") and "INTEROP_NO_SPEEDUPS" in out
    if _convert.ACCELERATED:
        assert _convert.SPEEDUPS_REASON is None
    else:
        assert _convert.SPEEDUPS_REASON


def test_explain_asks_a_device_producer_for_metadata_only() -> None:
    from test_streams import FakeDeviceProducer  # its capsules say CUDA too

    producer = FakeDeviceProducer(np.arange(4, dtype=np.float32))
    plan = interop.explain(producer, "numpy")
    assert producer.calls and all(call["dl_device"] is None and not call["copy"]
                                  for call in producer.calls)
    assert str(plan.source_device) == "cuda:0"
    assert not plan.zero_copy
    claims_only = FakeCudaProducer(np.arange(4, dtype=np.float32))
    interop.explain(claims_only, "numpy")
    assert all("dl_device" not in call for call in claims_only.calls)


def test_explain_and_planned_remember_nothing() -> None:
    pytest.importorskip("torch")
    _remember.clear()
    a = np.arange(3.0)
    interop.explain(a, "torch")
    _convert.planned(a, "torch")
    assert "torch" not in _remember.ROUTES[None]
