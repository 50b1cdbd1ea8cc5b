"""The contract at the edges: read-only travels, no capsule crashes a consumer, ``copy`` means
what it says, nothing one-shot is lost, interop errors only.

Anything that could abort the interpreter runs in a subprocess.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interop

from capsule_fuzz import build
from doubles import ArrayOnly
from paths import TESTS

HERE = TESTS


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False, cwd=HERE,
                          env={**os.environ, **env})


def _fields(**changes: Any) -> dict[str, Any]:
    base = {"ndim": 1, "shape": [4], "strides": None, "null_data": False, "data_offset": 6144,
            "byte_offset": 0, "device_type": 1, "device_id": 0, "code": 2, "bits": 32,
            "lanes": 1, "versioned": True, "major": 1, "minor": 1, "flags": 0, "deleter": True}
    return {**base, **changes}


# -- read-only travels ---------------------------------------------------------------------------

def test_read_only_memory_reaches_torch_through_jax_only_as_a_copy(tmp_path: Path) -> None:
    """A read-only memory map aliased by JAX, then converted to torch: the write must not land."""
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    path = tmp_path / "a.npy"
    np.save(path, np.arange(64, dtype=np.float32))
    mapped = np.load(path, mmap_mode="r")
    j = interop.to(mapped, "jax")
    t = interop.to(j, "torch")
    t[0] = 42.0  # a private copy: no segfault, nothing written to the file
    assert mapped[0] == 0.0 and float(j[0]) == 0.0
    with pytest.raises(interop.CopyRequiredError, match="known read-only"):
        interop.to(jnp.arange(3.0), "torch", copy=False)
    a = interop.to(j, "numpy")
    assert not a.flags.writeable
    assert isinstance(t, torch.Tensor)


def test_via_torch_does_not_mutate_jax_arguments() -> None:
    pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")

    @interop.via("torch")
    def bump(t: Any) -> Any:
        t += 1
        return t

    j = jnp.zeros(3)
    out = bump(j)
    assert float(j.sum()) == 0.0 and float(out.sum()) == 3.0


def test_unsafe_alias_shares_and_refuses_flagged_memory() -> None:
    pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    j = jnp.arange(16.0)
    alias = interop.unsafe_alias(j, "torch")
    assert alias.data_ptr() == j.unsafe_buffer_pointer()
    ro = np.arange(4.0)
    ro.flags.writeable = False
    with pytest.raises(interop.CopyRequiredError, match="flagged read-only"):
        interop.unsafe_alias(ro, "torch")


# -- no capsule crashes a consumer -----------------------------------------------------------------

@pytest.mark.parametrize(("changes", "error"), [
    ({"ndim": -1}, interop.InteropError),
    ({"ndim": 1 << 20}, interop.InteropError),
    ({"null_data": True}, interop.InteropError),
    ({"shape": [-3]}, interop.InteropError),
    ({"code": 42}, interop.UnsupportedDtypeError),
    ({"bits": 0}, interop.UnsupportedDtypeError),
    ({"lanes": 4}, interop.UnsupportedDtypeError),
    ({"device_type": 99}, interop.UnsupportedDeviceError),
])
def test_malformed_capsules_are_refused_before_any_consumer(changes: dict[str, Any],
                                                           error: type) -> None:
    for target in ("numpy", "torch", "jax"):
        if target != "numpy":
            pytest.importorskip(target)
        with pytest.raises(error):
            interop.to(build(_fields(**changes)), target)


def test_null_deleter_capsules_do_not_reach_jax() -> None:
    pytest.importorskip("jax")
    done = _run("""
        import interop
        from capsule_fuzz import build
        fields = dict(ndim=1, shape=[0], strides=None, null_data=True, data_offset=0,
                      byte_offset=0, device_type=1, device_id=0, code=2, bits=32, lanes=1,
                      versioned=False, major=1, minor=0, flags=0, deleter=False)
        out = interop.to(build(fields), "jax")
        print(out.shape, out.dtype)
    """)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(0,) float32" in done.stdout


def test_zero_tensors_are_refused_clearly() -> None:
    torch = pytest.importorskip("torch")
    z = torch._efficientzerotensor(3)
    for target in ("numpy", "jax"):
        if target == "jax":
            pytest.importorskip("jax")
        with pytest.raises(interop.InteropError, match="ZeroTensor"):
            interop.to(z, target)


def test_capsule_fuzz_never_aborts() -> None:
    pytest.importorskip("hypothesis")
    done = subprocess.run([sys.executable, str(HERE / "capsule_fuzz.py"), "1500"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ran 1500 inputs" in done.stdout


# -- legacy producers ------------------------------------------------------------------------------

class _PositionalOnly:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def __dlpack__(self, stream: Any = None, /) -> object:
        return self.a.__dlpack__()

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


class _NoArguments(_PositionalOnly):
    def __dlpack__(self) -> object:  # type: ignore[override]
        return self.a.__dlpack__()


@pytest.mark.parametrize("kind", [_PositionalOnly, _NoArguments])
def test_legacy_producers_with_fewer_arguments(kind: type) -> None:
    a = np.arange(4.0)
    out = interop.to(kind(a), "numpy")
    assert np.shares_memory(out, a)


# -- copy means what it says ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", [1, 0, "no", 2.0])
def test_copy_accepts_only_bools_and_none(bad: Any) -> None:
    a = np.arange(3.0)
    calls = [lambda: interop.to(a, "numpy", copy=bad), lambda: interop.to_numpy(a, copy=bad),
             lambda: interop.explain(a, "numpy", copy=bad),
             lambda: interop.to_each([a], "numpy", copy=bad),
             lambda: interop.like(a, a, copy=bad), lambda: interop.via("numpy", copy=bad)]
    for call in calls:
        with pytest.raises(TypeError, match=repr(bad)):
            call()


def test_numpy_bools_read_as_bools() -> None:
    a = np.arange(3.0)
    assert not np.shares_memory(interop.to(a, "numpy", copy=np.True_), a)
    assert interop.to(a, "numpy", copy=np.False_) is a


def test_copy_false_is_passed_to_producers_and_checked() -> None:
    from doubles import DLPackOnly

    double = DLPackOnly(np.arange(3.0))
    interop.to(double, "numpy", copy=False)
    assert double.calls[-1].get("copy") is False
    copying = ArrayOnly(np.arange(3.0))
    out = interop.to(copying, "numpy", copy=False)
    assert np.shares_memory(out, copying._array)


def test_empty_arrays_never_fail_copy_false() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    ro = np.zeros((0, 3))
    ro.flags.writeable = False
    assert interop.to(ro, "torch", copy=False).shape == (0, 3)
    assert tuple(interop.to(torch.zeros(0, 2), "jax", copy=False).shape) == (0, 2)


def test_size_one_strides_are_ignored() -> None:
    pytest.importorskip("torch")
    base = np.zeros(200, dtype=np.float32)
    x = np.lib.stride_tricks.as_strided(base, shape=(10, 5, 1), strides=(8, 80, 4))
    t = interop.to(x, "torch", copy=False)
    assert t.data_ptr() == base.ctypes.data


def test_torch_low_precision_copies_stay_in_torch() -> None:
    done = _run("""
        import sys
        sys.modules["ml_dtypes"] = None  # as if it were not installed
        import torch, interop
        for dtype in (torch.bfloat16, torch.float8_e4m3fn):
            t = torch.ones(3).to(dtype)
            c = interop.to(t, "torch", copy=True)
            assert c.dtype == dtype and c.data_ptr() != t.data_ptr()
        print("ok")
    """)
    if "No module named 'torch'" in done.stderr:
        pytest.skip("torch is not installed")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]


# -- nothing one-shot is lost ----------------------------------------------------------------------

def test_a_failed_conversion_leaves_the_capsule_usable() -> None:
    pytest.importorskip("jax")
    a = np.zeros(65, dtype=np.float32)[1:]  # 4 bytes past an aligned start: JAX would copy
    capsule = a.__dlpack__(stream=None)
    if a.ctypes.data % 64 == 0:
        pytest.skip("this allocation happens to be aligned")
    with pytest.raises(interop.CopyRequiredError):
        interop.to(capsule, "jax", copy=False)
    assert np.shares_memory(interop.to(capsule, "numpy"), a)  # the retry the message suggests


def test_a_failed_conversion_does_not_relabel_the_capsule() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    torch = pytest.importorskip("torch")
    t = torch.ones(3, dtype=torch.bfloat16)
    capsule = torch.utils.dlpack.to_dlpack(t)
    interop.explain(capsule, "numpy")
    out = interop.to(capsule, "numpy")
    assert out.dtype == np.dtype(ml_dtypes.bfloat16)


def test_raw_capsules_answer_questions_without_being_consumed() -> None:
    a = np.arange(6.0)
    capsule = a[::2].__dlpack__()
    assert str(interop.device(capsule)) == "cpu"
    assert interop.shares_memory(capsule, a)
    assert not interop.shares_memory(capsule, a[1::2])
    interop.explain(capsule, "numpy")
    out = interop.like(capsule, a)
    assert np.shares_memory(out, a)


def test_a_capsule_raced_by_threads_is_consumed_once() -> None:
    for _ in range(20):
        capsule = np.arange(1000.0).__dlpack__()
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def work(c: object = capsule, barrier: threading.Barrier = barrier,
                 results: list[Any] = results) -> None:
            barrier.wait()
            try:
                results.append(interop.to(c, "numpy"))
            except interop.InteropError as exc:
                results.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sum(isinstance(r, np.ndarray) for r in results) == 1, results


# -- exact answers, interop errors only -----------------------------------------------------------

def test_shares_memory_is_exact_for_a_compact_array_in_gaps() -> None:
    base = np.zeros(16, dtype=np.float32)
    strided = base[::4]
    inside_gap = base[1:3]
    assert not interop.shares_memory(strided, inside_gap)
    assert interop.shares_memory(base[4:6], strided)


def test_a_framework_that_fails_to_import_breaks_only_its_conversions(tmp_path: Path) -> None:
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise OSError('libtorch_cpu.so: cannot open')\n")
    done = _run(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np, interop
        a = np.arange(3.0)
        assert interop.to(a, "numpy") is a
        try:
            interop.to(a, "torch")
        except interop.UnknownFrameworkError as exc:
            assert "OSError" in str(exc), exc
            print("ok")
    """)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]


