"""Dask arrays convert chunk-wise and lazily, on a real ``dask.distributed`` cluster.

One ``LocalCluster(processes=True)`` serves the module (starting one costs seconds);
``test_fresh_cluster_needs_no_setup`` starts its own, because what it checks is that
a cluster interop has never seen needs no call before ``compute``.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
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

from paths import ROOT  # noqa: E402

SOURCE = np.arange(48, dtype=np.float32).reshape(6, 8) - 20.5


client = pytest.fixture(scope="module", name="client")(cluster_client)


def _source() -> da.Array:
    return da.from_array(SOURCE, chunks=(4, 3))


def _expected(target: str, dtype: str) -> object:
    """The whole source, converted at once (what each chunk must match)."""
    values = SOURCE > 0 if dtype == "bool" else SOURCE
    if target == "torch":
        t = torch.from_numpy(np.ascontiguousarray(values))
        return t.to(torch.bfloat16) if dtype == "bfloat16" else t
    if target == "jax":
        return jnp.asarray(values, dtype=jnp.bfloat16 if dtype == "bfloat16" else None)
    return values.astype(ml_dtypes.bfloat16) if dtype == "bfloat16" else values


def _chunked(dtype: str) -> da.Array:
    """A Dask array of `dtype` chunks; bfloat16 chunks are torch ones (NumPy has none)."""
    x = da.from_array(SOURCE, chunks=(4, 3))
    if dtype == "bool":
        return x > 0
    if dtype == "bfloat16":
        return interop.to(x, "torch").map_blocks(
            lambda t: t.to(torch.bfloat16), meta=torch.empty((0, 0), dtype=torch.bfloat16))
    return x


def _bits(a: object) -> bytes:
    """The bytes of any array (bfloat16 included), for bit-exact comparisons."""
    if isinstance(a, torch.Tensor):
        return a.contiguous().view(torch.uint8).numpy().tobytes() if a.dim() else \
            a.reshape(1).view(torch.uint8).numpy().tobytes()
    return np.ascontiguousarray(interop.to_numpy(a)).tobytes()


TARGETS = ["numpy", "torch", "jax"]
DTYPES = ["float32", "bfloat16", "bool"]
ARRAY_TYPES = {"numpy": np.ndarray, "torch": torch.Tensor, "jax": jax.Array}


# -- laziness -----------------------------------------------------------------------------
def test_nothing_computes_until_compute(client: distributed.Client) -> None:
    x = da.from_array(SOURCE, chunks=(3, 4)).map_blocks(_explode, meta=np.empty((0, 0),
                                                                             np.float32))
    y = interop.to(x, "torch")
    plan = interop.explain(x, "torch")
    tree = interop.to_each({"a": x, "b": [x]}, "jax")
    liked = interop.like(x, torch.zeros(1))
    assert interop.framework(y) == "dask" and isinstance(y._meta, torch.Tensor)
    assert "chunk-wise" in str(plan)
    assert isinstance(liked._meta, torch.Tensor) and isinstance(tree["b"][0]._meta, jax.Array)
    with pytest.raises(Sentinel):
        y.compute()


# -- meta, chunks, values -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
def test_meta_chunks_and_values(client: distributed.Client, target: str, dtype: str) -> None:
    x = _chunked(dtype)
    y = interop.to(x, target)
    assert y.chunks == x.chunks
    assert isinstance(y._meta, ARRAY_TYPES[target])
    assert interop.explain(y._meta, "numpy").source == target
    expected = _expected(target, dtype)
    assert str(interop.explain(y._meta, "numpy").target) == "numpy"
    assert str(y.dtype).rpartition(".")[2] == str(getattr(expected, "dtype", "")).rpartition(
        ".")[2]
    for result in (y.compute(), y.persist().compute()):
        assert isinstance(result, ARRAY_TYPES[target]), type(result)
        assert _bits(result) == _bits(expected)


@pytest.mark.parametrize("target", TARGETS)
def test_every_block_is_a_target_array(client: distributed.Client, target: str) -> None:
    y = interop.to(_source(), target)
    blocks = dask.compute(*y.to_delayed().ravel())
    assert len(blocks) == y.npartitions
    assert all(isinstance(b, ARRAY_TYPES[target]) for b in blocks)


def test_to_numpy_computes_and_to_numpy_target_stays_lazy(client: distributed.Client) -> None:
    x = interop.to(_source(), "torch")
    lazy = interop.to(x, "numpy")
    assert interop.framework(lazy) == "dask" and isinstance(lazy._meta, np.ndarray)
    result = interop.to_numpy(x)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, SOURCE)
    assert "computed" in interop.to_numpy.__doc__


def test_framework_device_and_dask_target(client: distributed.Client) -> None:
    x = interop.to(_source(), "torch")
    assert interop.framework(x) == "dask"
    assert interop.device(x) == interop.Device("cpu")
    assert interop.is_array(x)
    same = interop.to(x, "dask")  # "dask" keeps the chunk framework
    assert isinstance(same._meta, torch.Tensor)
    with pytest.raises(interop.InteropError, match="from_array"):
        interop.to(np.zeros(3), "dask")
    assert not interop.shares_memory(x, SOURCE)


def test_explain_is_a_chunkwise_plan_from_the_meta(client: distributed.Client) -> None:
    plan = interop.explain(_source(), "jax", copy=False)
    assert isinstance(plan, interop.Plan) and isinstance(plan, ChunkwisePlan)
    assert plan.chunks == _source().npartitions and plan.chunk_plan is not None
    text = str(plan)
    assert "chunk-wise" in text and "decided per chunk" in text
    assert "CopyRequiredError" in text and "aligned" in text


# -- errors ---------------------------------------------------------------------------------
def test_graph_time_errors(client: distributed.Client) -> None:
    x64 = da.from_array(SOURCE.astype(np.float64), chunks=3).map_blocks(
        _explode, meta=np.empty((0, 0), np.float64))
    if not jax.config.jax_enable_x64:
        with pytest.raises(interop.UnsupportedDtypeError, match="64"):
            interop.to(x64, "jax")
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.to(x64, "torch", device="cuda:7", copy=False)
    jax_chunks = interop.to(_source(), "jax")
    with pytest.raises(interop.CopyRequiredError, match="immutable"):
        interop.to(jax_chunks, "torch", copy=False)  # JAX memory is never writable-shared
    with pytest.raises(interop.InteropError, match="stream"):
        interop.to(_source(), "torch", stream=1)
    assert interop.framework(interop.to(_source(), "torch", stream=interop.NO_SYNC)) == "dask"
    with pytest.raises(interop.InteropError, match="map_blocks"):
        interop.via("torch")(lambda t: t)(_source())


def test_compute_time_copy_required_keeps_its_type(client: distributed.Client) -> None:
    flipped = _source().map_blocks(lambda b: b[::-1], meta=np.empty((0, 0), np.float32))
    y = interop.to(flipped, "torch", copy=False)  # the meta is compact: building succeeds
    with pytest.raises(interop.CopyRequiredError, match="negative") as info:
        y.compute()
    assert any("Dask chunk at block" in note for note in getattr(info.value, "__notes__", []))
    shared = interop.to(flipped, "torch")  # copy=None: those chunks are copied
    np.testing.assert_array_equal(interop.to_numpy(shared), flipped.compute())


# -- across workers -----------------------------------------------------------------------
def test_bfloat16_crosses_workers_bit_exactly(client: distributed.Client) -> None:
    first, second = sorted(client.scheduler_info()["workers"])[:2]
    bf16 = _chunked("bfloat16").persist(workers=[first])
    distributed.wait(bf16)
    assert {w for ws in client.who_has(bf16).values() for w in ws} == {first}
    result = client.compute(bf16, workers=[second]).result()  # concatenated on `second`
    assert result.dtype == torch.bfloat16
    assert _bits(result) == _bits(_expected("torch", "bfloat16"))


@pytest.mark.parametrize("make", [
    lambda: torch.arange(6, dtype=torch.float32).reshape(2, 3).to(torch.bfloat16),
    lambda: torch.linspace(-3, 3, 8).to(torch.float8_e4m3fn),
    lambda: torch.tensor(2.5, dtype=torch.bfloat16),
    lambda: torch.empty((0, 3), dtype=torch.bfloat16),
    lambda: torch.tensor([1 + 2j, 3 - 4j]).conj(),
    lambda: torch.arange(4.0).requires_grad_(),
], ids=["bfloat16", "float8", "0-d", "empty", "conj", "grad"])
def test_torch_serializer_round_trips(client: distributed.Client, make: object) -> None:
    from distributed.protocol import deserialize, serialize

    interop.to(_source(), "torch")  # building a conversion registers it in this process
    t = make()  # type: ignore[operator]
    header, frames = serialize(t, serializers=("dask",))
    back = deserialize(header, frames)
    assert back.dtype == t.dtype and back.shape == t.shape
    assert back.requires_grad == t.requires_grad
    assert _bits(back.detach().resolve_conj()) == _bits(t.detach().resolve_conj())


FRESH = FRESH_SETUP + """
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=":0") as cluster, Client(cluster) as client:
    x = da.from_array(src, chunks=(4, 3))
    result = interop.to(x, "torch").compute()
    assert isinstance(result, torch.Tensor) and torch.equal(result, torch.from_numpy(src))
    bf16 = interop.to(interop.to(x, "torch").map_blocks(
        lambda t: t.to(torch.bfloat16), meta=torch.empty((0, 0), dtype=torch.bfloat16)), "torch")
    first, second = sorted(client.scheduler_info()["workers"])
    kept = bf16.persist(workers=[first])
    out = client.compute(kept, workers=[second]).result()
    assert out.dtype == torch.bfloat16 and torch.equal(out, torch.from_numpy(src).bfloat16())
    print("ok")
