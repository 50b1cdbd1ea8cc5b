"""pandas, xarray and PIL objects as sources: exact numeric data, clear refusals, trees."""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="pandas is not installed (nox -s tensorflow)")
xr = pytest.importorskip("xarray", reason="xarray is not installed (nox -s tensorflow)")
Image = pytest.importorskip("PIL.Image", reason="pillow is not installed")
torch = pytest.importorskip("torch")

import interop  # noqa: E402

COW = int(pd.__version__.split(".")[0]) >= 3


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float32", "complex128"])
@pytest.mark.parametrize("kind", ["series", "index", "frame"])
def test_numeric_pandas_exact(kind: str, dtype: str) -> None:
    values = np.arange(6).astype(dtype)
    obj = {"series": lambda: pd.Series(values), "index": lambda: pd.Index(values),
           "frame": lambda: pd.DataFrame(values.reshape(3, 2))}[kind]()
    want = obj.to_numpy()
    out = interop.to(obj, "numpy")
    assert out.dtype == want.dtype and out.shape == want.shape and np.array_equal(out, want)
    t = interop.to(obj, "torch")
    assert str(t.dtype) == f"torch.{dtype}" and np.array_equal(t.numpy(), want)
    assert not interop.shares_memory(obj, t) if COW else True


@pytest.mark.skipif(not COW, reason="pandas 3 copy-on-write")
def test_pandas_is_read_only_source() -> None:
    s = pd.Series([1.0, 2.0, 3.0])
    view = interop.to(s, "numpy", copy=False)
    assert not view.flags.writeable and interop.shares_memory(s, view)
    with pytest.raises(interop.CopyRequiredError, match="read-only"):
        interop.to(s, "torch", copy=False)
    assert str(interop.explain(s, "torch")).startswith("pandas")


def test_multi_block_frame_is_a_copy() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0]})
    df["b"] = [3.0, 4.0]
    assert "blocks" in str(interop.explain(df, "numpy"))
    with pytest.raises(interop.CopyRequiredError):
        interop.to(df, "numpy", copy=False)
    assert np.array_equal(interop.to(df, "numpy"), df.to_numpy())


def test_mixed_frame_refused() -> None:
    with pytest.raises(interop.UnsupportedDtypeError, match="'a' \\(int64\\)"):
        interop.to(pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0]}), "numpy")


def test_nullable_with_na_refused_naming_column() -> None:
    df = pd.DataFrame({"count": pd.array([1, None], dtype="Int64")})
    with pytest.raises(interop.UnsupportedDtypeError, match=r"'count'.*na_value"):
        interop.to(df, "numpy")
    ok = pd.Series(pd.array([1, 2], dtype="Int64"))
    assert interop.to(ok, "torch").tolist() == [1, 2]


@pytest.mark.parametrize("values", [["a", "b"], pd.Categorical(["a"]),
                                    pd.to_datetime(["2020-01-01"])], ids=["str", "cat", "dt"])
def test_non_numeric_refused(values: object) -> None:
    with pytest.raises(interop.UnsupportedDtypeError, match="numeric"):
        interop.to(pd.Series(values), "numpy")


def test_pandas_is_a_leaf_in_trees() -> None:
    s = pd.Series([1.0, 2.0])
    assert interop.is_array(s)
    out = interop.to_each({"s": s, "n": 3}, "torch")
    assert isinstance(out["s"], torch.Tensor) and out["n"] == 3


def test_pandas_is_not_a_target() -> None:
    with pytest.raises(interop.InteropError, match="source only"):
        interop.to(np.zeros(2), "pandas")


def test_xarray_dataarray_shares_its_data() -> None:
    da = xr.DataArray(np.arange(6.0).reshape(2, 3), dims=("x", "y"))
    t = interop.to(da, "torch", copy=False)
    assert interop.shares_memory(da.data, t)
    assert str(interop.explain(da, "torch")).startswith("xarray")
    assert interop.is_array(da)


def test_xarray_dataset_refused_listing_variables() -> None:
    da = xr.DataArray(np.zeros(2))
    with pytest.raises(interop.NotAnArrayError, match="'u', 'v'"):
        interop.to(xr.Dataset({"u": da, "v": da}), "numpy")


@pytest.mark.parametrize(("mode", "dtype", "shape"), [
    ("L", "uint8", (2, 3)), ("RGB", "uint8", (2, 3, 3)), ("RGBA", "uint8", (2, 3, 4)),
    ("I", "int32", (2, 3)), ("F", "float32", (2, 3)), ("I;16", "uint16", (2, 3)),
    ("1", "bool", (2, 3))])
def test_pil_modes(mode: str, dtype: str, shape: tuple[int, ...]) -> None:
    img = Image.new(mode, (3, 2), 1)
    out = interop.to(img, "numpy")
    assert out.dtype == dtype and out.shape == shape and out.flags.writeable
    assert np.array_equal(out, np.asarray(img))
    t = interop.to(img, "torch")
    assert tuple(t.shape) == shape
    plan = interop.explain(img, "torch")
    assert not plan.zero_copy and "Pillow" in str(plan)
    with pytest.raises(interop.CopyRequiredError):
        interop.to(img, "numpy", copy=False)


@pytest.mark.parametrize("mode", ["P", "PA", "RGBa"])
def test_pil_non_pixel_modes_refused(mode: str) -> None:
    with pytest.raises(interop.UnsupportedDtypeError, match="convert"):
        interop.to(Image.new(mode, (3, 2)), "numpy")
