"""When a ``via`` call carries gradients, and the tree helpers the two gradient bridges share.

``via`` converts arguments and results, which cuts autograd: a torch tensor that
requires grad is detached, a JAX tracer cannot leave JAX.  ``GradBridge`` decides, per
call and without importing any framework, whether the call must instead go through a
bridge that carries gradients across:

* target JAX, a torch caller, torch grad mode on, some torch argument requiring grad (or
  wrapped by ``torch.func``) and a torch tensor as the first array argument (where ``via``
  sends results):
  ``_grad_torch`` (a ``torch.autograd.Function`` around ``jax.vjp``);
* target torch and some argument a JAX tracer (inside ``jax.grad``, ``jax.jit``,
  ``jax.vmap``...): ``_grad_jax`` (a ``jax.custom_vjp`` around ``jax.pure_callback``).

Every other call takes ``via``'s ordinary path, unchanged.  This module imports no
framework: it looks for one in ``sys.modules`` (a tensor cannot exist before its module).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["GradBridge"]


class GradBridge:
    """The gradient side of one ``via``-decorated function (one per decoration).

    It holds what outlives a call: the resolved target name and, for the JAX bridge,
    the output shapes of each input signature (one evaluation each).
    """

    __slots__ = ("_name", "copy", "device", "func", "result_shape", "shapes", "target")

    def __init__(self, func: Callable[..., Any], target: Any, device: Any, copy: bool | None,
                 result_shape: Any) -> None:
        self.func, self.target, self.device, self.copy = func, target, device, copy
        self.result_shape = result_shape
        self.shapes: dict[Any, Any] = {}
        self._name: str | None = None

    def applies(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether this call needs a bridge; cheap when no framework concerned is loaded."""
        name = self._target_name()
        if name == "jax":
            torch = sys.modules.get("torch")
            return (torch is not None and torch.is_grad_enabled()
                    and _torch_needs_grad(torch, (args, kwargs)))
        if name == "torch":
            jax = sys.modules.get("jax")
            tracer = jax.core.Tracer if jax is not None else None
            return tracer is not None and _any_leaf(
                (args, kwargs), lambda x: isinstance(x, tracer), set())
        return False

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._name == "jax":
            from ._grad_torch import call_jax
            return call_jax(self, args, kwargs)
        from ._grad_jax import call_torch
        return call_torch(self, args, kwargs)

    def _target_name(self) -> str | None:
        if self._name is None:
            from ._registry import resolve_target
            try:
                self._name = resolve_target(self.target).name
            except Exception:  # noqa: BLE001 - the ordinary path raises the proper error
                return None
        return self._name


def _torch_needs_grad(torch: Any, tree: Any) -> bool:
    """A tensor requires grad (or is a ``torch.func`` wrapper); the first array is torch's."""
    from ._tree import is_array

    state = [False, False]  # [first array met, a tensor needing the bridge met]

    def visit(leaf: Any) -> bool:
        if isinstance(leaf, torch.Tensor):
            state[0] = True
            if leaf.requires_grad or _wrapped(torch, leaf):
                state[1] = True
                return True
        elif not state[0] and is_array(leaf):
            return True  # results go to another framework: they cannot carry a graph
        return False

    _any_leaf(tree, visit, set())
    return state[1]


def _wrapped(torch: Any, tensor: Any) -> bool:
    """A ``torch.func`` wrapper (inside ``torch.func.vmap``/``grad``): only the bridge takes it."""
    return bool(torch._C._functorch.is_functorch_wrapped_tensor(tensor))


def _any_leaf(node: Any, visit: Callable[[Any], bool], open_: set[int]) -> bool:
    """Visit the non-container values of a tree in ``via``'s walk order until ``visit`` says
    stop (True); a cycle ends the walk (the ordinary path reports it)."""
    tp = type(node)
    kind = _KINDS.get(tp)
    if kind is None:
        kind = _KINDS[tp] = _kind(tp)
    if kind == _LEAF:
        return visit(node)
    if kind == _SEQUENCE:
        children: Any = node
    elif kind == _MAPPING:
        children = node.values()
    else:
        children = [getattr(node, f.name, None) for f in dataclasses.fields(node)]
    if id(node) in open_:
        return False
    open_.add(id(node))
    for child in children:
        if _any_leaf(child, visit, open_):
            return True
    open_.discard(id(node))
    return False


_LEAF, _SEQUENCE, _MAPPING, _DATACLASS = range(4)
#: The container kind of each type met (bounded by the number of types a program uses).
_KINDS: dict[type, int] = {}


def _kind(tp: type) -> int:
    if issubclass(tp, dict):
        return _MAPPING
    if issubclass(tp, (list, tuple)):
        return _SEQUENCE
    return _DATACLASS if dataclasses.is_dataclass(tp) else _LEAF


def _leaves(node: Any, open_: set[int]) -> list[Any]:
    """Every non-container value of a tree, in ``via``'s walk order."""
    found: list[Any] = []

    def keep(leaf: Any) -> bool:
        found.append(leaf)
        return False

    _any_leaf(node, keep, open_)
    return found
