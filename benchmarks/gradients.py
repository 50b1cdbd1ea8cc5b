"""Gradients through ``via`` against the recipes they replace (issue 17).

Goals: forward + backward of a small function (1k float32) through ``via("jax")`` costs at
most 1.2x the hand-written ``jax2torch`` recipe (a ``torch.autograd.Function`` around
``jax.vjp`` with DLPack hand-offs); ``jax.jit(jax.grad(...))`` of a ``via("torch")``
function at most 1.2x a hand-written ``custom_vjp`` + ``pure_callback`` recipe.

    python benchmarks/gradients.py [--budget 0.5] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import compare, environment, pin_threads

GOAL = 1.2
SIZE = 1000


def torch_caller_cases() -> tuple[Callable[[], object], Callable[[], object]]:
    """(via("jax"), jax2torch recipe): forward and backward of sin(x) * y, both jitted."""
    import jax
    import jax.numpy as jnp
    import torch

    import interop

    f = jax.jit(lambda a, b: jnp.sin(a) * b)

    class Jax2Torch(torch.autograd.Function):  # the recipe, as jax2torch writes it
        @staticmethod
        def forward(ctx: Any, a: Any, b: Any) -> Any:
            out, ctx.vjp = jax.vjp(f, jnp.from_dlpack(a.detach().contiguous()),
                                   jnp.from_dlpack(b.detach().contiguous()))
            return torch.from_dlpack(out)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            ga, gb = ctx.vjp(jnp.from_dlpack(grad.contiguous()))
            return torch.from_dlpack(ga), torch.from_dlpack(gb)

    bridged = interop.via("jax")(f)
    x = torch.linspace(-1, 1, SIZE, requires_grad=True)
    y = torch.linspace(0, 2, SIZE, requires_grad=True)
    ones = torch.ones(SIZE)

    def step(op: Callable[[Any, Any], Any]) -> Callable[[], object]:
        def run() -> object:
            x.grad = y.grad = None
            op(x, y).backward(ones)
            return x.grad
        return run

    via_grad, recipe_grad = step(bridged)(), step(Jax2Torch.apply)()
    assert torch.allclose(via_grad, recipe_grad)  # type: ignore[arg-type]
    return step(bridged), step(Jax2Torch.apply)


def jax_caller_cases() -> tuple[Callable[[], object], Callable[[], object]]:
    """(via("torch"), custom_vjp + pure_callback recipe) under jax.jit(jax.grad(...))."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import torch

    import interop

    def torch_f(a: Any) -> Any:
        return torch.sin(a) * a

    spec = jax.ShapeDtypeStruct((SIZE,), jnp.float32)

    @jax.custom_vjp
    def recipe(a: Any) -> Any:
        return jax.pure_callback(lambda v: torch_f(torch.from_dlpack(v)).numpy(), spec, a)

    def backward_cb(v: Any, ct: Any) -> Any:
        t = torch.from_dlpack(v).requires_grad_()
        (grad,) = torch.autograd.grad(torch_f(t), t, torch.from_dlpack(ct))
        return grad.numpy()

    recipe.defvjp(lambda a: (recipe(a), a),
                  lambda a, ct: (jax.pure_callback(backward_cb, spec, a, ct),))
    bridged = interop.via("torch")(torch_f)
    via_grad = jax.jit(jax.grad(lambda a: jnp.sum(bridged(a))))
    recipe_grad = jax.jit(jax.grad(lambda a: jnp.sum(recipe(a))))
    x = jnp.linspace(-1, 1, SIZE, dtype=jnp.float32)
    np.testing.assert_allclose(np.asarray(via_grad(x)), np.asarray(recipe_grad(x)), rtol=1e-6)
    return (lambda: via_grad(x).block_until_ready()), (lambda: recipe_grad(x).block_until_ready())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=0.5, help="seconds per call timed")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    pin_threads(options.threads)
    rows = []
    for name, make in [("torch caller: via('jax') fwd+bwd, 1k float32", torch_caller_cases),
                       ("JAX caller: jit(grad(via('torch'))), 1k float32", jax_caller_cases)]:
        ours, native = make()
        stats = compare({"interop": ours, "native": native}, budget_s=options.budget)
        ratio = stats["interop"].median / stats["native"].median
        rows.append({"case": name, "interop_us": stats["interop"].median * 1e6,
                     "native_us": stats["native"].median * 1e6, "ratio": ratio,
                     "goal": GOAL, "meets_goal": ratio <= GOAL})
        print(f"{name}: interop {rows[-1]['interop_us']:.1f} µs, native "
              f"{rows[-1]['native_us']:.1f} µs, ratio {ratio:.2f} (goal <= {GOAL})")
    if options.json:
        options.json.write_text(json.dumps({"environment": environment(), "rows": rows},
                                           indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
