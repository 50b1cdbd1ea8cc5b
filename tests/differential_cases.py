"""The differential check behind ``test_differential.py``; run as a script, one family per process.

For one *family* of inputs (values of one type, or of a few types that a program mixes),
in a process whose route caches start empty, every conversion is made three ways:

* ``planned``: the planner and executor alone (``interop._convert.planned``: no cache is
  read or written);
* ``first`` and ``second``: ``interop.to`` called twice, so that the second call takes
  whatever route the first one remembered.

Values of one family are converted in turn, so a route remembered for an ordinary value
meets the unusual ones after it (that is how 0.1's cached routes came to accept what the
planner refused).  The three outcomes must agree exactly: the error class, or the result's
type, dtype, shape, bits, writability and whether it shares the input's memory.

    python tests/differential_cases.py FAMILY      # prints one line per disagreement
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGETS = ("numpy", "torch", "jax", "array_api_strict")
CALLS = [{"copy": c, "device": d} for c in (None, True, False) for d in (None, "cpu")]


def _have(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _ml(name: str) -> Any:
    import ml_dtypes

    return np.dtype(getattr(ml_dtypes, name))


def _numpy_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    ro = a.copy()
    ro.flags.writeable = False
    yield "float32", lambda: a
    yield "read-only", lambda: ro
    yield "negative strides", lambda: a[:, ::-1]
    yield "transposed", lambda: a.T
    yield "strided", lambda: a[:, ::2]
    yield "byteswapped", lambda: a.astype(">f4")
    yield "size-1 odd stride", lambda: np.lib.stride_tricks.as_strided(
        a, shape=(3, 1), strides=(16, 80))
    yield "empty", lambda: np.zeros((0, 3), np.float32)
    yield "0-d", lambda: np.array(3.5)
    for name in ("bool", "int8", "uint16", "uint64", "int64", "float16", "float64",
                 "complex64", "complex128"):
        yield name, (lambda n=name: np.arange(6).astype(n))
    yield "str", lambda: np.array(["a", "bc"])
    yield "datetime64", lambda: np.array(["2020-01-01"], dtype="datetime64[D]")
    yield "longdouble", lambda: np.ones(3, dtype=np.longdouble)
    yield "structured", lambda: np.zeros(3, dtype=[("a", "f4"), ("b", "i4")])
    if _have("ml_dtypes"):
        for name in ("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                     "float8_e5m2fnuz", "float8_e8m0fnu", "int4", "uint4", "float4_e2m1fn"):
            yield name, (lambda n=name: np.arange(4).astype(_ml(n)))


def _subclass_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    class Mine(np.ndarray):
        pass

    a = np.arange(6.0).reshape(2, 3)
    yield "matrix", lambda: np.asmatrix(a)
    yield "masked", lambda: np.ma.masked_array(a, mask=a > 2)
    yield "user subclass", lambda: a.view(Mine)
    path = Path(tempfile.mkdtemp()) / "differential.mmap"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=(2, 3))
    mm[:] = a
    yield "memmap", lambda: mm
    ro = np.memmap(path, dtype=np.float64, mode="r", shape=(2, 3))
    yield "read-only memmap", lambda: ro


def _scalar_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    yield "np.float64", lambda: np.float64(1.5)
    yield "np.int8", lambda: np.int8(3)
    yield "np.bool_", lambda: np.bool_(True)
    yield "np.complex64", lambda: np.complex64(1 + 2j)
    yield "np.str_", lambda: np.str_("x")
    yield "np.datetime64", lambda: np.datetime64("2020-01-01")


def _python_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    yield "list of ints", lambda: [1, 2, 3]
    yield "list of floats", lambda: [[1.0, 2.0], [3.0, 4.0]]
    yield "tuple", lambda: (1, 2)
    yield "int", lambda: 7
    yield "float", lambda: 2.5
    yield "bool", lambda: True
    yield "big int", lambda: [2**70]
    yield "ragged", lambda: [[1], [2, 3]]


def _torch_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    import torch

    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    c = torch.tensor([1 + 2j, 3 - 4j], dtype=torch.complex64)
    yield "float32", lambda: t
    yield "requires_grad", lambda: torch.ones(3, requires_grad=True)
    yield "grad view", lambda: torch.ones(3, requires_grad=True) * 2
    yield "conj", c.conj
    yield "neg view", lambda: c.conj().imag
    yield "transposed", lambda: t.T
    yield "strided", lambda: t[:, ::2]
    yield "empty", lambda: torch.zeros(0, 3)
    yield "size-1 odd stride", lambda: torch.zeros(10).as_strided((3, 1), (3, 7))
    for name in ("bool", "uint8", "uint16", "int64", "float64", "float16", "complex128",
                 "bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                 "float8_e5m2fnuz", "float8_e8m0fnu"):
        dtype = getattr(torch, name, None)
        if dtype is not None:
            yield name, (lambda d=dtype: torch.zeros(4).to(d))
    yield "nn.Parameter", lambda: torch.nn.Parameter(torch.ones(3))
    yield "sparse", lambda: torch.eye(3).to_sparse()


def _jax_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    import jax.numpy as jnp

    yield "float32", lambda: jnp.arange(6, dtype=jnp.float32).reshape(2, 3)
    yield "int32", lambda: jnp.arange(4, dtype=jnp.int32)
    yield "bool", lambda: jnp.zeros(3, dtype=bool)
    yield "empty", lambda: jnp.zeros((0, 2), jnp.float32)
    for name in ("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                 "float8_e5m2fnuz", "float8_e8m0fnu", "int4", "uint4"):
        dtype = getattr(jnp, name, None)
        if dtype is not None:
            yield name, (lambda d=dtype: jnp.zeros(4, dtype=d))
    from_ro = np.arange(16, dtype=np.float32)
    from_ro.flags.writeable = False
    yield "from read-only numpy", lambda: jnp.asarray(from_ro)


def _strict_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    import array_api_strict as xps

    yield "float32", lambda: xps.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    yield "int64", lambda: xps.asarray(np.arange(3))
    yield "bool", lambda: xps.asarray(np.array([True, False]))


def _protocol_values() -> Iterator[tuple[str, Callable[[], Any]]]:
    from doubles import ArrayInterfaceOnly, ArrayOnly, DLPackOnly, LegacyProducer

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    ro = a.copy()
    ro.flags.writeable = False
    yield "DLPackOnly", lambda: DLPackOnly(a)
    yield "DLPackOnly read-only", lambda: DLPackOnly(ro)
    yield "LegacyProducer", lambda: LegacyProducer(a)
    yield "ArrayOnly", lambda: ArrayOnly(a)
    yield "ArrayInterfaceOnly", lambda: ArrayInterfaceOnly(a)
    yield "raw capsule", a.__dlpack__
    yield "raw legacy capsule", lambda: a.__dlpack__(stream=None)
    yield "memoryview", lambda: memoryview(bytearray(8))
    yield "bytes", lambda: b"abc"


FAMILIES: dict[str, tuple[str, Callable[[], Iterator[tuple[str, Callable[[], Any]]]]]] = {
    "numpy": ("numpy", _numpy_values),
    "subclasses": ("numpy", _subclass_values),
    "scalars": ("numpy", _scalar_values),
    "python": ("numpy", _python_values),
    "torch": ("torch", _torch_values),
    "jax": ("jax", _jax_values),
    "strict": ("array_api_strict", _strict_values),
    "protocols": ("numpy", _protocol_values),
}


# -- outcomes ----------------------------------------------------------------------------------

def _pointer(x: Any) -> int | None:
    mod = type(x).__module__.split(".")[0]
    if isinstance(x, np.ndarray):
        return int(x.__array_interface__["data"][0]) if x.size else None
    if mod == "torch":
        import torch

        return int(x.data_ptr()) if x.numel() and x.layout == torch.strided else None
    if mod in ("jax", "jaxlib"):
        return int(x.unsafe_buffer_pointer()) if x.size else None
    if mod == "array_api_strict":
        return _pointer(x._array)
    inner = getattr(x, "array", None)
    if inner is None:
        inner = getattr(x, "_array", None)
    return None if inner is None else _pointer(inner)


def _host_bytes(r: Any) -> tuple[str, bytes]:
    mod = type(r).__module__.split(".")[0]
    if isinstance(r, np.ndarray | np.generic):
        arr = np.asarray(r)
        return str(arr.dtype), np.ascontiguousarray(arr).tobytes() if arr.dtype.kind != "O" else b""
    if mod == "torch":
        import torch

        t = r.detach()
        t = (t if t.layout == torch.strided else t.to_dense()).resolve_conj().resolve_neg()
        t = t.contiguous()
        return str(t.dtype), t.reshape(-1).view(torch.uint8).numpy().tobytes()
    if mod in ("jax", "jaxlib"):
        import jax

        arr = np.asarray(jax.device_get(r))
        return str(arr.dtype), arr.tobytes()
    if mod == "array_api_strict":
        return str(r.dtype), np.ascontiguousarray(r._array).tobytes()
    return type(r).__name__, b""


def _writable(r: Any) -> bool | None:
    if isinstance(r, np.ndarray):
        return bool(r.flags.writeable)
    if type(r).__module__.startswith("array_api_strict"):
        return bool(r._array.flags.writeable)
    return None


def outcome(call: Callable[[], Any], source_pointer: int | None) -> tuple[Any, ...]:
    try:
        r = call()
    except Exception as exc:
        return ("error", type(exc).__name__)
    dtype, data = _host_bytes(r)
    shares = source_pointer is not None and _pointer(r) == source_pointer
    return (type(r).__name__, dtype, tuple(getattr(r, "shape", ())), data, _writable(r), shares)


def _call(convert: Callable[..., Any], value: Callable[[], Any], target: str,
          kwargs: dict[str, Any]) -> Any:
    return convert(value(), target, **kwargs)


def _one_shot(x: Any) -> bool:
    """Capsules are consumed by a conversion: each call gets a new one of the same array."""
    return type(x).__name__ == "PyCapsule"


def run_family(family: str) -> list[str]:
    import interop
    from interop import _convert

    _, values = FAMILIES[family]
    problems = []
    for label, make in values():
        for target in TARGETS:
            if not _have(target):
                continue
            for kwargs in CALLS:
                source = make()  # one value for all three calls (JAX aliasing depends on it)
                pointer = _pointer(source)
                again = make if _one_shot(source) else (lambda s=source: s)
                planned = outcome(partial(_call, _convert.planned, again, target, kwargs), pointer)
                first = outcome(partial(_call, interop.to, again, target, kwargs), pointer)
                second = outcome(partial(_call, interop.to, again, target, kwargs), pointer)
                if not planned == first == second:
                    problems.append(f"{family}/{label} -> {target} {kwargs}: planned={planned[:3]}"
                                    f"{planned[4:]} first={first[:3]}{first[4:]} "
                                    f"second={second[:3]}{second[4:]}")
    return problems


if __name__ == "__main__":
    found = run_family(sys.argv[1])
    print("\n".join(found))
    sys.exit(1 if found else 0)
