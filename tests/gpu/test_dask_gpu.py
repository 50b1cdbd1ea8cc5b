"""Dask on a GPU: CUDA chunks stay on the device, and travel as CUDA where the comm can.

A GPU-only module (``GPU_MODULES``): without a usable GPU it skips once, as a whole.
tests/features/test_dask_serialize.py checks the same decisions on the CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.gpu

da = pytest.importorskip("dask.array", reason="dask is not installed (nox -s dask has it)")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed", reason="distributed is not installed")
torch = pytest.importorskip("torch", reason="torch is not installed")
if not torch.cuda.is_available():
    pytest.skip("torch.cuda.is_available() is False", allow_module_level=True)

from dask_support import cluster_client  # noqa: E402
from distributed.protocol import deserialize, serialize  # noqa: E402

import interop  # noqa: E402

SOURCE = np.arange(48, dtype=np.float32).reshape(6, 8) - 20.5
FAMILIES = ("cuda", "dask", "pickle")


@pytest.fixture
def cupy() -> Any:
    cp = pytest.importorskip("cupy", reason="cupy is not installed")
    try:
        cp.cuda.runtime.getDeviceCount()
    except Exception as exc:  # the reason is the message
        pytest.skip(f"cupy imports but no CUDA device is usable: {exc}")
    return cp


client = pytest.fixture(scope="module", name="client")(cluster_client)


def _bits(t: Any) -> bytes:
    return t.detach().contiguous().reshape(-1).view(torch.uint8).cpu().numpy().tobytes()


def test_cupy_chunks_become_torch_chunks_on_the_device(cupy: Any) -> None:
    c = cupy.asarray(SOURCE)
    x = da.from_array(c, chunks=(4, 3), asarray=False)
    y = interop.to(x, "torch")
    assert isinstance(y._meta, torch.Tensor) and y._meta.device.type == "cuda"
    assert interop.device(y) == interop.device(c)
    blocks = dask.compute(*y.to_delayed().ravel(), scheduler="threads")
    assert all(b.device.type == "cuda" for b in blocks)
    whole = da.from_array(c, chunks=c.shape, asarray=False)
    (block,) = dask.compute(*interop.to(whole, "torch").to_delayed().ravel(),
                            scheduler="threads")
    assert block.data_ptr() == c.data.ptr  # the chunk's own device memory: no copy
    result = y.compute(scheduler="threads")
    assert result.device.type == "cuda"
    np.testing.assert_array_equal(result.cpu().numpy(), SOURCE)


def test_cupy_chunks_to_torch_on_a_cluster(client: distributed.Client, cupy: Any) -> None:
    x = da.from_array(cupy.asarray(SOURCE), chunks=(4, 3), asarray=False)
    y = interop.to(x, "torch")
    result = y.compute()
    assert isinstance(result, torch.Tensor) and result.device.type == "cuda"
    np.testing.assert_array_equal(result.cpu().numpy(), SOURCE)
    first, second = sorted(client.scheduler_info()["workers"])[:2]
    bf16 = interop.to(y.map_blocks(lambda t: t.to(torch.bfloat16),
                                   meta=y._meta.to(torch.bfloat16)), "torch")
    kept = bf16.persist(workers=[first])
    distributed.wait(kept)
    out = client.compute(kept, workers=[second]).result()  # crossed a TCP comm: host bytes
    assert out.device.type == "cuda" and out.dtype == torch.bfloat16
    assert _bits(out) == _bits(torch.from_numpy(SOURCE).to(torch.bfloat16))


@pytest.mark.parametrize("make", [
    lambda: torch.arange(12, dtype=torch.float32, device="cuda").reshape(3, 4),
    lambda: torch.linspace(-3, 3, 10, device="cuda").to(torch.bfloat16),
    lambda: torch.linspace(-3, 3, 8, device="cuda").to(torch.float8_e4m3fn),
    lambda: torch.tensor(2.5, dtype=torch.bfloat16, device="cuda"),
    lambda: torch.empty((0, 3), device="cuda"),
    lambda: torch.arange(6.0, device="cuda").reshape(2, 3).t(),
], ids=["float32", "bfloat16", "float8", "0-d", "empty", "transposed"])
def test_a_cuda_torch_chunk_round_trips_through_distributed(make: Any) -> None:
    from interop._dask_setup import register_local

    register_local()
    t = make()
    header, frames = serialize(t, serializers=FAMILIES)  # what a UCX comm asks for
    assert header["serializer"] == "cuda"
    (frame,) = frames
    assert hasattr(frame, "__cuda_array_interface__")  # sent GPU to GPU by the comm
    if t.is_contiguous() and t.numel():
        assert frame.data_ptr() == t.data_ptr()
    back = deserialize(header, frames, deserializers=FAMILIES)
    assert back.device.type == "cuda" and back.dtype == t.dtype and back.shape == t.shape
    assert _bits(back) == _bits(t)
    host_header, host_frames = serialize(t, serializers=("dask",))  # a TCP comm
    assert not any(hasattr(f, "__cuda_array_interface__") for f in host_frames)
    again = deserialize(host_header, host_frames, deserializers=("dask",))
    assert again.device.type == "cuda" and _bits(again) == _bits(t)


def test_a_frame_the_comm_allocated_is_read_in_place(cupy: Any) -> None:
    """A UCX comm receives into its own device buffer (RMM or Numba): CuPy stands in."""
    from interop._dask_setup import register_local

    register_local()
    t = torch.linspace(-3, 3, 10, device="cuda").to(torch.bfloat16)
    header, frames = serialize(t, serializers=FAMILIES)
    received = cupy.asarray(frames[0]).copy()
    back = deserialize(header, [received], deserializers=FAMILIES)
    assert back.device.type == "cuda" and back.data_ptr() == received.data.ptr
    assert _bits(back) == _bits(t)
