"""How distributed sends torch chunks: which serialization family takes which tensor.

A CUDA comm (UCX) asks for ``("cuda", "dask", "pickle")`` and sends every frame that
has a ``__cuda_array_interface__`` GPU to GPU.  These tests check interop's decision on
the CPU: ``interop._dask_serialize.on_device`` is patched so that a host tensor stands
in for a CUDA one (and ``synchronize`` records instead of waiting), which exercises
exactly the code a CUDA tensor takes; tests/gpu/test_dask_gpu.py runs it on a GPU.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("distributed")
torch = pytest.importorskip("torch")

from distributed.protocol import deserialize, serialize  # noqa: E402

import interop  # noqa: E402
from interop import _dask_serialize  # noqa: E402
from interop._dask_setup import register_local  # noqa: E402

from paths import ROOT  # noqa: E402

FAMILIES = ("cuda", "dask", "pickle")

TENSORS = {
    "float32": lambda: torch.arange(12, dtype=torch.float32).reshape(3, 4) - 5.5,
    "bfloat16": lambda: torch.linspace(-3, 3, 10).to(torch.bfloat16).reshape(2, 5),
    "float8": lambda: torch.linspace(-3, 3, 8).to(torch.float8_e4m3fn),
    "bool": lambda: torch.tensor([[True, False, True]]),
    "0-d": lambda: torch.tensor(2.5, dtype=torch.bfloat16),
    "empty": lambda: torch.empty((0, 3), dtype=torch.float16),
    "conj": lambda: torch.tensor([1 + 2j, 3 - 4j]).conj(),
    "transposed": lambda: torch.arange(6.0).reshape(2, 3).t(),
    "grad": lambda: torch.arange(4.0).requires_grad_(),
}


def _bits(t: torch.Tensor) -> bytes:
    values = t.detach().resolve_conj().resolve_neg().contiguous()
    return values.reshape(-1).view(torch.uint8).numpy().tobytes()


@pytest.fixture
def fake_device(monkeypatch: pytest.MonkeyPatch) -> list[torch.Tensor]:
    """Host tensors take the CUDA path; the frames ``synchronize`` was called for."""
    register_local()
    synced: list[torch.Tensor] = []
    monkeypatch.setattr(_dask_serialize, "on_device", lambda t: True)
    monkeypatch.setattr(_dask_serialize, "synchronize", synced.append)
    monkeypatch.setattr(_dask_serialize, "receiving_device", lambda kind: "cpu")
    return synced


def test_host_tensors_are_declined_by_the_cuda_family() -> None:
    register_local()
    t = TENSORS["bfloat16"]()
    header, frames = serialize(t, serializers=FAMILIES)
    assert header["serializer"] == "dask"  # "cuda" declined it: host bytes, bit for bit
    back = deserialize(header, frames, deserializers=FAMILIES)
    assert back.dtype == t.dtype and _bits(back) == _bits(t)


@pytest.mark.parametrize("name", list(TENSORS))
def test_device_tensors_travel_as_their_own_device_memory(
        fake_device: list[torch.Tensor], name: str) -> None:
    t = TENSORS[name]()
    header, frames = serialize(t, serializers=FAMILIES)
    assert header["serializer"] == "cuda"
    (frame,) = frames
    assert isinstance(frame, torch.Tensor) and frame.dtype == torch.uint8  # no host bytes
    assert frame.numel() == t.numel() * t.element_size()
    assert fake_device == [frame]  # the comm reads a frame whose work is finished
    if t.is_contiguous() and not t.is_conj() and t.numel():
        assert frame.data_ptr() == t.data_ptr()  # the tensor's memory itself: no copy
    back = deserialize(header, frames, deserializers=FAMILIES)
    assert type(back) is torch.Tensor and back.dtype == t.dtype and back.shape == t.shape
    assert back.requires_grad == t.requires_grad
    assert _bits(back) == _bits(t)


@pytest.mark.parametrize("name", ["float32", "bfloat16", "empty"])
def test_a_frame_the_comm_allocated_is_imported_without_a_copy(
        fake_device: list[torch.Tensor], name: str) -> None:
    """The receiving comm hands its own buffer (RMM, Numba, CuPy): a NumPy one stands in."""
    t = TENSORS[name]()
    header, frames = serialize(t, serializers=FAMILIES)
    received = frames[0].numpy().copy()  # a buffer of the comm's, not a tensor
    back = deserialize(header, [received], deserializers=FAMILIES)
    assert back.dtype == t.dtype and back.shape == t.shape and _bits(back) == _bits(t)
    if received.size:
        assert back.data_ptr() == received.ctypes.data  # the tensor views that buffer


def test_subclasses_grads_and_sparse_tensors_go_to_the_dask_family(
        fake_device: list[torch.Tensor]) -> None:
    param = torch.nn.Parameter(torch.arange(3.0))
    with_grad = torch.arange(3.0, requires_grad=True)
    with_grad.sum().backward()
    sparse = torch.eye(3).to_sparse()
    for t in (param, with_grad, sparse):
        with pytest.raises(NotImplementedError, match="next family"):
            _dask_serialize.cuda_dumps(t)
    header, frames = serialize(param, serializers=FAMILIES)
    assert header["serializer"] == "dask"
    back = deserialize(header, frames, deserializers=FAMILIES)
    assert isinstance(back, torch.nn.Parameter) and torch.equal(back.detach(), param.detach())
    assert fake_device == []


def test_cuda_family_registers_lazily_with_torch() -> None:
    """Registered before torch is imported, interop's serializers are in place once it is."""
    probe = (
        "import sys, numpy as np, distributed, dask.array as da, interop\n"
        "x = da.from_array(np.zeros(4), chunks=2)\n"
        "interop.to(x, 'numpy')\n"  # builds a conversion: registers, lazily
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "from distributed.protocol.cuda import cuda_serialize\n"
        "from distributed.protocol.serialize import dask_serialize\n"
        "print(cuda_serialize.dispatch(torch.Tensor).__module__,\n"
        "      getattr(dask_serialize.dispatch(torch.Tensor), '_interop', False))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["interop._dask_serialize", "True"]


def test_interop_reads_a_received_frame_as_bytes() -> None:
    """``cuda_loads`` reinterprets bytes: a float32 tensor over a uint8 buffer, bit for bit."""
    values = np.arange(6, dtype=np.float32)
    header = {"interop": 1, "dtype": "float32", "shape": [2, 3], "device": "cuda",
              "requires_grad": False}
    back = _dask_serialize.cuda_loads(header, [values.view(np.uint8)])
    assert back.shape == (2, 3)
    np.testing.assert_array_equal(interop.to_numpy(back).reshape(-1), values)
