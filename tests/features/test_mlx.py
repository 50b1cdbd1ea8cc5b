"""MLX with numpy, torch and TensorFlow: immutable source, copy-only target, no narrowing."""

from __future__ import annotations

import numpy as np
import pytest

mx = pytest.importorskip("mlx.core", reason="mlx is not installed (nox -s tensorflow)")

import interop  # noqa: E402

from pairs import DTYPES, LAYOUTS, check_pair, explain_names_source  # noqa: E402

pytest.importorskip("torch")
FRAMEWORKS = ["numpy", "torch", "mlx"]


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("src", "dst"), [(s, d) for s in FRAMEWORKS for d in FRAMEWORKS
                                          if "mlx" in (s, d)])
def test_pairs(src: str, dst: str, dtype: str, layout: str, copy: bool | None) -> None:
    check_pair(src, dst, dtype, layout, copy)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int64"])
def test_tensorflow_pairs(dtype: str) -> None:
    pytest.importorskip("tensorflow")
    for src, dst in (("mlx", "tensorflow"), ("tensorflow", "mlx")):
        for copy in (None, True, False):
            check_pair(src, dst, dtype, "contiguous", copy)


def test_float64_is_never_narrowed() -> None:
    a = np.arange(4, dtype=np.float64) / 3
    x = interop.to(a, "mlx")
    assert x.dtype == mx.float64
    assert np.array_equal(np.array(x), a)
    with pytest.raises(interop.UnsupportedDtypeError, match="complex128"):
        interop.to(a.astype(np.complex128), "mlx")


def test_copy_false_into_mlx_refuses() -> None:
    with pytest.raises(interop.CopyRequiredError):
        interop.to(np.zeros(3, np.float32), "mlx", copy=False)


def test_explain_names_mlx_and_why() -> None:
    explain_names_source(mx.array([1.0, 2.0]), "torch", "mlx")


def test_numpy_gets_read_only_view() -> None:
    x = mx.array(np.arange(6, dtype=np.float32))
    view = interop.to(x, "numpy", copy=False)
    assert not view.flags.writeable and interop.shares_memory(x, view)
    assert interop.is_array(x)
    assert str(interop.device(x)) == "cpu"
