"""Paddle with numpy and torch: mutable tensors, detach without copy, no uint16 as bfloat16.

Runs in its own session (``nox -s paddle``): importing tensorflow and then paddle in one
process segfaults.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

if "tensorflow" in sys.modules:  # pragma: no cover - a session mixing both would crash here
    pytest.skip("tensorflow is imported in this process; paddle would segfault",
                allow_module_level=True)
paddle = pytest.importorskip("paddle", reason="paddle is not installed (nox -s paddle)")

import interop  # noqa: E402

from pairs import DTYPES, LAYOUTS, check_pair  # noqa: E402

pytest.importorskip("torch")
FRAMEWORKS = ["numpy", "torch", "paddle"]


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("src", "dst"), [(s, d) for s in FRAMEWORKS for d in FRAMEWORKS
                                          if "paddle" in (s, d)])
def test_pairs(src: str, dst: str, dtype: str, layout: str, copy: bool | None) -> None:
    check_pair(src, dst, dtype, layout, copy)


def test_uint16_never_becomes_bfloat16() -> None:
    a = np.arange(4, dtype=np.uint16)
    with pytest.raises(interop.UnsupportedDtypeError, match="bfloat16"):
        interop.to(a, "paddle")
    with pytest.raises(interop.UnsupportedDtypeError, match="uint16"):
        interop.explain(a, "paddle")


def test_grad_tensor_detached_without_copy() -> None:
    t = paddle.to_tensor([1.0, 2.0], stop_gradient=False)
    plan = interop.explain(t, "numpy")
    assert plan.detach and plan.zero_copy
    out = interop.to(t, "numpy", copy=False)
    assert out.__array_interface__["data"][0] == t.data_ptr()


def test_device_and_explain_do_not_raise() -> None:
    t = paddle.to_tensor([1.0])
    assert str(interop.device(t)) == "cpu"
    assert str(interop.explain(t, "torch")).startswith("paddle")
    assert interop.is_array(t)


def test_read_only_numpy_is_copied() -> None:
    a = np.arange(4.0)
    a.flags.writeable = False
    assert "read-only" in str(interop.explain(a, "paddle"))
    with pytest.raises(interop.CopyRequiredError):
        interop.to(a, "paddle", copy=False)


def test_paddle_numpy_routes_use_the_c_exchange_table_where_built() -> None:
    """Paddle publishes the DLPack exchange table; its routes share and refuse as planned."""
    from interop._accel import exchange
    from interop._errors import RouteFallback
    from interop.adapters.paddle import _native_routes

    to_numpy, from_numpy = _native_routes()
    if exchange is None:
        assert (to_numpy, from_numpy) == (None, None)
        return
    t = paddle.arange(6, dtype="float32")
    view = to_numpy(t)
    assert view.__array_interface__["data"][0] == t.data_ptr() and view.base is t
    a = np.arange(6, dtype=np.float32)
    shared = from_numpy(a)
    shared[0] = 42
    assert a[0] == 42
    read_only = a.copy()
    read_only.flags.writeable = False
    for refused in (read_only, a[::-1], np.arange(3, dtype=np.uint16)):
        with pytest.raises(RouteFallback):
            from_numpy(refused)
