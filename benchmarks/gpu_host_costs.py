"""What the GPU paths cost on the host, measured here without a GPU (issue 12).

A GPU hand-off spends host time before any kernel runs: deciding the stream, asking the
producer for its capsule on that stream, reading the capsule, recording and waiting on
an event for ``__cuda_array_interface__`` producers.  These rows time exactly that host
work with the test suite's doubles: ``FakeCudaProducer`` (claims CUDA device 0, hands out
host memory) and a consumer adapter that holds CUDA memory and reports a current stream.
The event row swaps torch's ``cuda.Event``/``ExternalStream`` for no-op stand-ins, so
it counts interop's bookkeeping, not the driver's.  On a GPU machine
``benchmarks/gpu.py`` measures the real calls.

    python benchmarks/gpu_host_costs.py [--json PATH] [--budget 0.2]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import interop
from interop._adapter import Adapter, Request
from interop._devices import Device
from interop._streams import resolve_stream, stream_handle
from interop.adapters.dlpack import DLPackAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from doubles import FakeCudaProducer
from harness import compare, pin_threads, write_json

CUDA0 = Device("cuda", 0)


class FakeCudaConsumer(Adapter):
    """A target that holds CUDA memory and whose current stream is 7 (as torch reports it)."""

    name = "fake_cuda"
    dlpack_versioned = True

    def can_hold(self, device: Device) -> bool:
        return True

    def current_stream(self, device: Device) -> int | None:
        return 7


class _Stream:
    """Stands in for ``torch.cuda.ExternalStream``: a handle that can wait on an event."""

    def __init__(self, handle: int, device: Any = None) -> None:
        self.handle = handle

    def wait_event(self, event: Any) -> None:
        return None


class _Event:
    def record(self, stream: Any) -> None:
        return None


class _CudaStream:
    """A stream object as cupy and torch present one (``__cuda_stream__``)."""

    def __cuda_stream__(self) -> tuple[int, int]:
        return (0, 7)


@contextlib.contextmanager
def fake_torch_events() -> Iterator[bool]:
    """torch's event and external-stream classes replaced by no-ops, if torch is here."""
    try:
        import torch
    except ImportError:
        yield False
        return
    saved = torch.cuda.Event, torch.cuda.ExternalStream
    torch.cuda.Event, torch.cuda.ExternalStream = _Event, _Stream  # type: ignore[misc]
    try:
        yield True
    finally:
        torch.cuda.Event, torch.cuda.ExternalStream = saved  # type: ignore[misc]


def rows() -> dict[str, Callable[[], object]]:
    """name -> the host work of one GPU-path step."""
    from interop.adapters.cai import _order
    from interop.adapters.numpy import NumpyAdapter

    array = np.arange(1000, dtype=np.float32)
    producer = FakeCudaProducer(array)
    consumer, dlpack = FakeCudaConsumer(), DLPackAdapter()
    to_gpu = Request(consumer, CUDA0, None, None)
    to_host = Request(NumpyAdapter(), None, None, None, True)

    def hand_off() -> object:
        producer.calls.clear()
        producer.streams.clear()
        return dlpack.coerce(producer, to_gpu)

    return {
        "(baseline) the double's own __dlpack__":
            lambda: producer.__dlpack__(stream=7, max_version=(1, 1)),
        "resolve the consumer stream": lambda: resolve_stream(None, (2, 0), 7),
        "a stream object's handle": lambda: stream_handle(_CudaStream()),
        "GPU producer -> GPU consumer: stream, export, capsule read": hand_off,
        "explain a GPU -> host conversion": lambda: dlpack.coerce(producer, to_host),
        "interop.explain(GPU producer, 'numpy')": lambda: interop.explain(producer, "numpy"),
        "event record + wait (CUDA array interface)":
            lambda: _order(5, 7, "torch", CUDA0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per row")
    args = parser.parse_args(argv)
    pin_threads(1)
    out: list[dict[str, Any]] = []
    with fake_torch_events() as faked:
        for name, call in rows().items():
            if name.startswith("event") and not faked:
                print(f"skipped: {name} (torch is not installed)")
                continue
            call()
            stats = compare({name: call}, budget_s=args.budget)[name]
            out.append({"case": name, "us": stats.median * 1e6, "iqr_us": stats.iqr * 1e6})
            print(f"{name:60} {stats.median * 1e6:8.2f} us  (iqr {stats.iqr * 1e6:.2f})")
    if args.json:
        write_json(args.json, rows=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
