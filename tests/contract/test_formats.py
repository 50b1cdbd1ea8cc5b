"""Every ML number format DLPack knows: bit-exact where both sides hold it, refused otherwise.

References are built without interop (ml_dtypes views of raw bytes; torch views of uint8),
and results are compared as raw bytes, so NaN payloads and the fnuz encodings count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interop

from capsule_fuzz import build

ml_dtypes = pytest.importorskip("ml_dtypes")

#: format -> bits per value (stored one value per byte when < 8, as ml_dtypes does)
FORMATS = {
    "bfloat16": 16, "float8_e3m4": 8, "float8_e4m3": 8, "float8_e4m3b11fnuz": 8,
    "float8_e4m3fn": 8, "float8_e4m3fnuz": 8, "float8_e5m2": 8, "float8_e5m2fnuz": 8,
    "float8_e8m0fnu": 8, "float6_e2m3fn": 6, "float6_e3m2fn": 6, "float4_e2m1fn": 4,
    "int4": 4, "uint4": 4, "int2": 2, "uint2": 2,
}


def _np_dtype(name: str) -> np.dtype[Any]:
    return np.dtype(getattr(ml_dtypes, name))


def _reference(name: str, raw: bytes) -> np.ndarray:
    """Random bit patterns as ``name`` values (sub-byte: the low bits of each byte)."""
    dtype = _np_dtype(name)
    data = np.frombuffer(raw, dtype=np.uint8).copy()
    if FORMATS[name] < 8:
        data &= (1 << FORMATS[name]) - 1
    return data.view(np.uint8 if dtype.itemsize == 1 else np.uint16).view(dtype)


def _bytes(x: Any) -> bytes:
    mod = type(x).__module__.split(".")[0]
    if mod == "torch":
        import torch

        return x.contiguous().view(torch.uint8).numpy().tobytes()
    return np.ascontiguousarray(np.asarray(x)).view(np.uint8).tobytes()


def _holds(target: str, name: str) -> bool:
    if target == "numpy":
        return True
    if target == "torch":
        torch = pytest.importorskip("torch")
        return hasattr(torch, name) and name not in ("int4", "uint4", "int2", "uint2")
    pytest.importorskip("jax")
    from interop.adapters.jax import _holds as jax_holds

    return jax_holds(name)


def _source(framework: str, ref: np.ndarray, name: str) -> Any:
    if framework == "numpy":
        return ref.copy()
    if framework == "torch":
        import torch

        raw = torch.from_numpy(ref.view(np.uint8 if ref.itemsize == 1 else np.uint16).copy())
        return raw.view(getattr(torch, name))
    import jax

    return jax.device_put(ref.copy(), jax.devices("cpu")[0])


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("source", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_matrix(name: str, source: str, target: str, copy: bool | None) -> None:
    if not _holds(source, name):
        pytest.skip(f"{source} has no {name} to start from")
    ref = _reference(name, bytes(range(256))[:24] * 2)
    for layout in ("contiguous", "strided"):
        x = _source(source, ref, name)
        expected = ref
        if layout == "strided":
            x, expected = x[::2], ref[::2]
        if not _holds(target, name):
            with pytest.raises(interop.UnsupportedDtypeError, match=name):
                interop.to(x, target, copy=copy)  # a dtype refusal wins over copy=False
            continue
        try:
            out = interop.to(x, target, copy=copy)
        except interop.CopyRequiredError:
            assert copy is False
            continue
        assert _bytes(out) == _bytes(expected), (name, source, target, layout)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(FORMATS)), raw=st.binary(min_size=8, max_size=64))
def test_round_trips_keep_every_bit_pattern(name: str, raw: bytes) -> None:
    if len(raw) % 2:
        raw = raw[:-1]
    ref = _reference(name, raw)
    back = ref
    for target in ("torch", "jax", "numpy"):
        if _holds(target, name):
            back = interop.to(back, target)
    assert _bytes(interop.to_numpy(back)) == _bytes(ref)


def _capsule(bits: int, code: int, flags: int) -> object:
    fields = {"ndim": 1, "shape": [4], "strides": None, "null_data": False, "data_offset": 6144,
              "byte_offset": 0, "device_type": 1, "device_id": 0, "code": code, "bits": bits,
              "lanes": 1, "versioned": True, "major": 1, "minor": 1, "flags": flags,
              "deleter": True}
    return build(fields)


def test_packed_sub_byte_capsules_are_refused_padded_ones_read() -> None:
    with pytest.raises(interop.UnsupportedDtypeError, match="packed"):
        interop.to(_capsule(4, 0, 0), "numpy")
    out = interop.to(_capsule(4, 0, 1 << 2), "numpy")  # IS_SUBBYTE_TYPE_PADDED
    assert out.dtype == _np_dtype("int4") and out.shape == (4,)


def test_torch_packed_float4_pairs_are_refused_with_the_way_out() -> None:
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "float4_e2m1fn_x2"):
        pytest.skip("this torch has no float4_e2m1fn_x2")
    x2 = torch.zeros(4, dtype=torch.uint8).view(torch.float4_e2m1fn_x2)
    for target in ("numpy", "jax"):
        with pytest.raises(interop.UnsupportedDtypeError, match="one value per byte"):
            interop.to(x2, target)


def test_explain_names_the_format() -> None:
    pytest.importorskip("torch")
    text = str(interop.explain(np.zeros(3, dtype=_np_dtype("float8_e4m3fnuz")), "torch"))
    assert "zero-copy" in text
    with pytest.raises(interop.UnsupportedDtypeError, match="int4"):
        interop.explain(np.zeros(3, dtype=_np_dtype("int4")), "torch")


def test_without_ml_dtypes_the_message_says_how_to_get_it() -> None:
    code = """
import sys
sys.modules["ml_dtypes"] = None
import torch, interop
try:
    interop.to(torch.ones(2, dtype=torch.bfloat16), "numpy")
except interop.UnsupportedDtypeError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ), check=False)
    if "No module named 'torch'" in done.stderr:
        pytest.skip("torch is not installed")
    assert "pip install ml_dtypes" in done.stdout, done.stdout + done.stderr


def test_producer_rules_null_strides_and_byte_offset() -> None:
    """DLPack 1.2/1.3: NULL strides mean compact row-major; ``byte_offset`` is honoured."""
    base = np.arange(8, dtype=np.float32)
    fields = {"ndim": 1, "shape": [4], "strides": None, "null_data": False, "data_offset": 6144,
              "byte_offset": 8, "device_type": 1, "device_id": 0, "code": 2, "bits": 32,
              "lanes": 1, "versioned": False, "major": 1, "minor": 0, "flags": 0,
              "deleter": True}
    from capsule_fuzz import BUFFER

    BUFFER[6144:6144 + base.nbytes] = base.view(np.uint8)
    out = interop.to(build(fields), "numpy")
    assert out.tolist() == [2.0, 3.0, 4.0, 5.0]  # two floats (8 bytes) into the buffer
