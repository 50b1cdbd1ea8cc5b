"""PIL images as array sources: ``(H, W)`` or ``(H, W, C)`` arrays of the mode's dtype.

Pillow keeps pixels in its own storage and exports them as a read-only ``bytes`` copy,
so every conversion copies (the copy is private, then handed over without a second one
where the target can take it).  Only modes whose bytes *are* the pixel values convert:
a palette image (``P``, ``PA``) holds indices into its palette, and premultiplied or
packed modes hold other numbers, so those are refused rather than returned as
look-alike arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .._adapter import ArrayInfo
from .._devices import CPU, Device
from .._errors import UnsupportedDtypeError
from ._views import SourceOnly, compact_info

__all__ = ["PilAdapter"]

#: mode -> (dtype, channels; 0 for a 2-D array)
_MODES = {
    "1": ("bool", 0), "L": ("uint8", 0), "LA": ("uint8", 2), "RGB": ("uint8", 3),
    "RGBA": ("uint8", 4), "RGBX": ("uint8", 4), "CMYK": ("uint8", 4), "YCbCr": ("uint8", 3),
    "LAB": ("uint8", 3), "HSV": ("uint8", 3), "I": ("int32", 0), "F": ("float32", 0),
    "I;16": ("uint16", 0), "I;16L": ("uint16", 0), "I;16B": ("uint16", 0),
}
_COPIED = "a PIL image keeps its pixels in Pillow's own storage, so they are copied out"


def _mode(img: Any) -> tuple[str, int]:
    try:
        return _MODES[img.mode]
    except KeyError:
        what = ("palette indices, not colours" if img.mode in ("P", "PA") else
                "values that are not the plain pixel values")
        raise UnsupportedDtypeError(
            f"This PIL image has mode {img.mode!r}: its bytes are {what}. Convert it to a "
            "pixel mode first, e.g. img.convert('RGB') (or 'RGBA', 'L').") from None


class PilAdapter(SourceOnly):
    name = "pil"

    def owns(self, tp: type) -> bool:
        return issubclass(tp, Image.Image)

    def describe(self, x: Any) -> ArrayInfo:
        dtype, channels = _mode(x)
        width, height = x.size
        shape = (height, width, channels) if channels else (height, width)
        info = compact_info(dtype, shape, np.dtype(dtype).itemsize, input_copied=_COPIED)
        if x.mode == "I;16B" and np.little_endian:
            return ArrayInfo(**{**_fields(info), "byteswapped": True})
        return info

    def device_of(self, x: Any) -> Device:
        return CPU

    def host_view(self, x: Any) -> np.ndarray:
        _mode(x)
        return np.array(x)  # Pillow exports a read-only bytes copy; this one is ours

    def dlpack_producer(self, x: Any) -> Any:
        return self.host_view(x)


def _fields(info: ArrayInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in ArrayInfo.__dataclass_fields__}
