"""Gradients through ``via``: each direction checked against the other framework's own autograd."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import interop

from backends import set_jax_x64

torch = pytest.importorskip("torch", reason="gradients through via need torch and jax")
jax = pytest.importorskip("jax", reason="gradients through via need torch and jax")
jnp = pytest.importorskip("jax.numpy")

DTYPES = ["float32", "float64"]


@pytest.fixture(params=DTYPES)
def dtype(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both widths; 64-bit mode is on only while a float64 test runs."""
    previous = set_jax_x64(request.param == "float64")
    try:
        yield request.param
    finally:
        set_jax_x64(previous)


@pytest.fixture
def x64() -> Iterator[None]:
    previous = set_jax_x64(True)
    try:
        yield
    finally:
        set_jax_x64(previous)


def leaf(values: Any, dtype: str = "float32") -> Any:
    return torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)


def close(a: Any, b: Any, dtype: str = "float32") -> None:
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(np.asarray(interop.to_numpy(a)), np.asarray(interop.to_numpy(b)),
                               rtol=tol, atol=tol)


# -- torch caller, JAX function -----------------------------------------------------------------

def test_torch_grad_matches_torch_autograd(dtype: str) -> None:
    x, y = leaf([0.1, 0.7, -2.0], dtype), leaf([1.5, -0.5, 3.0], dtype)
    out = interop.via("jax")(lambda a, b: jnp.sin(a) * b)(x, y)
    assert isinstance(out, torch.Tensor) and out.grad_fn is not None
    assert out.dtype == x.dtype
    (out ** 2).sum().backward()
    xr, yr = x.detach().clone().requires_grad_(), y.detach().clone().requires_grad_()
    ((torch.sin(xr) * yr) ** 2).sum().backward()
    assert x.grad is not None and y.grad is not None
    assert x.grad.dtype == x.dtype and x.grad.device == x.device
    close(x.grad, xr.grad, dtype)
    close(y.grad, yr.grad, dtype)


@dataclasses.dataclass
class Params:
    w: Any
    b: Any


def test_torch_grad_through_pytrees_kwargs_and_several_outputs() -> None:
    def jax_f(batch: dict[str, Any], pair: tuple[Any, Any], *, params: Params,
              scale: float) -> dict[str, Any]:
        hidden = jnp.tanh(batch["x"] @ params.w + params.b) * scale
        return {"loss": jnp.sum(hidden ** 2), "parts": (hidden, pair[0] * pair[1]),
                "unused": jnp.exp(params.b), "label": "ok"}

    def torch_f(batch: dict[str, Any], pair: tuple[Any, Any], *, params: Params,
                scale: float) -> dict[str, Any]:
        hidden = torch.tanh(batch["x"] @ params.w + params.b) * scale
        return {"loss": torch.sum(hidden ** 2), "parts": (hidden, pair[0] * pair[1])}

    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (3, 2), (2,), (5,)]]

    def run(f: Any) -> list[Any]:
        x, w, b, p = (torch.tensor(v, requires_grad=True) for v in values)
        out = f({"x": x}, (p, torch.arange(5.0)), params=Params(w, b), scale=0.5)
        (out["loss"] + out["parts"][0].sum() * 3 + out["parts"][1].sum()).backward()
        return [x.grad, w.grad, b.grad, p.grad]

    bridged = interop.via("jax")(jax_f)
    out = bridged({"x": leaf(values[0])}, (leaf(values[3]), torch.arange(5.0)),
                  params=Params(leaf(values[1]), leaf(values[2])), scale=0.5)
    assert out["label"] == "ok" and isinstance(out["parts"], tuple)
    for got, want in zip(run(bridged), run(torch_f), strict=True):
        close(got, want)


def test_torch_grad_of_a_jitted_function() -> None:
    f = jax.jit(lambda a: jnp.cumsum(jnp.cos(a)) / 3.0)
    x = leaf([0.3, 1.1, 2.5, -0.4])
    interop.via("jax")(f)(x).sum().backward()
    xr = x.detach().clone().requires_grad_()
    (torch.cumsum(torch.cos(xr), 0) / 3.0).sum().backward()
    close(x.grad, xr.grad)


