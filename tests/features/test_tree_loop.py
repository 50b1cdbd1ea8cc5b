"""``to_each``'s loop over list and tuple items: the C loop and the Python one agree.

With the extension built, ``to_each`` and the walker run the items of a list or tuple in
``interop.to.run_items`` (C); without it, in ``_Walker._items`` (Python).  Each test runs
both (the Python loop by switching the C one off) and checks what the caller sees: the
results, the error raised and the path in its note, and ``via``'s first array.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest

import interop
from interop import _remember, _tree
from interop._errors import RouteFallback


class Pair(NamedTuple):
    left: Any
    right: Any


class Boom(np.ndarray):
    """A type whose remembered route each test chooses."""


class Reversed(list):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        return reversed(list(super().__iter__()))


@pytest.fixture(params=["c", "python"])
def loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "c" and _tree._run_items is None:
        pytest.skip("interop._speedups is not built (pure-Python mode)")
    if request.param == "python":
        monkeypatch.setattr(_tree, "_run_items", None)
    _remember.clear()
    return str(request.param)


def mixed() -> list[Any]:
    a = np.arange(4.0)
    read_only = np.arange(3.0)
    read_only.flags.writeable = False
    return [a, 1.0, "s", None, [a, (a, 2)], {"k": a}, np.float32(2.5), Pair(a, "x"),
            read_only, a[::-1], (), [], [1.0, 2.0], Reversed([a, np.ones(2)])]


def same(result: Any, expected: Any, source: Any) -> None:
    """``result`` and ``expected`` alike: types, values, and which leaves are the source."""
    assert type(result) is type(expected)
    if isinstance(expected, dict):
        assert list(result) == list(expected)
        for key in expected:
            same(result[key], expected[key], source[key])
    elif isinstance(expected, (list, tuple)):
        assert len(result) == len(expected)
        for r, e, s in zip(result, expected, list(source), strict=True):
            same(r, e, s)
    elif interop.is_array(expected):
        assert (result is source) == (expected is source)
        np.testing.assert_array_equal(interop.to_numpy(result), interop.to_numpy(expected))
        assert str(result.dtype) == str(expected.dtype)
    else:
        assert result == expected


@pytest.mark.parametrize("target", ["numpy", "torch"])
@pytest.mark.parametrize("container", [list, tuple])
def test_results_match_converting_each_leaf(loop: str, target: str, container: type) -> None:
    if target == "torch":
        pytest.importorskip("torch")
    tree = container(mixed())
    for _ in range(3):  # the first call plans, the later ones run remembered routes
        out = interop.to_each(tree, target)
        assert type(out) is container and out is not tree
        expected = [interop.to_each(item, target) if isinstance(item, (list, tuple, dict))
                    else interop.to(item, target) if interop.is_array(item) else item
                    for item in tree]
        same(list(out), expected, list(tree))


def test_a_failing_leaf_names_its_path(loop: str) -> None:
    pytest.importorskip("torch")
    a = np.arange(3.0)
    for _ in range(2):
        interop.to_each([a, a], "torch")
        with pytest.raises(interop.UnsupportedDtypeError) as info:
            interop.to_each([a, a, (a, np.array(["text"]))], "torch")
        assert info.value.__notes__ == ["while converting the leaf at [2][1]"]


def test_an_error_from_a_remembered_route_names_its_path(loop: str) -> None:
    def broken(x: Any) -> Any:
        raise ValueError("broken route")

    _remember.remember(None, "numpy", None, Boom, key=lambda x: 1, route_key=1, run=broken)
    try:
        with pytest.raises(ValueError, match="broken route") as info:
            interop.to_each([np.arange(2.0), np.arange(2.0).view(Boom)], "numpy")
        assert info.value.__notes__ == ["while converting the leaf at [1]"]
    finally:
        _remember.clear()


def test_an_interrupt_leaves_without_a_path(loop: str) -> None:
    def interrupt(x: Any) -> Any:
        raise KeyboardInterrupt

    _remember.remember(None, "numpy", None, Boom, key=lambda x: 1, route_key=1, run=interrupt)
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            interop.to_each([np.arange(2.0).view(Boom)], "numpy")
        assert not getattr(info.value, "__notes__", None)
    finally:
        _remember.clear()


def test_a_route_that_hands_the_value_back_walks_it(loop: str) -> None:
    calls: list[Any] = []

    def refuse(x: Any) -> Any:
        calls.append(x)
        raise RouteFallback

    _remember.remember(None, "numpy", None, Boom, key=lambda x: 1, route_key=1, run=refuse)
    try:
        value = np.arange(2.0).view(Boom)
        (out,) = interop.to_each([value], "numpy")
        assert out is value  # the planner's answer: same framework, the value itself
        assert calls  # the remembered route was asked first
    finally:
        _remember.clear()


def test_a_list_holding_itself_is_refused(loop: str) -> None:
    a = np.arange(2.0)
    interop.to_each([a], "numpy")
    cycle: list[Any] = [a]
    cycle.append((a, cycle))
    with pytest.raises(interop.InteropError, match="contains itself"):
        interop.to_each(cycle, "numpy")


def test_via_answers_in_the_first_array_met(loop: str) -> None:
    torch = pytest.importorskip("torch")
    a, t = np.arange(3.0), torch.arange(3.0)

    @interop.via("numpy")
    def ones(items: list[Any]) -> Any:
        return np.ones(1)

    for _ in range(2):
        assert isinstance(ones([1.0, [t], a]), torch.Tensor)  # t is met first, inside a list
        assert isinstance(ones([a, [t]]), np.ndarray)
        assert isinstance(ones([2, t, a]), torch.Tensor)
