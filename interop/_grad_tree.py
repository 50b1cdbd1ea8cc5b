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

from ._tree import _walk, _Walker

__all__ = ["Slot", "fill", "split"]


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
        return super().walk(node)

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
        return super().walk(node)

    def leaf(self, x: Any) -> Any:
        return x


def split(tree: Any, select: Callable[[Any], bool]) -> tuple[Any, list[Any], Any]:
    """The tree with each selected value replaced by a ``Slot``, those values in order, and
    the first array or selected value met (``via`` sends results to its framework)."""
    take = _Take(select)
    skeleton = _walk(take, tree)
    return skeleton, take.taken, take.first


def fill(skeleton: Any, values: Sequence[Any]) -> Any:
    """``split``'s inverse: every ``Slot`` replaced by ``values[slot.index]``."""
    return _walk(_Put(values), skeleton)
