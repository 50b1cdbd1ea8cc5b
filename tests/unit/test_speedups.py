"""The C fast path must behave exactly like the Python definitions it sits in front of."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import interop
from interop import _convert

pytestmark = pytest.mark.skipif(not _convert.ACCELERATED,
                                reason="interop._speedups is not built (pure-Python mode)")


def python_to(*args: Any, **kwargs: Any) -> Any:
    return interop.to.__wrapped__(*args, **kwargs)


def test_extension_is_built_where_promised() -> None:
    if os.environ.get("INTEROP_EXPECT_SPEEDUPS") == "1":
        assert _convert.ACCELERATED


def test_looks_like_the_python_function() -> None:
    assert interop.to.__name__ == "to"
    assert interop.to.__doc__ == interop.to.__wrapped__.__doc__
    assert "interop.to" in repr(interop.to)
    import inspect

    assert list(inspect.signature(interop.to).parameters) == [
        "x", "target", "device", "copy", "stream"]


@pytest.mark.parametrize("copy", [None, True, False])
def test_same_results_as_python(copy: bool | None) -> None:
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    pairs = [(a, "torch"), (a, "numpy"), (torch.arange(3.0), "numpy"), (a.T, "torch")]
    if copy is not False:  # a list is always copied
        pairs.append(([1, 2], "numpy"))
    for source, target in pairs:
        for _ in range(2):  # second call takes the installed fast route
            fast, slow = interop.to(source, target, copy=copy), python_to(source, target, copy=copy)
            assert type(fast) is type(slow)
            assert interop.shares_memory(fast, source) == interop.shares_memory(slow, source)
            np.testing.assert_array_equal(interop.to_numpy(fast), interop.to_numpy(slow))


def test_read_only_arrays_are_guarded_in_c() -> None:
    pytest.importorskip("torch")
    ro = np.arange(3.0)
    ro.flags.writeable = False
    for _ in range(3):
        t = interop.to(ro, "torch")
        t[0] = 42.0
    assert ro[0] == 0.0


def test_bad_calls_raise_like_python() -> None:
    a = np.arange(3)
    with pytest.raises(TypeError, match="target"):
        interop.to(a)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bogus"):
        interop.to(a, "numpy", bogus=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="device"):
        interop.to_numpy(a, device="cpu")  # type: ignore[call-arg]
    with pytest.raises(interop.UnknownFrameworkError):
        interop.to(a, ["numpy"])


def test_keywords_reach_the_planner() -> None:
    a = np.arange(3)
    assert interop.to(a, "numpy", device="cpu") is a
    assert interop.to(a, "numpy", copy=None, device=None) is a
    assert interop.to(a, "numpy", copy=True) is not a
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.to(a, "numpy", device="cuda")


def test_route_errors_that_are_not_exceptions_propagate() -> None:
    from interop import _remember

    class Boom(np.ndarray):
        pass

    def interrupt(x: Any) -> Any:
        raise KeyboardInterrupt

    _remember.remember(None, "numpy", None, Boom, native=interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            interop.to(np.arange(2).view(Boom), "numpy")
    finally:
        _remember.clear()


def test_copy_routes_match_the_planned_route() -> None:
    """copy=True fast routes give what planning gives: new memory, same values and dtype."""
    torch = pytest.importorskip("torch")
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    sources = [base, base[:, ::-2], base.T, base.astype(">f4"), np.broadcast_to(base[0], (3, 6))]
    for target in ("numpy", "torch"):
        for x in sources:
            for _ in range(2):
                fast = interop.to(x, target, copy=True)
                planned = _convert.planned(x, target, copy=True)
                assert type(fast) is type(planned)
                assert not interop.shares_memory(fast, x)
                np.testing.assert_array_equal(interop.to_numpy(fast), interop.to_numpy(planned))
                assert str(fast.dtype) == str(planned.dtype)
    t = torch.arange(5.0)
    assert not interop.shares_memory(interop.to(t, "numpy", copy=True), t)


@pytest.mark.parametrize("case", ["read-only", "negative", "byte-swapped"])
def test_writable_guard_decides_before_calling(case: str) -> None:
    """The values torch.from_numpy would refuse never reach it (it throws a C++ exception)."""
    from interop._accel import speedups
    from interop._errors import RouteFallback

    calls = []
    guard = speedups.WritableGuard(calls.append, RouteFallback, np.ndarray)
    a = np.arange(4.0)
    if case == "read-only":
        a.flags.writeable = False
    value = {"negative": a[::-1], "byte-swapped": a.astype(">f8")}.get(case, a)
    with pytest.raises(RouteFallback):
        guard(value)
    assert calls == []
    guard(np.arange(4.0))
    assert len(calls) == 1
