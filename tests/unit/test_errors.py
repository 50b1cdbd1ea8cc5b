"""The error tree, messages that help, and no framework exception escaping ``interop.to``."""

from __future__ import annotations

import numpy as np
import pytest

import interop

from backends import Backend, make
from doubles import DLPackOnly

TREE = [
    (interop.CopyRequiredError, ValueError),
    (interop.UnsupportedDtypeError, TypeError),
    (interop.UnsupportedDeviceError, ValueError),
    (interop.NotAnArrayError, TypeError),
    (interop.UnknownFrameworkError, ValueError),
]


@pytest.mark.parametrize(("error", "builtin"), TREE, ids=[e.__name__ for e, _ in TREE])
def test_error_tree(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, interop.InteropError)
    assert issubclass(error, builtin)
    assert issubclass(interop.InteropError, Exception)
    with pytest.raises(builtin):
        raise error("x")


def test_unknown_target_names_known_ones() -> None:
    with pytest.raises(interop.UnknownFrameworkError) as info:
        interop.to(np.zeros(2), "tensorflowx")
    message = str(info.value)
    assert "tensorflowx" in message
    for name in ("numpy", "torch", "jax"):
        assert name in message


@pytest.mark.parametrize("target", [42, None, object(), ["numpy"]], ids=["int", "None",
                                                                            "object", "list"])
def test_bad_target_objects(target: object) -> None:
    with pytest.raises(interop.UnknownFrameworkError):
        interop.to(np.zeros(2), target)


def test_copy_required_error_says_why_and_how() -> None:
    pytest.importorskip("torch")
    with pytest.raises(interop.CopyRequiredError) as info:
        interop.to(np.arange(4.0)[::-1], "torch", copy=False)
    assert "negative" in str(info.value)
    assert "copy=None" in str(info.value)


def test_unsupported_numpy_dtypes(target: Backend) -> None:
    values = [
        np.array(["a", "b"]), np.array([b"a"]), np.array([1, None], dtype=object),
        np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]"),
        np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]),
    ]
    if np.dtype(np.longdouble) != np.dtype(np.float64):
        values.append(np.zeros(2, dtype=np.longdouble))
    if target.name == "numpy":
        pytest.skip("numpy -> numpy is covered by test_numpy_identity_of_odd_dtypes_consistent")
    for a in values:
        with pytest.raises(interop.UnsupportedDtypeError):
            interop.to(a, target.name)


def test_numpy_identity_of_odd_dtypes_consistent() -> None:
    """numpy -> numpy of a str array: whatever the answer, it must not depend on history."""
    import subprocess
    import sys

    code = (
        "import numpy as np, interop\n"
        "s = np.array(['a', 'b'])\n"
        "def outcome():\n"
        "    try:\n"
        "        return 'identity' if interop.to(s, 'numpy') is s else 'other'\n"
        "    except interop.UnsupportedDtypeError:\n"
        "        return 'refused'\n"
        "first = outcome()\n"
        "interop.to(np.zeros(2), 'numpy')  # an ordinary conversion in between\n"
        "second = outcome()\n"
        "print(first, second)\n"
        "assert first == second, (first, second)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_extended_dtype_without_ml_dtypes_hint() -> None:
    """Without ml_dtypes, bfloat16 into numpy says how to get it (checked in a child)."""
    torch = pytest.importorskip("torch")
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['ml_dtypes'] = None\n"
        "import torch, interop\n"
        "t = torch.ones(2, dtype=torch.bfloat16)\n"
        "try:\n"
        "    interop.to(t, 'numpy')\n"
        "except interop.UnsupportedDtypeError as e:\n"
        "    assert 'pip install ml_dtypes' in str(e), e\n"
        "    print('ok')\n"
    )
    del torch
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


class _Broken:
    """A DLPack producer whose export fails with the framework-ish error BufferError."""

    def __dlpack__(self, **kwargs: object) -> object:
        raise BufferError("cannot export this buffer")

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def test_framework_errors_are_wrapped_with_cause() -> None:
    with pytest.raises(interop.InteropError) as info:
        interop.to(_Broken(), "numpy")
    assert isinstance(info.value.__cause__, BufferError)


def test_torch_dtype_without_equivalent(cpu_backend: Backend) -> None:
    torch = pytest.importorskip("torch")
    if cpu_backend.name == "torch":
        pytest.skip("torch -> torch is the identity")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ComplexHalf is experimental
        t = torch.ones(2, dtype=torch.complex32)
    with pytest.raises(interop.UnsupportedDtypeError, match="complex32"):
        interop.to(t, cpu_backend.name)


def test_no_framework_exception_escapes(backend: Backend, target: Backend) -> None:
    """A battery of awkward inputs: every failure is an InteropError."""
    inputs: list[object] = [
        object(), "x", {"a": 1}, [[1, 2], [3]], np.array(["s"]), np.zeros(2, dtype=object),
        np.arange(6, dtype=np.float32).astype(">f4"), np.arange(6.0)[::-2],
        np.zeros(3, dtype=[("a", "<f8"), ("b", "u1")])["a"],
        make(backend, np.arange(4, dtype=np.int16)),
        make(backend, np.zeros((2, 0), dtype=np.float32)),
        DLPackOnly(np.arange(3.0)), np.float16(3), 2**70, [1, 2**70],
        memoryview(b"abc"), bytearray(b"\x00\x01"),
    ]
    for x in inputs:
        for copy in (None, True, False):
            for device in (None, "cpu", "cuda", "nonsense"):
                try:
                    interop.to(x, target.name, copy=copy, device=device)
                except interop.InteropError:
                    pass
                except Exception as exc:
                    pytest.fail(f"to({type(x).__name__}, {target.id}, copy={copy}, "
                                f"device={device}) raised {type(exc).__module__}."
                                f"{type(exc).__name__}: {exc}")


def test_register_refuses_silent_replace() -> None:
    numpy_adapter = type("Dup", (interop.Adapter,), {"name": "numpy"})()
    with pytest.raises(interop.InteropError, match="already registered"):
        interop.register(numpy_adapter)
    assert "numpy" in interop.registry()
