"""JAX caller, torch function: ``via("torch")``, a ``jax.custom_vjp`` around ``jax.pure_callback``.

Used when an argument is a JAX tracer (inside ``jax.grad``, ``jax.vjp``, ``jax.jit``,
``jax.vmap``...): tracers hold no values, so the torch function runs in a host callback
on the concrete values, and the result comes back as JAX values of shapes and dtypes
known in advance.  Those come from ``result_shape=`` or from one evaluation of the
function on zeros of the input signature, remembered per signature.

Every JAX array argument is an input of the ``custom_vjp``; other arguments are
converted once by ``via``'s ordinary walk and closed over.  The backward pass is a
second callback that runs the function again under ``torch.enable_grad`` and asks
``torch.autograd.grad`` for the vector-Jacobian product (the forward pass keeps no torch
graph, so a pure function is assumed, as for ``jax.checkpoint``).  That backward is
built by the same code as the forward, so it is differentiable in turn: gradients of
any order work.  Callbacks are batched sequentially under ``jax.vmap``.

Copies: a callback receives host values, which reach torch through ``interop.to`` (a
copy, since JAX buffers are immutable); results leave through ``interop.to_numpy``
(zero-copy on the host).  Complex gradients are conjugated at the border (torch's are
the conjugates of JAX's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import torch

from ._convert import to, to_numpy
from ._dtypes import numpy_dtype
from ._errors import InteropError
from ._grad import GradBridge, _leaves
from ._grad_tree import Slot, convert_rest, fill, split
from ._registry import adapter_for, resolve_target
from ._tree import is_array

__all__ = ["call_torch"]

#: Signatures remembered per decorated function before the table starts afresh.
MAX_SIGNATURES = 64

Flat = Callable[[list[torch.Tensor]], list[Any]]


def call_torch(bridge: GradBridge, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``bridge.func(*args, **kwargs)`` with JAX (traced) arguments, differentiable by JAX."""
    skeleton, leaves, _ = split((args, kwargs), _is_jax)
    skeleton = convert_rest(skeleton, "torch", bridge.device, bridge.copy)
    shape: list[Any] = [None]
    func = bridge.func

    def flat(tensors: list[torch.Tensor]) -> list[Any]:
        call_args, call_kwargs = fill(skeleton, tensors)
        result, outs, _ = split(func(*call_args, **call_kwargs), is_array)
        shape[0] = result
        return outs

    specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in leaves]
    rebuild, out_specs = _result_shapes(bridge, flat, specs, skeleton, shape)
    return rebuild(_apply(flat, leaves, out_specs, bridge.device, bridge.copy))


def _is_jax(x: Any) -> bool:
    return isinstance(x, jax.Array)  # concrete arrays and tracers alike


