"""array-api-strict arrays as sources: one DLPack capsule per conversion, read-only kept.

The adapter asks each array for one capsule and the conversion describes, keys and
consumes that capsule (``StrictAdapter.coerce``), for the planned and the remembered call
alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import interop
from interop import UnsupportedDeviceError

xp = pytest.importorskip("array_api_strict")


def _read_only() -> Any:
    base = np.arange(6, dtype=np.float32)
    base.flags.writeable = False
    return xp.asarray(base), base


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``__dlpack__`` call made on a strict array, with its keywords."""
    calls: list[dict[str, Any]] = []
    tp = type(xp.asarray(0))
    original = tp.__dlpack__

    def spy(self: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(tp, "__dlpack__", spy)
    return calls


@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
def test_one_export_per_conversion(target: str, exports: list[dict[str, Any]]) -> None:
    pytest.importorskip(target)
    a = xp.asarray(np.arange(4, dtype=np.float32))
    for n in range(1, 4):  # the first call plans, the later ones run the remembered route
        result = interop.to(a, target)
        assert len(exports) == n
        np.testing.assert_array_equal(interop.to_numpy(result), np.arange(4, dtype=np.float32))
    assert all(call.get("max_version") == (1, 1) and call["stream"] is None for call in exports)


def test_read_only_reaches_numpy_as_a_read_only_view() -> None:
    a, base = _read_only()
    for _ in range(2):
        view = interop.to(a, "numpy")
        assert np.shares_memory(view, base)
        assert not view.flags.writeable


def test_read_only_reaches_torch_as_a_copy() -> None:
    torch = pytest.importorskip("torch")
    a, base = _read_only()
    for _ in range(2):
        t = interop.to(a, "torch")
        assert isinstance(t, torch.Tensor)
        assert t.data_ptr() != base.__array_interface__["data"][0]
        t[0] = 99.0  # a private copy: the read-only source is untouched
        assert base[0] == 0.0
    with pytest.raises(interop.CopyRequiredError, match="read-only"):
        interop.to(a, "torch", copy=False)


def test_read_only_reaches_jax_through_a_numpy_view() -> None:
    pytest.importorskip("jax")
    a, base = _read_only()
    for _ in range(2):  # JAX reads only legacy capsules, which cannot carry READ_ONLY
        np.testing.assert_array_equal(np.asarray(interop.to(a, "jax")), base)


def test_strict_to_strict_is_the_identity() -> None:
    a = xp.asarray(np.arange(3))
    assert interop.to(a, "array_api_strict") is a
    copied = interop.to(a, "array_api_strict", copy=True)
    assert copied is not a
    np.testing.assert_array_equal(np.from_dlpack(copied), np.arange(3))


def test_a_simulated_device_is_refused_with_a_hint() -> None:
    a = xp.asarray([1.0, 2.0], device=xp.Device("device1"))
    with pytest.raises(UnsupportedDeviceError, match="CPU_DEVICE"):
        interop.to(a, "numpy")
    with pytest.raises(UnsupportedDeviceError, match="CPU_DEVICE"):
        interop.explain(a, "torch")
