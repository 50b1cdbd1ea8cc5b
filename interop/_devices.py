"""Devices: one small value type shared by every adapter.

DLPack names devices by ``(device_type, index)``; frameworks each have their
own device objects.  ``Device`` is the common currency so that planning can
compare a source device with a target device without importing anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ._errors import UnsupportedDeviceError

__all__ = ["CPU", "DLDeviceType", "Device"]


class DLDeviceType(enum.IntEnum):
    """Device type codes of the DLPack specification."""

    CPU = 1
    CUDA = 2
    CUDA_HOST = 3
    OPENCL = 4
    VULKAN = 7
    METAL = 8
    VPI = 9
    ROCM = 10
    ROCM_HOST = 11
    EXT_DEV = 12
    CUDA_MANAGED = 13
    ONE_API = 14
    WEBGPU = 15
    HEXAGON = 16
    MAIA = 17


# Memory that the host can address directly, whatever DLPack calls it.
_HOST_READABLE = {DLDeviceType.CPU, DLDeviceType.CUDA_HOST, DLDeviceType.ROCM_HOST,
                  DLDeviceType.CUDA_MANAGED}
_KIND_OF_TYPE = {
    DLDeviceType.CPU: "cpu", DLDeviceType.CUDA_HOST: "cpu", DLDeviceType.ROCM_HOST: "cpu",
    DLDeviceType.CUDA_MANAGED: "cpu", DLDeviceType.CUDA: "cuda", DLDeviceType.ROCM: "rocm",
    DLDeviceType.METAL: "mps", DLDeviceType.ONE_API: "xpu", DLDeviceType.VULKAN: "vulkan",
}
_TYPE_OF_KIND = {"cpu": DLDeviceType.CPU, "cuda": DLDeviceType.CUDA, "rocm": DLDeviceType.ROCM,
                 "mps": DLDeviceType.METAL, "xpu": DLDeviceType.ONE_API,
                 "vulkan": DLDeviceType.VULKAN}
_ALIASES = {"gpu": "cuda", "hip": "rocm", "host": "cpu"}


@dataclass(frozen=True, slots=True)
class Device:
    """A device: ``kind`` is ``"cpu"``, ``"cuda"``, ``"rocm"``...; ``index`` is ``None`` for "any".

    ``str(Device("cuda", 1))`` is ``"cuda:1"``; ``Device.parse("cuda:1")`` reverses it.
    """

    kind: str
    index: int | None = None

    def __str__(self) -> str:
        if self.kind == "cpu" or self.index is None:
            return self.kind
        return f"{self.kind}:{self.index}"

    @property
    def is_host(self) -> bool:
        """True when NumPy can read this memory directly."""
        return self.kind == "cpu"

    @property
    def dlpack(self) -> tuple[int, int]:
        """The ``(device_type, index)`` pair DLPack uses for this device."""
        return int(_TYPE_OF_KIND.get(self.kind, DLDeviceType.EXT_DEV)), self.index or 0

    @classmethod
    def parse(cls, spec: object) -> Device:
        """Accept ``"cpu"``, ``"cuda"``, ``"cuda:N"``, a ``Device`` or a framework's device."""
        if isinstance(spec, Device):
            return spec
        if isinstance(spec, str):
            return _parse_string(spec)
        if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(v, int) for v in spec):
            return cls.from_dlpack(spec)
        return _parse_foreign(spec)

    @classmethod
    def from_dlpack(cls, pair: tuple[int, int]) -> Device:
        """Build a ``Device`` from a ``__dlpack_device__()`` pair."""
        code, index = int(pair[0]), int(pair[1])
        known = _OF_DLPACK.get((code, index))
        if known is not None:
            return known  # read once per conversion: the same object every time
        try:
            kind = _KIND_OF_TYPE[DLDeviceType(code)]
        except (ValueError, KeyError):
            raise UnsupportedDeviceError(
                f"DLPack device type {code} is not supported; interop handles CPU, CUDA and "
                "ROCm memory."
            ) from None
        device = CPU if kind == "cpu" else cls(kind, index)
        if len(_OF_DLPACK) < 1024:  # bounded: indices come from producers
            _OF_DLPACK[code, index] = device
        return device


CPU = Device("cpu")
_OF_DLPACK: dict[tuple[int, int], Device] = {}
_HOST_CODES = frozenset(int(t) for t in _HOST_READABLE)


def is_host_readable(pair: tuple[int, int]) -> bool:
    """True for DLPack devices whose memory the CPU reads without a copy (pinned, managed)."""
    return int(pair[0]) in _HOST_CODES


def _parse_string(spec: str) -> Device:
    text = spec.strip().lower()
    kind, _, index_text = text.partition(":")
    kind = _ALIASES.get(kind, kind)
    if kind not in _TYPE_OF_KIND or (index_text and not index_text.isdigit()):
        raise UnsupportedDeviceError(
            f"Cannot understand the device {spec!r}. Use 'cpu', 'cuda', 'cuda:N' (N = GPU number) "
            "or an interop.Device."
        )
    if kind == "cpu":
        return CPU
    return Device(kind, int(index_text) if index_text else None)


def _parse_foreign(spec: Any) -> Device:
    """Read torch/cupy/jax/array-API device objects by duck typing (no imports)."""
    kind = getattr(spec, "type", None)  # torch.device
    if isinstance(kind, str):
        index = getattr(spec, "index", None)
        return _parse_string(kind if index is None else f"{kind}:{index}")
    platform = getattr(spec, "platform", None)  # jax Device
    if isinstance(platform, str):
        return _parse_string(platform if platform == "cpu" else f"{platform}:{spec.id}")
    if type(spec).__module__.startswith("cupy") and isinstance(getattr(spec, "id", None), int):
        return Device("cuda", spec.id)
    text = str(spec)
    if "CPU_DEVICE" in text:  # array-api-strict's default device
        return CPU
    raise UnsupportedDeviceError(
        f"Cannot understand the device {spec!r} (a {type(spec).__name__}). Use 'cpu', 'cuda', "
        "'cuda:N', an interop.Device, or a torch/cupy/jax device object."
    )