"""


def test_fresh_cluster_needs_no_setup() -> None:
    """A new client process and cluster: ``compute`` works with no call before it."""
    assert run_fresh(FRESH).strip().endswith("ok")


ASYNC = FRESH_SETUP + """
import asyncio

async def main():
    async with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                            dashboard_address=":0", asynchronous=True) as cluster, \\
            Client(cluster, asynchronous=True) as client:
        x = da.from_array(src.astype(ml_dtypes.bfloat16), chunks=(4, 3))
        y = interop.to(x, "torch")  # cannot wait: the plugin is registered on the loop
        for _ in range(200):
            have = await client.run(lambda dask_worker: "interop-dask" in dask_worker.plugins)
            if all(have.values()):
                break
            await asyncio.sleep(0.05)
        assert all(have.values()), have
        first, second = sorted(have)  # the workers' addresses
        kept = client.persist(y, workers=[first])
        await distributed.wait(kept)
        out = await client.compute(kept, workers=[second])  # `second` ran no conversion
        assert out.dtype == torch.bfloat16 and torch.equal(out, torch.from_numpy(src).bfloat16())
        print("ok")

asyncio.run(main())
"""


def test_an_async_client_gets_the_plugin() -> None:
    """``interop.to`` cannot await: the plugin lands from the client's event loop."""
    assert run_fresh(ASYNC).strip().endswith("ok")


