"""torch caller, JAX function: ``via("jax")`` as a ``torch.autograd.Function`` around ``jax.vjp``.

The tensors that require grad are the Function's inputs; every other argument is
converted by ``via``'s ordinary walk and closed over.  Forward runs ``jax.vjp`` once and
keeps its ``vjp`` function; backward feeds it the incoming gradients (a zero cotangent
for an output no loss used, a ``float0`` one for integer outputs) and hands JAX's
gradients back in each leaf's dtype and device.

Copies: values cross through ``interop.to`` (zero-copy where the layout allows).  JAX's
outputs and gradients are new buffers, so they reach torch through ``unsafe_alias`` on
purpose, except a buffer that is also an input or an earlier output (``f`` returned an
argument): that one is copied, as ``via`` would.  Aliased outputs are saved for
backward, so an in-place write to one (which would change what JAX kept for the
backward pass) makes ``backward`` raise torch's usual "modified by an inplace
operation" error instead of a wrong gradient.  Second order (``create_graph=True``):
backward is itself bridged, as the JAX function ``(x, ct) -> vjp(f, x)(ct)``.

Complex values: torch's gradients are the conjugates of JAX's, so cotangents and
gradients are conjugated at the border.

``torch.func``: the Function has a ``setup_context`` (so ``torch.func.grad``/``jacrev``
work) and a ``vmap`` rule, which bridges ``jax.vmap`` of the function; a backward whose
gradients are batched is bridged like a second-order one, per example.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import torch

from ._convert import to, unsafe_alias
from ._errors import CopyRequiredError
from ._grad import GradBridge, _leaves
from ._grad_tree import convert_rest, fill, split
from ._tree import is_array

__all__ = ["call_jax"]

#: Host outputs this large are aliased; smaller ones are copied, which costs less than
#: planning an alias (``unsafe_alias`` is not remembered).  Device outputs are always aliased.
ALIAS_BYTES = 1 << 18


class _Flat:
    """A JAX function of flat arrays returning a tuple of arrays, and where it runs."""

    __slots__ = ("copy", "device", "home", "kept", "known", "run")

    def __init__(self, run: Callable[..., tuple[Any, ...]], device: Any, copy: bool | None,
                 known: Callable[[], list[Any]],
                 home: torch.device | list[torch.device]) -> None:
        self.run, self.device, self.copy, self.known = run, device, copy, known
        self.home = home  # where the outputs go: one device for all, or one each
        self.kept: Any = None  # forward's vjp and output shapes, read by setup_context

    def homes(self, count: int) -> list[torch.device]:
        return self.home if isinstance(self.home, list) else [self.home] * count


def call_jax(bridge: GradBridge, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``bridge.func(*args, **kwargs)`` in JAX, differentiable by torch's autograd."""
    skeleton, diff, first = split((args, kwargs), _crosses)
    skeleton = convert_rest(skeleton, "jax", bridge.device, bridge.copy)

    def known() -> list[Any]:  # converted arguments f might return as they are
        return [v for v in _leaves(skeleton, set()) if isinstance(v, jax.Array)]

    shape: list[Any] = [None]
    func = bridge.func

    def run(*xs: Any) -> tuple[Any, ...]:
        call_args, call_kwargs = fill(skeleton, xs)
        result, outs, _ = split(func(*call_args, **call_kwargs), _is_output)
        shape[0] = result
        return tuple(outs)

    flat = _Flat(run, bridge.device, bridge.copy, known, first.device)
    outputs = _Bridge.apply(flat, *diff)
    return fill(shape[0], outputs)


def _crosses(x: Any) -> bool:
    """The tensors handed to the Function: those requiring grad, and torch.func's wrappers."""
    return isinstance(x, torch.Tensor) and (x.requires_grad or _wrapped(x))


_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


def _is_output(x: Any) -> bool:
    return isinstance(x, jax.Array) or is_array(x)  # tracers are not arrays to interop


class _Bridge(torch.autograd.Function):  # type: ignore[misc]
    """Inputs: the tensors requiring grad; outputs: ``flat.run``'s arrays, in torch."""

    @staticmethod
    def forward(flat: _Flat, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        xs = [to(t.detach(), "jax", device=flat.device, copy=flat.copy) for t in tensors]
        try:
            outs, vjp = jax.vjp(flat.run, *xs)
        except jax.errors.ConcretizationTypeError as exc:
            exc.add_note("interop.via('jax') traces the function with jax.vjp because a torch "
                         "argument requires grad; call it under torch.no_grad() (or detach the "
                         "arguments) if it needs concrete values and no gradient.")
            raise
        results = _to_torch(outs, flat.homes(len(outs)), lambda: [*xs, *flat.known()])
        flat.kept = (vjp, [jax.ShapeDtypeStruct(o.shape, o.dtype) for o in outs])
        return tuple(results)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Any, ...]) -> None:
        flat, *tensors = inputs
        ctx.set_materialize_grads(False)
        ctx.mark_non_differentiable(*[r for r in output if not _inexact(r)])
        ctx.save_for_backward(*tensors, *output)
        ctx.vjp, ctx.outs = flat.kept  # functorch may set up several levels for one forward
        ctx.flat, ctx.count = flat, len(tensors)

    @staticmethod
    def vmap(info: Any, in_dims: tuple[Any, ...], flat: _Flat,
             *tensors: torch.Tensor) -> tuple[tuple[torch.Tensor, ...], tuple[int, ...]]:
        """``torch.func.vmap``: the same bridge around ``jax.vmap`` of the function."""
        batched = _Flat(jax.vmap(flat.run, in_axes=tuple(in_dims[1:])), flat.device, flat.copy,
                        flat.known, flat.home)
        outputs = _Bridge.apply(batched, *tensors)
        # for a level of torch.func.grad above this one: no per-example vjp, only the shapes
        flat.kept = (None, [jax.ShapeDtypeStruct(o.shape[1:], o.dtype) for o in batched.kept[1]])
        return outputs, (0,) * len(outputs)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[Any, ...]:
        saved = ctx.saved_tensors  # checks that no aliased output was written in place
        tensors = saved[:ctx.count]
        if torch.is_grad_enabled() or ctx.vjp is None or any(
                g is not None and _wrapped(g) for g in grads):
            # create_graph=True, or batched by torch.func.vmap: the backward is bridged too
            return (None, *_second_order(ctx.flat, ctx.outs, tensors, grads))
        cts = [_cotangent(g, o, ctx.flat.device) for g, o in zip(grads, ctx.outs, strict=True)]
        found = [_conj(g) for g in ctx.vjp(tuple(cts))]
        return (None, *_gradients(found, tensors, cts))


