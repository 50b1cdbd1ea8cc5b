"""What ``str(interop.explain(x, target))`` says: the format, the route, the source, why.

The head line names the source framework and the number format (issue 13: a wrong float8
variant changes values, so the plan must say which one travels); the second line names
the route (``Plan.kind``); TensorFlow and MLX sources say why they copy into writable
targets (they are immutable, so read-only).  Runs in the default session (NumPy, torch,
JAX) and in the tensorflow session, where the TF and MLX cases run.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import interop
from interop._dtypes import DLPACK_CODES

TARGETS = [t for t in ("numpy", "torch", "jax") if importlib.util.find_spec(t) is not None]


def _numpy_dtype(name: str) -> Any:
    if hasattr(np, name) and name not in ("bool",):
        return np.dtype(name)
    if name == "bool":
        return np.dtype(bool)
    ml_dtypes = pytest.importorskip("ml_dtypes")
    kind = getattr(ml_dtypes, name, None)
    if kind is None:
        pytest.skip(f"ml_dtypes {ml_dtypes.__version__} has no {name}")
    return np.dtype(kind)


def _check_text(plan: interop.Plan, source: str, fmt: str) -> list[str]:
    lines = str(plan).splitlines()
    assert lines[0].startswith(f"{source} {fmt} ("), lines[0]
    assert lines[1] == f"  route: {plan.kind.value}", lines
    assert all(line.startswith("  - ") or line.startswith("    ") for line in lines[2:]), lines
    return lines


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fmt", list(DLPACK_CODES))
def test_every_format_is_named_with_its_route(fmt: str, target: str) -> None:
    """Planned: the head names the format; refused: the error names it (and which side)."""
    x = np.zeros(3, dtype=_numpy_dtype(fmt))
    try:
        plan = interop.explain(x, target, copy=True)  # numpy -> numpy copies: not identity
    except interop.UnsupportedDtypeError as exc:
        assert fmt in str(exc), str(exc)
        return
    _check_text(plan, "numpy", fmt)


def test_identity_has_no_route_line() -> None:
    a = np.ones(3, np.float32)
    lines = str(interop.explain(a, "numpy")).splitlines()
    assert lines[0].endswith(": no conversion") and not any("route:" in s for s in lines)


def test_torch_formats_and_routes_are_named() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("ml_dtypes")
    for dtype, fmt in ((torch.bfloat16, "bfloat16"), (torch.float8_e4m3fn, "float8_e4m3fn"),
                       (torch.float8_e5m2, "float8_e5m2")):
        plan = interop.explain(torch.zeros(3, dtype=dtype), "numpy")
        lines = _check_text(plan, "torch", fmt)
        assert plan.zero_copy and lines[1] == "  route: share to the host hub"
    conj = torch.tensor([1 + 2j]).conj()
    plan = interop.explain(conj, "numpy")
    assert _check_text(plan, "torch", "complex64")[1] == f"  route: {plan.kind.value}"
    assert not plan.zero_copy and "conjugate" in str(plan)


def test_chunkwise_head_still_reads_each_chunks_outcome() -> None:
    """Dask's plan quotes the chunk plan's head after its last ': ' (the outcome)."""
    plan = interop.explain(np.ones(3, np.float32)[::-1], "numpy", copy=True)
    assert str(plan).splitlines()[0].split(": ")[-1] == "copy"


def _immutable_source_says_why(x: Any, source: str, fmt: str) -> None:
    pytest.importorskip("torch")
    plan = interop.explain(x, "torch")
    lines = _check_text(plan, source, fmt)
    text = "\n".join(lines)
    assert not plan.zero_copy
    assert f"{source} arrays are immutable" in text and "read-only" in text, text
    with pytest.raises(interop.CopyRequiredError, match="immutable"):
        interop.explain(x, "torch", copy=False)
    shared = interop.explain(x, "numpy")  # NumPy keeps the read-only flag: no copy
    assert shared.zero_copy and _check_text(shared, source, fmt)


def test_tensorflow_source_names_itself_and_why_it_copies() -> None:
    tf = pytest.importorskip("tensorflow")
    _immutable_source_says_why(tf.constant([1.0, 2.0]), "tensorflow", "float32")
    _immutable_source_says_why(tf.Variable(tf.zeros(2, tf.bfloat16)), "tensorflow", "bfloat16")


def test_mlx_source_names_itself_and_why_it_copies() -> None:
    mx = pytest.importorskip("mlx.core")
    _immutable_source_says_why(mx.array([1, 2], dtype=mx.int16), "mlx", "int16")
    _immutable_source_says_why(mx.zeros(2, dtype=mx.bfloat16), "mlx", "bfloat16")
