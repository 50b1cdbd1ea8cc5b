"""The separate ``dask-array`` package (``import dask_array``): its arrays follow every rule.

``dask_array`` reimplements ``dask.array`` with its own ``concatenate_lookup``,
chunk-type list and ``np.dtype``-only dtypes, so each rule is checked again on its
arrays, on a real ``LocalCluster(processes=True)`` kept for the module.
"""

from __future__ import annotations

import numpy as np
import pytest

dx = pytest.importorskip(
    "dask_array", reason="the separate dask-array package is not installed "
    "(pip install dask-array; the dask nox session installs it)")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
ml_dtypes = pytest.importorskip("ml_dtypes")

from dask_support import FRESH_SETUP, Sentinel, backends, cluster_client, run_fresh  # noqa: E402, F401
from dask_support import explode as _explode  # noqa: E402

import interop  # noqa: E402
from interop._dask import ChunkwisePlan  # noqa: E402

SOURCE = np.arange(48, dtype=np.float32).reshape(6, 8) - 20.5
TARGETS = {"numpy": np.ndarray, "torch": torch.Tensor, "jax": jax.Array}
DTYPES = {"float32": np.float32, "bool": np.bool_, "bfloat16": ml_dtypes.bfloat16}


client = pytest.fixture(scope="module", name="client")(cluster_client)


def _source(dtype: str = "float32") -> object:
    return dx.from_array(SOURCE.astype(DTYPES[dtype]), chunks=(4, 3))


def _bits(a: object) -> bytes:
    if isinstance(a, torch.Tensor):
        return a.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    return np.ascontiguousarray(interop.to_numpy(a)).tobytes()


def test_an_array_of_dask_array_is_a_dask_array(client: distributed.Client) -> None:
    x = _source()
    assert type(x).__module__.startswith("dask_array")
    assert interop.framework(x) == "dask" and interop.is_array(x)
    assert interop.device(x) == interop.Device("cpu")
    assert not interop.shares_memory(x, SOURCE)  # a lazy array holds no memory yet
    result = interop.to_numpy(x)  # computes
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, SOURCE)


def test_nothing_computes_until_compute(client: distributed.Client) -> None:
    x = _source().map_blocks(_explode, meta=np.empty((0, 0), np.float32))
    y = interop.to(x, "torch")
    plan = interop.explain(x, "torch")
    tree = interop.to_each({"a": x, "b": [x]}, "jax")
    liked = interop.like(x, torch.zeros(1))
    assert type(y) is type(x) and interop.framework(y) == "dask"
    assert isinstance(y._meta, torch.Tensor) and isinstance(liked._meta, torch.Tensor)
    assert isinstance(tree["b"][0]._meta, jax.Array) and type(tree["a"]) is type(x)
    assert isinstance(plan, ChunkwisePlan) and "chunk-wise" in str(plan)
    assert plan.chunks == x.npartitions
    with pytest.raises(Sentinel):
        y.compute()


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("target", list(TARGETS))
def test_meta_chunks_and_values(client: distributed.Client, target: str, dtype: str) -> None:
    x = _source(dtype)
    y = interop.to(x, target)
    assert type(y) is type(x) and y.chunks == x.chunks
    assert isinstance(y._meta, TARGETS[target])
    expected = interop.to(np.asarray(SOURCE.astype(DTYPES[dtype])), target)
    assert str(y._meta.dtype).rpartition(".")[2] == str(expected.dtype).rpartition(".")[2]
    for result in (y.compute(), y.persist().compute()):
        assert isinstance(result, TARGETS[target]), type(result)
        assert _bits(result) == _bits(expected)
    blocks = dask.compute(*y.to_delayed().ravel())
    assert len(blocks) == y.npartitions
    assert all(isinstance(b, TARGETS[target]) for b in blocks)


def test_graph_time_and_compute_time_errors(client: distributed.Client) -> None:
    x64 = dx.from_array(SOURCE.astype(np.float64), chunks=3).map_blocks(
        _explode, meta=np.empty((0, 0), np.float64))
    if not jax.config.jax_enable_x64:
        with pytest.raises(interop.UnsupportedDtypeError, match="64"):
            interop.to(x64, "jax")
    with pytest.raises(interop.CopyRequiredError, match="immutable"):
        interop.to(interop.to(_source(), "jax"), "torch", copy=False)
    with pytest.raises(interop.InteropError, match="stream"):
        interop.to(_source(), "torch", stream=1)
    flipped = _source().map_blocks(lambda b: b[::-1], meta=np.empty((0, 0), np.float32))
    with pytest.raises(interop.CopyRequiredError, match="negative"):
        interop.to(flipped, "torch", copy=False).compute()
    with pytest.raises(interop.InteropError, match="map_blocks"):
        interop.via("torch")(lambda t: t)(_source())


def test_bfloat16_crosses_workers_bit_exactly(client: distributed.Client) -> None:
    first, second = sorted(client.scheduler_info()["workers"])[:2]
    bf16 = interop.to(_source("bfloat16"), "torch").persist(workers=[first])
    distributed.wait(bf16)
    result = client.compute(bf16, workers=[second]).result()  # concatenated on `second`
    assert result.dtype == torch.bfloat16
    assert _bits(result) == _bits(torch.from_numpy(SOURCE).to(torch.bfloat16))


def test_to_each_over_a_tree(client: distributed.Client) -> None:
    tree = {"x": _source(), "pair": (_source("bool"), 3)}
    converted = interop.to_each(tree, "torch")
    (done,) = dask.compute(converted)
    assert isinstance(done["x"], torch.Tensor) and done["pair"][0].dtype == torch.bool
    np.testing.assert_array_equal(done["x"].numpy(), SOURCE)


@pytest.mark.usefixtures("backends")
@pytest.mark.parametrize("target", ["torch", "jax"])
def test_to_backend(client: distributed.Client, target: str) -> None:
    """interop's entry points serve dask-array too (its registry wants its own base class)."""
    y = _source().to_backend(target)
    assert type(y) is type(_source()) and isinstance(y._meta, TARGETS[target])
    result = y.compute()
    assert isinstance(result, TARGETS[target])
    np.testing.assert_array_equal(interop.to_numpy(result), SOURCE)


FRESH = FRESH_SETUP + """
import dask_array as dx
x = dx.from_array(src.astype(ml_dtypes.bfloat16), chunks=(4, 3))
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=":0") as cluster, Client(cluster) as client:
    first, second = sorted(client.scheduler_info()["workers"])
    kept = interop.to(x, "torch").persist(workers=[first])
    distributed.wait(kept)
    out = client.compute(kept, workers=[second]).result()  # `second` ran no conversion
    assert out.dtype == torch.bfloat16 and torch.equal(out, torch.from_numpy(src).bfloat16())
    print("ok")
"""


def test_fresh_cluster_needs_no_setup() -> None:
    """A worker that only concatenates learns dask_array's chunk types from the plugin."""
    assert run_fresh(FRESH).strip().endswith("ok")