def _second_order(flat: _Flat, outs: list[Any], tensors: Sequence[torch.Tensor],
                  grads: Sequence[torch.Tensor | None]) -> list[torch.Tensor | None]:
    """The gradients as a bridged JAX function of (inputs, incoming gradients)."""
    given = [i for i, g in enumerate(grads) if g is not None and _inexact_aval(outs[i])]
    wanted = [i for i, t in enumerate(tensors) if _inexact(t)]
    count = len(tensors)

    def vjp_of(*values: Any) -> tuple[Any, ...]:
        cts: list[Any] = [_zero(o) for o in outs]
        for i, value in zip(given, values[count:], strict=True):
            cts[i] = _conj(value)
        _, vjp = jax.vjp(flat.run, *values[:count])
        found = vjp(tuple(cts))
        return tuple(_conj(found[i]) for i in wanted)

    homes = [tensors[i].device for i in wanted]
    inner = _Flat(vjp_of, flat.device, flat.copy, flat.known, homes)
    found = _Bridge.apply(inner, *tensors, *[grads[i] for i in given])
    result: list[torch.Tensor | None] = [None] * count
    for i, g in zip(wanted, found, strict=True):
        result[i] = g.to(dtype=tensors[i].dtype)
    return result


def _cotangent(grad: torch.Tensor | None, out: Any, device: Any) -> Any:
    if grad is None or not _inexact_aval(out):
        return _zero(out)
    ct = to(grad, "jax", device=device)
    return _conj(ct if ct.dtype == out.dtype else ct.astype(out.dtype))


def _zero(out: Any) -> Any:
    if not _inexact_aval(out):
        return np.zeros(out.shape, dtype=jax.dtypes.float0)
    return jnp.zeros(out.shape, out.dtype)


def _gradients(found: Sequence[Any], tensors: Sequence[torch.Tensor],
               cts: Sequence[Any]) -> list[torch.Tensor | None]:
    """JAX's gradients as torch tensors in each leaf's dtype and device (None: integers)."""
    wanted = [i for i, t in enumerate(tensors) if _inexact(t)]
    results = _to_torch([found[i] for i in wanted], [tensors[i].device for i in wanted],
                        lambda: list(cts))
    grads: list[torch.Tensor | None] = [None] * len(tensors)
    for i, r in zip(wanted, results, strict=True):
        grads[i] = r if r.dtype == tensors[i].dtype else r.to(tensors[i].dtype)
    return grads


def _to_torch(arrays: Sequence[Any], devices: Sequence[torch.device],
              known: Callable[[], list[Any]]) -> list[torch.Tensor]:
    """JAX arrays into torch: large new buffers aliased; small ones, inputs, repeats copied.

    ``known`` lists the JAX arrays whose buffers are not new (asked only for large ones).
    """
    seen: set[int | None] | None = None
    results = []
    for array, device in zip(arrays, devices, strict=True):
        place = None if _placed_on(array, device) else str(device)
        if place is None and (array.nbytes >= ALIAS_BYTES or device.type != "cpu"):
            if seen is None:
                seen = {_pointer(k) for k in known()}
            pointer = _pointer(array)
            if pointer is not None and pointer not in seen:
                seen.add(pointer)
                try:
                    results.append(unsafe_alias(array, "torch"))
                    continue
                except CopyRequiredError:  # a layout or dtype torch cannot share
                    pass
        results.append(to(array, "torch", device=place))
    return results


def _placed_on(array: Any, device: torch.device) -> bool:
    """Whether a JAX array already lies on this torch device (no device= needed)."""
    if not isinstance(array, jax.Array):
        return False
    (where,) = array.devices()
    if where.platform == "cpu":
        return bool(device.type == "cpu")
    return bool(device.type == "cuda" and where.id == (device.index or 0))


def _pointer(x: Any) -> int | None:
    """The buffer address of a non-empty single-device JAX array (None: do not alias)."""
    if not isinstance(x, jax.Array) or x.size == 0:
        return None
    try:
        return int(x.unsafe_buffer_pointer())
    except Exception:  # noqa: BLE001 - sharded or deleted: never alias it
        return None


def _conj(x: Any) -> Any:
    return jnp.conj(x) if np.dtype(x.dtype).kind == "c" else x


def _inexact(t: torch.Tensor) -> bool:
    return bool(t.is_floating_point() or t.is_complex())


def _inexact_aval(out: Any) -> bool:
    return _inexact_dtype(np.dtype(out.dtype))


@functools.cache
def _inexact_dtype(dtype: np.dtype[Any]) -> bool:
    return bool(jnp.issubdtype(dtype, jnp.inexact))  # bfloat16 and float8 included
