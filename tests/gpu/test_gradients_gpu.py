"""Gradients through ``via`` on a GPU: values and gradients stay on the device.

A GPU-only module (``GPU_MODULES``): without CUDA torch and a GPU JAX it skips once, as a
whole.  tests/features/test_gradients.py checks the same behaviour on the CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.gpu

torch = pytest.importorskip("torch", reason="torch is not installed")
jax = pytest.importorskip("jax", reason="jax is not installed")
if not torch.cuda.is_available():
    pytest.skip("torch.cuda.is_available() is False", allow_module_level=True)
if not any(d.platform == "gpu" for d in jax.devices()):
    pytest.skip("jax has no GPU backend", allow_module_level=True)

import jax.numpy as jnp  # noqa: E402

import interop  # noqa: E402


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(interop.to_numpy(a), interop.to_numpy(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [3, 1 << 17], ids=["small", "aliased"])
def test_cuda_tensors_through_via_jax(size: int) -> None:
    x = torch.linspace(-1, 1, size, device="cuda", requires_grad=True)
    y = torch.linspace(0, 2, size, device="cuda", requires_grad=True)
    out = interop.via("jax")(lambda a, b: jnp.sin(a) * b)(x, y)
    assert out.device == x.device and out.grad_fn is not None
    out.sum().backward()
    assert x.grad is not None and y.grad is not None and x.grad.device == x.device
    _close(x.grad, torch.cos(x.detach()) * y.detach())
    _close(y.grad, torch.sin(x.detach()))


def test_host_tensors_computed_on_the_gpu_get_host_gradients() -> None:
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    out = interop.via("jax", device="cuda")(jnp.exp)(x)
    assert out.device.type == "cpu"
    out.sum().backward()
    assert x.grad is not None and x.grad.device.type == "cpu"
    _close(x.grad, torch.exp(x.detach()))


def test_jax_gpu_caller_with_a_cuda_torch_function() -> None:
    def torch_f(a: Any) -> Any:
        assert a.is_cuda
        return torch.sin(a) * a

    bridged = interop.via("torch", device="cuda")(torch_f)
    x = jax.device_put(jnp.linspace(-1, 1, 7), jax.devices("gpu")[0])
    grad = jax.jit(jax.grad(lambda a: jnp.sum(bridged(a))))(x)
    _close(grad, jnp.cos(x) * x + jnp.sin(x))
