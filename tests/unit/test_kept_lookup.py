"""The dispatcher's kept last lookup never answers for tables that have changed since.

The C dispatcher answers a call that repeats the last (copy, device, target, type) without
reading the tables, until ``_remember`` reports a change (``remember``, ``clear``, a registry
change).  Each test runs against both dispatchers: the C one and the Python definition
(which reads the tables on every call), and both must give the same answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import interop
from interop import _convert, _registry, _remember


class Tagged(np.ndarray):
    """A type of its own, so that the tests choose its remembered entries."""


class _NameOnly(interop.Adapter):
    name = "kept_lookup_name_only"


@pytest.fixture(params=["c", "python"])
def dispatch(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    if request.param == "c" and not _convert.ACCELERATED:
        pytest.skip("interop._speedups is not built (pure-Python mode)")
    to = interop.to if request.param == "c" else getattr(interop.to, "__wrapped__", interop.to)
    _remember.clear()
    yield to
    _remember.clear()


def tagged() -> Tagged:
    return np.arange(3.0).view(Tagged)


def native(tag: str) -> Callable[[Any], Any]:
    return lambda x: (tag, x)


def test_identity_after_clear_is_planned_again(dispatch: Callable[..., Any]) -> None:
    a = np.arange(3.0)
    for _ in range(3):
        assert dispatch(a, "numpy") is a
    _remember.clear()
    assert "numpy" not in _remember.ROUTES[None]
    assert dispatch(a, "numpy") is a
    assert _remember.ROUTES[None]["numpy"][np.ndarray] is None  # planned, remembered again


def test_a_replaced_entry_is_used_at_once(dispatch: Callable[..., Any]) -> None:
    x = tagged()
    _remember.remember(None, "numpy", None, Tagged, native=native("first"))
    assert dispatch(x, "numpy")[0] == "first"
    assert dispatch(x, "numpy")[0] == "first"
    _remember.remember(None, "numpy", None, Tagged, native=native("second"))
    assert dispatch(x, "numpy")[0] == "second"


def test_clear_forgets_the_kept_entry(dispatch: Callable[..., Any]) -> None:
    x = tagged()
    _remember.remember(None, "numpy", None, Tagged, native=native("kept"))
    assert dispatch(x, "numpy")[0] == "kept"
    _remember.clear()
    out = dispatch(x, "numpy")
    assert type(out) is Tagged and out is x  # the planner's answer: same framework


def test_a_registry_change_forgets_the_kept_entry(dispatch: Callable[..., Any]) -> None:
    x = tagged()
    with _registry.use():
        _remember.remember(None, "numpy", None, Tagged, native=native("kept"))
        assert dispatch(x, "numpy")[0] == "kept"
        interop.register(_NameOnly())
        assert dispatch(x, "numpy") is x
        _remember.remember(None, "numpy", None, Tagged, native=native("again"))
        assert dispatch(x, "numpy")[0] == "again"
        interop.unregister(_NameOnly.name)
        assert dispatch(x, "numpy") is x


def test_device_routes_are_kept_and_forgotten_alike(dispatch: Callable[..., Any]) -> None:
    x = tagged()
    _remember.remember(None, "numpy", "cpu", Tagged, native=native("device"))
    assert dispatch(x, "numpy", device="cpu")[0] == "device"
    assert dispatch(x, "numpy") is x  # another key: the table without a device
    assert dispatch(x, "numpy", device="cpu")[0] == "device"
    _remember.clear()
    assert dispatch(x, "numpy", device="cpu") is x


def test_alternating_keys_each_get_their_own_entry(dispatch: Callable[..., Any]) -> None:
    class Other(np.ndarray):
        pass

    x, y = tagged(), np.arange(2.0).view(Other)
    _remember.remember(None, "numpy", None, Tagged, native=native("tagged"))
    _remember.remember(True, "numpy", None, Tagged, native=native("tagged copy"))
    _remember.remember(None, "numpy", None, Other, native=native("other"))
    for _ in range(3):
        assert dispatch(x, "numpy")[0] == "tagged"
        assert dispatch(x, "numpy", copy=True)[0] == "tagged copy"
        assert dispatch(y, "numpy")[0] == "other"
        assert dispatch(x, "numpy", copy=False) is x  # no entry for copy=False: planned


def test_an_equal_but_distinct_target_finds_the_same_entry(dispatch: Callable[..., Any]) -> None:
    x = tagged()
    _remember.remember(None, "numpy", None, Tagged, native=native("kept"))
    other_name = "".join(["num", "py"])  # equal to "numpy", another object
    assert other_name is not "numpy"  # noqa: F632 - the point of the test
    assert dispatch(x, other_name)[0] == "kept"
    assert dispatch(x, "numpy")[0] == "kept"


def test_threads_see_every_change(dispatch: Callable[..., Any]) -> None:
    """Calls racing with changes give one of the routes the tables held, and the last at the end."""
    x = tagged()
    tags = [f"gen{i}" for i in range(200)]
    seen: set[Any] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def convert() -> None:
        try:
            while not done.is_set():
                out = dispatch(x, "numpy")
                seen.add(out[0] if type(out) is tuple else "planned")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=convert) for _ in range(3)]
    for worker in workers:
        worker.start()
    for tag in tags:
        _remember.clear()
        _remember.remember(None, "numpy", None, Tagged, native=native(tag))
    done.set()
    for worker in workers:
        worker.join()
    assert not errors
    assert seen <= {*tags, "planned"}
    assert dispatch(x, "numpy")[0] == tags[-1]