def test_workers_that_join_later_get_the_plugin(client: distributed.Client) -> None:
    """The plugin is the scheduler's: a worker started after the conversion has it too."""
    bf16 = _chunked("bfloat16")  # builds conversions: the client has the plugin now
    before = set(client.scheduler_info()["workers"])
    client.cluster.scale(len(before) + 1)
    client.wait_for_workers(len(before) + 1, timeout=60)
    (late,) = set(client.scheduler_info()["workers"]) - before
    try:
        assert client.run(lambda dask_worker: "interop-dask" in dask_worker.plugins,
                          workers=[late]) == {late: True}
        kept = bf16.persist(workers=[sorted(before)[0]])
        distributed.wait(kept)
        result = client.compute(kept, workers=[late]).result()  # only concatenates there
        assert _bits(result) == _bits(_expected("torch", "bfloat16"))
    finally:
        client.retire_workers([late], close_workers=True)


# -- trees ----------------------------------------------------------------------------------
def test_to_each_over_a_tree_of_dask_arrays(client: distributed.Client) -> None:
    tree = {"x": _source(), "pair": (_source() > 0, 3), "name": "kept"}
    converted = interop.to_each(tree, "torch")
    assert converted["name"] == "kept" and converted["pair"][1] == 3
    assert all(interop.framework(v) == "dask" for v in (converted["x"], converted["pair"][0]))
    (done,) = dask.compute(converted)
    assert isinstance(done["x"], torch.Tensor) and done["pair"][0].dtype == torch.bool
    np.testing.assert_array_equal(done["x"].numpy(), SOURCE)
    liked = interop.like(_source(), jnp.zeros(1))
    assert isinstance(liked.compute(), jax.Array)


# -- to_backend -----------------------------------------------------------------------------
@pytest.mark.usefixtures("backends")
@pytest.mark.parametrize("target", ["torch", "jax"])
def test_to_backend(client: distributed.Client, target: str) -> None:
    y = _source().to_backend(target)
    assert isinstance(y._meta, ARRAY_TYPES[target]) and y.chunks == _source().chunks
    result = y.compute()
    assert isinstance(result, ARRAY_TYPES[target])
    np.testing.assert_array_equal(interop.to_numpy(result), SOURCE)


# -- docs and imports -----------------------------------------------------------------------
def test_docs_example_runs() -> None:
    """docs/dask.md's ```py blocks, as a script (tests/tooling/test_docs.py runs ```python)."""
    text = (ROOT / "docs" / "dask.md").read_text(encoding="utf-8")
    code = re.findall(r"^```py\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert code
    run_fresh("\n".join(code))


def test_import_interop_imports_no_dask() -> None:
    import subprocess

    probe = ("import sys, interop; print(sorted(m for m in ('dask', 'distributed', 'torch') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"
