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
from collections.abc import Callable, Iterator
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
            return jax is not None and any(isinstance(x, jax.core.Tracer)
                                           for x in _leaves((args, kwargs), set()))
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
    from ._tree import is_array

    first = True
    wanted = False
    for leaf in _leaves(tree, set()):
        if first and (isinstance(leaf, torch.Tensor) or is_array(leaf)):
            if not isinstance(leaf, torch.Tensor):
                return False  # results go to another framework: they cannot carry a graph
            first = False
        if isinstance(leaf, torch.Tensor) and (leaf.requires_grad or _wrapped(torch, leaf)):
            wanted = True
    return wanted and not first


def _wrapped(torch: Any, tensor: Any) -> bool:
    """A ``torch.func`` wrapper (inside ``torch.func.vmap``/``grad``): only the bridge takes it."""
    return bool(torch._C._functorch.is_functorch_wrapped_tensor(tensor))


def _leaves(node: Any, open_: set[int]) -> Iterator[Any]:
    """Every non-container value of a tree, in ``via``'s walk order (a cycle ends the walk)."""
    if isinstance(node, dict):
        children: Any = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        children = [getattr(node, f.name, None) for f in dataclasses.fields(node)]
    else:
        yield node
        return
    if id(node) in open_:
        return  # the ordinary walk reports the cycle
    open_.add(id(node))
    for child in children:
        yield from _leaves(child, open_)
    open_.discard(id(node))