class _Misbehaving:
    def __dlpack__(self, **kwargs: Any) -> object:
        raise RuntimeError("producer bug")

    def __dlpack_device__(self) -> tuple[int, int]:
        raise ZeroDivisionError("no device")


def test_misbehaving_producers_raise_interop_errors_only() -> None:
    x = _Misbehaving()
    for call in (lambda: interop.explain(x, "numpy"), lambda: interop.shares_memory(x, x),
                 lambda: interop.device(x), lambda: interop.like(x, np.zeros(1)),
                 lambda: interop.to(x, "numpy")):
        with pytest.raises(interop.InteropError):
            call()


@pytest.mark.parametrize("make", [lambda: (ctypes.c_double * 4)(1, 2, 3, 4),
                                  lambda: __import__("array").array("d", [1.0, 2.0])])
def test_buffer_protocol_objects_convert(make: Any) -> None:
    x = make()
    out = interop.to(x, "numpy")
    assert out.dtype == np.float64 and out.tolist()[:2] == [1.0, 2.0]


class _InstanceInterface:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.__array_interface__ = a.__array_interface__


def test_instance_array_interface_converts_zero_copy() -> None:
    a = np.arange(4.0)
    assert np.shares_memory(interop.to(_InstanceInterface(a), "numpy"), a)


