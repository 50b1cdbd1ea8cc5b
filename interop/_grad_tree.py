"""Take leaves out of a tree and put values back, walking it exactly as ``via`` does.

The gradient bridges hand a framework's autograd only the leaves it differentiates
(tensors that require grad, JAX tracers), as flat lists; the rest of the call's
arguments stays in a *skeleton* whose containers (lists, tuples, named tuples, dicts,
dataclasses) are rebuilt by ``via``'s own walker, so the function receives what the
ordinary ``via`` path would have built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._tree import _InwardWalker, _walk, _Walker

__all__ = ["Slot", "convert_rest", "fill", "split"]


class Slot:
    """Where ``split`` took a leaf out of a tree; ``fill`` puts a value back there."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"Slot({self.index})"


class _Take(_Walker):
    """Replace each selected value (checked before the container walk) by a ``Slot``."""

    __slots__ = ("select", "taken")

    def __init__(self, select: Callable[[Any], bool]) -> None:
        super().__init__(None, None, None, None)
        self.select: Callable[[Any], bool] = select
        self.taken: list[Any] = []

    def walk(self, node: Any) -> Any:
        if self.select(node):
            if self.first is None:
                self.first = node
            self.taken.append(node)
            return Slot(len(self.taken) - 1)
        return _plain_container(self, node)

    def leaf(self, x: Any) -> Any:
        if self.first is None:
            self.first = x
        return x  # an array that is not selected stays as it is


class _Put(_Walker):
    __slots__ = ("values",)

    def __init__(self, values: Sequence[Any]) -> None:
        super().__init__(None, None, None, None)
        self.values = values

    def walk(self, node: Any) -> Any:
        if type(node) is Slot:
            return self.values[node.index]
        return _plain_container(self, node)

    def leaf(self, x: Any) -> Any:
        return x


def _plain_container(walker: _Walker, node: Any) -> Any:
    """Plain tuples, lists and dicts rebuilt directly (the common case, and the cheap one);
    everything else, and a container met again (a cycle, which it reports), by the walker."""
    tp = type(node)
    if (tp is tuple or tp is list or tp is dict) and id(node) not in walker._open:
        walker._open.add(id(node))
        if tp is dict:
            out: Any = {key: walker.walk(value) for key, value in node.items()}
        else:
            out = [walker.walk(value) for value in node]
            if tp is tuple:
                out = tuple(out)
        walker._open.discard(id(node))
        return out
    return _Walker.walk(walker, node)


class _Rest(_InwardWalker):
    """``via``'s walk over the arguments, stepping over the ``Slot``s (no detection)."""

    __slots__ = ()

    def walk(self, node: Any) -> Any:
        if type(node) is Slot:
            return node
        return super().walk(node)


def convert_rest(skeleton: Any, target: str, device: Any, copy: bool | None) -> Any:
    """Convert the arrays ``split`` left in a skeleton, as ``via`` converts its arguments."""
    return _walk(_Rest(target, device, copy, None), skeleton)


def split(tree: Any, select: Callable[[Any], bool]) -> tuple[Any, list[Any], Any]:
    """The tree with each selected value replaced by a ``Slot``, those values in order, and
    the first array or selected value met (``via`` sends results to its framework)."""
    take = _Take(select)
    skeleton = _walk(take, tree)
    return skeleton, take.taken, take.first


def fill(skeleton: Any, values: Sequence[Any]) -> Any:
    """``split``'s inverse: every ``Slot`` replaced by ``values[slot.index]``."""
    return _walk(_Put(values), skeleton)