def _apply(flat: Flat, leaves: Sequence[Any], out_specs: Sequence[Any], device: Any,
           copy: bool | None) -> list[Any]:
    """``flat`` on ``leaves`` as a JAX primitive whose VJP is ``_vjp_of(flat)``, recursively."""
    in_specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in leaves]

    def forward(*arrays: Any) -> tuple[np.ndarray, ...]:
        tensors = [to(a, "torch", device=device, copy=copy) for a in arrays]
        with torch.no_grad():
            return _to_host(flat(tensors), out_specs)

    @jax.custom_vjp  # type: ignore[untyped-decorator]
    def primitive(*xs: Any) -> tuple[Any, ...]:
        return tuple(jax.pure_callback(forward, tuple(out_specs), *xs,
                                       vmap_method="sequential"))

    def fwd(*xs: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return primitive(*xs), xs

    def bwd(xs: tuple[Any, ...], cts: tuple[Any, ...]) -> tuple[Any, ...]:
        diff = [i for i, s in enumerate(in_specs) if _inexact(s.dtype)]
        used = [i for i, s in enumerate(out_specs) if _inexact(s.dtype)]
        vjp = _vjp_of(flat, len(xs), diff, used)
        values = [*[jnp.asarray(x, s.dtype) for x, s in zip(xs, in_specs, strict=True)],
                  *[jnp.asarray(cts[i], out_specs[i].dtype) for i in used]]  # scalars too
        found = _apply(vjp, values, [in_specs[i] for i in diff], device, copy) if diff else []
        grads: list[Any] = [None] * len(xs)  # None: a zero cotangent (integer inputs)
        for i, grad in zip(diff, found, strict=True):
            grads[i] = grad
        return tuple(grads)

    primitive.defvjp(fwd, bwd)
    try:
        return list(primitive(*leaves))
    except TypeError as exc:
        if "forward-mode" not in str(exc):
            raise
        raise InteropError(
            "via('torch') is differentiable in reverse mode (jax.grad, jax.vjp, jax.jacrev, "
            "any order) but not in forward mode (jax.jvp, jax.jacfwd, jax.hessian): its "
            "gradient is a jax.custom_vjp. For a Hessian use jax.jacrev(jax.jacrev(f)).") from exc


def _vjp_of(flat: Flat, count: int, diff: list[int], used: list[int]) -> Flat:
    """The torch function ``(inputs..., cotangents...) -> gradients of the inexact inputs``."""
    def vjp(tensors: list[torch.Tensor]) -> list[Any]:
        inputs, cts = list(tensors[:count]), tensors[count:]
        keep = any(t.requires_grad for t in tensors)  # itself differentiated: keep the graph
        with torch.enable_grad():
            for i in diff:
                if not inputs[i].requires_grad:
                    inputs[i] = inputs[i].detach().requires_grad_()
            outs = flat(inputs)
            pairs = [(outs[i], torch.conj(ct) if ct.is_complex() else ct)
                     for i, ct in zip(used, cts, strict=True)
                     if isinstance(outs[i], torch.Tensor) and outs[i].requires_grad]
            wrt = [inputs[i] for i in diff]
            found = torch.autograd.grad([o for o, _ in pairs], wrt, [c for _, c in pairs],
                                        allow_unused=True, create_graph=keep) if pairs else []
        grads = list(found) or [None] * len(wrt)
        return [torch.zeros_like(x) if g is None else torch.conj(g) if g.is_complex() else g
                for g, x in zip(grads, wrt, strict=True)]

    return vjp


def _to_host(outs: Sequence[Any], specs: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """The function's arrays as host NumPy arrays, checked against the promised shapes."""
    if len(outs) != len(specs):
        raise InteropError(
            f"via('torch') was promised {len(specs)} arrays (result_shape, or the first "
            f"evaluation for these input shapes) but the function returned {len(outs)}. Make "
            "the number of outputs independent of the values, or fix result_shape.")
    results = []
    for index, (out, spec) in enumerate(zip(outs, specs, strict=True)):
        host = to_numpy(out)
        if host.shape != tuple(spec.shape) or host.dtype != np.dtype(spec.dtype):
            raise InteropError(
                f"via('torch'): output {index} is {host.dtype}{list(host.shape)} but "
                f"{np.dtype(spec.dtype)}{list(spec.shape)} was promised (result_shape, or the "
                "first evaluation for these input shapes). Under a JAX transformation output "
                "shapes must depend on input shapes only; pass result_shape= if they differ "
                "from an evaluation on zeros.")
        results.append(host)
    return tuple(results)


def _inexact(dtype: Any) -> bool:
    return bool(jnp.issubdtype(dtype, jnp.inexact))


def _result_shapes(bridge: GradBridge, flat: Flat, specs: list[Any], skeleton: Any,
                   shape: list[Any]) -> tuple[Callable[[list[Any]], Any], list[Any]]:
    """How to rebuild the result from its arrays, and the arrays' shapes and dtypes."""
    if bridge.result_shape is not None:
        out_specs, tree = jax.tree_util.tree_flatten(bridge.result_shape)
        return (lambda outs: jax.tree_util.tree_unflatten(tree, outs)), _checked(out_specs)
    key = _signature(specs, skeleton)
    found = bridge.shapes.get(key) if key is not None else None
    if found is None:
        found = _evaluate(flat, specs, bridge.device, shape)
        if key is not None:
            if len(bridge.shapes) >= MAX_SIGNATURES:
                bridge.shapes.clear()
            bridge.shapes[key] = found
    result, out_specs = found
    return (lambda outs: fill(result, outs)), out_specs


def _evaluate(flat: Flat, specs: list[Any], device: Any, shape: list[Any]) -> tuple[Any, list[Any]]:
    """Run the function once on zeros of the input signature: its result's tree and specs."""
    zeros = [to(np.zeros(s.shape, s.dtype), "torch", device=device) for s in specs]
    with torch.no_grad():
        outs = flat(zeros)
    result = shape[0]
    for leaf in _leaves(result, set()):
        if type(leaf) is not Slot and leaf is not None:
            raise InteropError(
                f"Under a JAX transformation via('torch') returns arrays only (and None), but "
                f"the function returned a {type(leaf).__name__} ({leaf!r:.40}), which JAX cannot "
                "trace. Return it as a tensor (torch.tensor(value)), or call the function "
                "outside jax.grad/jax.jit.")
    out_specs = []
    for out in outs:
        name = adapter_for(out).describe(out).dtype
        resolve_target("jax").check_dtype(name)  # float64 with 64-bit mode off: refused
        out_specs.append(jax.ShapeDtypeStruct(tuple(out.shape), numpy_dtype(name)))
    return result, out_specs


def _checked(specs: list[Any]) -> list[Any]:
    for spec in specs:
        if not (hasattr(spec, "shape") and hasattr(spec, "dtype")):
            raise InteropError(
                f"via('torch', result_shape=...) takes a tree of jax.ShapeDtypeStruct (or "
                f"arrays) matching the function's result; it holds a {type(spec).__name__}. "
                "Use jax.ShapeDtypeStruct(shape, dtype) for each output.")
    return [jax.ShapeDtypeStruct(tuple(s.shape), s.dtype) for s in specs]


def _signature(specs: list[Any], skeleton: Any) -> Any:
    """A hashable key for (input shapes, the other arguments), or None when unhashable."""
    try:
        key = (tuple((tuple(s.shape), str(s.dtype)) for s in specs), _freeze(skeleton))
        hash(key)
    except TypeError:
        return None
    return key


def _freeze(node: Any) -> Any:
    if type(node) is Slot:
        return ("slot", node.index)
    if isinstance(node, dict):
        return (type(node), tuple((k, _freeze(v)) for k, v in node.items()))
    if isinstance(node, (list, tuple)):
        return (type(node), tuple(_freeze(v) for v in node))
    if is_array(node):
        return ("array", type(node), tuple(node.shape), str(node.dtype))
    return node  # a dataclass or other value: hashable, or the key is dropped