def test_gradcheck_first_and_second_order(x64: None) -> None:
    f = interop.via("jax")(lambda a, b: jnp.sin(a) * jnp.exp(b) + a * b)
    a = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(f, (a, b))
    assert torch.autograd.gradgradcheck(f, (a, b))


def test_torch_second_order_matches_torch(x64: None) -> None:
    x = leaf([0.2, -1.3], "float64")
    (g,) = torch.autograd.grad(interop.via("jax")(lambda a: jnp.sin(a) ** 3)(x).sum(), x,
                               create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    xr = leaf([0.2, -1.3], "float64")
    (gr,) = torch.autograd.grad((torch.sin(xr) ** 3).sum(), xr, create_graph=True)
    (hr,) = torch.autograd.grad(gr.sum(), xr)
    close(g, gr, "float64")
    close(h, hr, "float64")


def test_torch_func_transforms() -> None:
    f = interop.via("jax")(lambda a, b: jnp.sin(a) * b)
    x, y = torch.randn(3, 2), torch.randn(2)

    def loss(a: Any, b: Any) -> Any:
        return f(a, b).sum()

    close(torch.func.grad(loss)(x[0], y), torch.cos(x[0]) * y)
    close(torch.func.grad(torch.func.grad(lambda a: f(a, y[0])))(x[0, 0]),
          -torch.sin(x[0, 0]) * y[0])
    close(torch.func.vmap(f, in_dims=(0, None))(x, y), torch.sin(x) * y)
    close(torch.func.vmap(f, in_dims=(1, None))(x.T.contiguous(), y), torch.sin(x) * y)
    gx, gy = torch.func.vmap(torch.func.grad(loss, argnums=(0, 1)), in_dims=(0, None))(x, y)
    close(gx, torch.cos(x) * y)
    close(gy, torch.sin(x))
    close(torch.func.jacrev(lambda a: f(a, y))(x[0]), torch.diag(torch.cos(x[0]) * y))


def test_integer_arguments_and_outputs_carry_no_gradient() -> None:
    def f(a: Any, idx: Any) -> tuple[Any, Any]:
        return a[idx] * 2.0, jnp.argmax(a)

    x = leaf([1.0, 5.0, 3.0])
    values, best = interop.via("jax")(f)(x, torch.tensor([2, 0], dtype=torch.int32))
    assert not best.requires_grad and best.dtype in (torch.int32, torch.int64)
    assert int(best) == 1
    values.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [2.0, 0.0, 2.0]
    batched = torch.func.vmap(interop.via("jax")(f), in_dims=(0, None))(
        torch.eye(3), torch.tensor([1], dtype=torch.int32))
    assert batched[0].tolist() == [[0.0], [2.0], [0.0]] and batched[1].tolist() == [0, 1, 2]


def test_complex_gradients_follow_torch_convention() -> None:
    z = torch.tensor([1 + 2j, -0.5 + 0.25j], dtype=torch.complex64, requires_grad=True)
    interop.via("jax")(lambda a: jnp.abs(a * (2 - 1j)) ** 2)(z).sum().backward()
    zr = z.detach().clone().requires_grad_()
    (torch.abs(zr * (2 - 1j)) ** 2).sum().backward()
    close(z.grad, zr.grad)


def test_outputs_are_aliased_fresh_buffers_never_inputs() -> None:
    x = leaf([1.0, 2.0, 3.0])
    same = interop.via("jax")(lambda a: a)(x)
    assert not interop.shares_memory(same, x)  # an input handed back is copied, as via does
    def twice(a: Any) -> tuple[Any, Any]:
        doubled = a * 2
        return doubled, doubled  # one JAX buffer, two torch outputs

    first, second = interop.via("jax")(twice)(x)
    assert not interop.shares_memory(first, second)
    first.add_(1.0)
    assert second.tolist() == [2.0, 4.0, 6.0]
    same.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("size", [2, 1 << 17], ids=["copied", "aliased"])
def test_in_place_write_to_an_output_is_caught_at_backward(size: int) -> None:
    x = torch.linspace(0, 1, size, requires_grad=True)
    out = interop.via("jax")(jnp.exp)(x)  # JAX keeps exp(x) itself for the backward pass
    out.add_(1.0)
    with pytest.raises(RuntimeError, match="inplace"):
        out.sum().backward()


def test_bfloat16_crosses_exactly() -> None:
    x = torch.tensor([1.0078125, -3.5, 1e-3], dtype=torch.bfloat16, requires_grad=True)
    out = interop.via("jax")(lambda a: a * 1)(x)
    assert out.dtype == torch.bfloat16 and torch.equal(out, x.detach())
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.bfloat16


def test_without_differentiation_via_is_unchanged() -> None:
    calls: list[type] = []

    def f(a: Any) -> Any:
        calls.append(type(a))
        return jnp.sin(a)

    x = leaf([0.5, 1.0])
    with torch.no_grad():
        out = interop.via("jax")(f)(x)
    plain = interop.via("jax")(f)(torch.tensor([0.5, 1.0]))
    assert out.grad_fn is None and plain.grad_fn is None and not plain.requires_grad
    assert calls[0] is calls[1] and not issubclass(calls[0], jax.core.Tracer)
    close(out, plain)


def test_numpy_targets_and_numpy_homes_detach() -> None:
    x = leaf([1.0, 2.0])
    out = interop.via("numpy")(lambda a: a * 2)(x)
    assert isinstance(out, torch.Tensor) and not out.requires_grad
    home_numpy = interop.via("jax")(lambda a, b: a + b)(np.ones(2, np.float32), x)
    assert isinstance(home_numpy, np.ndarray)  # results go to the first array's framework


# -- JAX caller, torch function -----------------------------------------------------------------

def torch_sin_mul(a: Any, b: Any) -> Any:
    assert isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
    return torch.sin(a) * b


def test_jax_grad_matches_jax_autograd(dtype: str) -> None:
    x = jnp.asarray([0.1, 0.7, -2.0], dtype=dtype)
    y = jnp.asarray([1.5, -0.5, 3.0], dtype=dtype)
    bridged = interop.via("torch")(torch_sin_mul)

    def loss(a: Any, b: Any) -> Any:
        return jnp.sum(bridged(a, b) ** 2)

    def native(a: Any, b: Any) -> Any:
        return jnp.sum((jnp.sin(a) * b) ** 2)

    for transform in (jax.grad, lambda f, **k: jax.jit(jax.grad(f, **k))):
        got = transform(loss, argnums=(0, 1))(x, y)
        want = jax.grad(native, argnums=(0, 1))(x, y)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            close(g, w, dtype)
    value, grad = jax.value_and_grad(loss)(x, y)
    close(value, native(x, y), dtype)
    close(grad, jax.grad(native)(x, y), dtype)


def test_jax_vjp_with_several_outputs_pytrees_and_kwargs() -> None:
    def torch_f(inputs: dict[str, Any], *, power: int) -> tuple[Any, dict[str, Any]]:
        return inputs["x"] ** power, {"s": torch.sum(inputs["x"] * inputs["y"]), "none": None}

    bridged = interop.via("torch")(torch_f)
    x, y = jnp.asarray([1.0, 2.0, 3.0]), jnp.asarray([0.5, -1.0, 2.0])
    out, vjp = jax.vjp(lambda a, b: bridged({"x": a, "y": b}, power=3), x, y)
    assert out[1]["none"] is None
    close(out[0], x ** 3)
    ct = (jnp.ones(3), {"s": jnp.asarray(2.0), "none": None})
    gx, gy = vjp(ct)
    close(gx, 3 * x ** 2 + 2 * y)
    close(gy, 2 * x)
    gx_unused, _ = vjp((jnp.zeros(3), {"s": jnp.asarray(1.0), "none": None}))
    close(gx_unused, y)  # a zero cotangent for the first output


def test_module_inside_jax_grad() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    bridged = interop.via("torch")(model)
    x = jnp.asarray(np.random.default_rng(1).standard_normal((5, 3)), dtype=jnp.float32)
    got = jax.jit(jax.grad(lambda a: jnp.sum(bridged(a))))(x)
    assert all(p.grad is None for p in model.parameters())  # only the input is differentiated
    xt = torch.tensor(np.asarray(x), requires_grad=True)
    model(xt).sum().backward()
    close(got, xt.grad)


def test_vmap_runs_sequentially() -> None:
    bridged = interop.via("torch")(torch_sin_mul)
    xs = jnp.asarray(np.random.default_rng(2).standard_normal((4, 3)), dtype=jnp.float32)
    close(jax.vmap(bridged)(xs, xs), jnp.sin(xs) * xs)
    grads = jax.vmap(jax.grad(lambda a: jnp.sum(bridged(a, a))))(xs)
    close(grads, jnp.cos(xs) * xs + jnp.sin(xs))


def test_jax_higher_order_and_forward_mode() -> None:
    bridged = interop.via("torch")(lambda a: torch.sum(torch.sin(a) ** 2))
    x = jnp.asarray([0.3, -1.2])
    native = jax.jacrev(jax.jacrev(lambda a: jnp.sum(jnp.sin(a) ** 2)))(x)
    close(jax.jacrev(jax.jacrev(bridged))(x), native)
    close(jax.grad(jax.grad(lambda a: bridged(a[None])))(0.4), 2 * np.cos(0.8))
    with pytest.raises(interop.InteropError, match="forward mode"):
        jax.jvp(bridged, (x,), (x,))


def test_output_shapes_are_evaluated_once_per_signature() -> None:
    seen: list[tuple[int, ...]] = []

    def torch_f(a: Any) -> Any:
        seen.append(tuple(a.shape))
        return a.cumsum(0)

    bridged = interop.via("torch")(torch_f)
    grad = jax.grad(lambda a: jnp.sum(bridged(a) ** 2))
    grad(jnp.ones(3))
    first = len(seen)  # the evaluation on zeros, forward, backward
    grad(jnp.ones(3))
    assert len(seen) == 2 * first - 1
    grad(jnp.ones(4))
    assert len(seen) == 3 * first - 1 and seen[-1] == (4,)


def test_explicit_result_shape_skips_the_evaluation() -> None:
    seen: list[Any] = []

    def torch_f(a: Any) -> Any:
        seen.append(a)
        return (a * 2).sum(0)

    spec = jax.ShapeDtypeStruct((2,), jnp.float32)
    bridged = interop.via("torch", result_shape=spec)(torch_f)
    got = jax.jit(jax.grad(lambda a: jnp.sum(bridged(a))))(jnp.ones((3, 2)))
    close(got, 2 * np.ones((3, 2)))
    assert seen and all(bool((a == 1).all()) for a in seen)  # never evaluated on zeros
    wrong = interop.via("torch", result_shape=jax.ShapeDtypeStruct((3,), jnp.float32))(torch_f)
    with pytest.raises(Exception, match="promised"):
        jax.grad(lambda a: jnp.sum(wrong(a)))(jnp.ones((3, 2)))


def test_integer_jax_arguments_and_non_array_results() -> None:
    bridged = interop.via("torch")(lambda a, idx: a[idx.long()] * 3)
    grad = jax.grad(lambda a: jnp.sum(bridged(a, jnp.asarray([0, 0, 2]))))(jnp.ones(3))
    close(grad, np.asarray([6.0, 0.0, 3.0], np.float32))
    scalar = interop.via("torch")(lambda a: float(a.sum()))
    with pytest.raises(interop.InteropError, match="returns arrays only"):
        jax.grad(scalar)(jnp.ones(2))


def test_concrete_jax_arrays_take_the_ordinary_path() -> None:
    bridged = interop.via("torch")(torch_sin_mul)
    x = jnp.asarray([0.5, 1.0])
    out = bridged(x, x)
    assert isinstance(out, jax.Array) and not isinstance(out, jax.core.Tracer)
    close(out, jnp.sin(x) * x)
    as_numpy = interop.via("numpy")(lambda a: a * 2)(x)
    assert isinstance(as_numpy, jax.Array)


def test_a_cyclic_argument_is_refused_on_the_gradient_path() -> None:
    cyclic: list[Any] = [leaf([1.0, 2.0])]
    cyclic.append(cyclic)
    with pytest.raises(interop.InteropError, match="contains itself"):
        interop.via("jax")(lambda a: a[0])(cyclic)