@pytest.mark.parametrize("scalar", [np.str_("x"), np.bytes_(b"y"), np.datetime64("2020-01-01")])
def test_numpy_only_scalars_convert_to_numpy(scalar: Any) -> None:
    out = interop.to(scalar, "numpy")
    assert isinstance(out, np.ndarray) and out.dtype == np.asarray(scalar).dtype
    assert interop.to_each({"k": [scalar]}, "numpy")["k"][0].dtype == out.dtype
    assert interop.via("numpy")(lambda s: s)(scalar) is not None


def test_cycles_and_ragged_lists_raise_interop_errors() -> None:
    loop: list[Any] = [np.zeros(1)]
    loop.append(loop)
    with pytest.raises(interop.InteropError, match="contains itself"):
        interop.to_each(loop, "numpy")
    with pytest.raises(interop.InteropError):
        interop.like([[1], [2, 3]], np.zeros(1))


@pytest.mark.skipif(os.environ.get("INTEROP_NO_SPEEDUPS") == "1",
                    reason="this is the pure-Python run already")
def test_every_edge_holds_on_the_pure_python_path() -> None:
    """The same module with the C extension switched off (``INTEROP_NO_SPEEDUPS=1``)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(Path(__file__))], capture_output=True, text=True, timeout=600, check=False,
        cwd=HERE.parent, env={**os.environ, "INTEROP_NO_SPEEDUPS": "1"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
