"""Conversion semantics: read-only memory, torch's autograd/conj/neg bits and exotic tensors,
devices, and ``interop.explain``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import interop

from backends import Backend, assert_exact, data_pointer, make, read


def _readonly(values: np.ndarray | None = None) -> np.ndarray:
    a = (np.arange(12, dtype=np.float32).reshape(3, 4) if values is None else values).copy()
    a.flags.writeable = False
    return a


# -- read-only ------------------------------------------------------------------------------------


def test_read_only_numpy_to_numpy_is_identity() -> None:
    a = _readonly()
    assert interop.to(a, "numpy") is a
    assert interop.to(a, "numpy", copy=False) is a
    b = interop.to(a, "numpy", copy=True)
    assert b is not a and not np.shares_memory(a, b)
    assert np.array_equal(a, b)


def test_read_only_numpy_to_torch_copies() -> None:
    pytest.importorskip("torch")
    a = _readonly()
    t = interop.to(a, "torch")
    assert not interop.shares_memory(a, t)
    assert t.data_ptr() != data_pointer(a)
    t[0, 0] = -1.0
    assert a[0, 0] == 0.0
    assert np.array_equal(t.numpy()[1:], a[1:])


def test_read_only_numpy_to_torch_copy_false() -> None:
    pytest.importorskip("torch")
    with pytest.raises(interop.CopyRequiredError, match="read-only"):
        interop.to(_readonly(), "torch", copy=False)


def test_read_only_broadcast_to_torch_copies() -> None:
    pytest.importorskip("torch")
    a = np.broadcast_to(np.arange(4.0), (3, 4))  # numpy marks broadcasts read-only
    t = interop.to(a, "torch")
    t[0, 0] = 99.0
    assert a[1, 0] == 0.0
    assert np.array_equal(t.numpy()[1:], a[1:])


def test_read_only_to_every_target_never_writable_alias(target: Backend) -> None:
    a = _readonly()
    result = interop.to(a, target.name)
    assert_exact(result, a, target)
    if interop.shares_memory(result, a):
        # sharing read-only memory is fine only when the result cannot be written
        if target.name == "numpy":
            assert not result.flags.writeable
        else:
            assert target.name in ("jax", "array_api_strict")


def test_to_numpy_of_read_only_is_read_only_view() -> None:
    a = _readonly()
    assert interop.to_numpy(a) is a


# -- torch specifics ------------------------------------------------------------------------------


def test_requires_grad_detached_and_shared() -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32).requires_grad_(True)
    a = interop.to(t, "numpy")
    assert isinstance(a, np.ndarray)
    assert np.array_equal(a, np.arange(6, dtype=np.float32))
    assert a.__array_interface__["data"][0] == t.data_ptr()
    assert interop.to_numpy(t).__array_interface__["data"][0] == t.data_ptr()
    u = interop.to(t, "torch", copy=True)
    assert not u.requires_grad
    assert u.grad_fn is None


def test_requires_grad_to_jax() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    t = (torch.arange(6, dtype=torch.float32) * 1).requires_grad_(True)
    j = interop.to(t, "jax")
    assert np.array_equal(np.asarray(j), np.arange(6, dtype=np.float32))


def test_requires_grad_explained() -> None:
    torch = pytest.importorskip("torch")
    t = torch.ones(3, requires_grad=True)
    plan = interop.explain(t, "numpy")
    assert plan.zero_copy
    assert "detach" in str(plan)


def _conj() -> object:
    torch = pytest.importorskip("torch")
    c = torch.tensor([1 + 2j, 3 - 4j, -5 + 6j], dtype=torch.complex64)
    return c.conj()


def _neg() -> object:
    torch = pytest.importorskip("torch")
    c = torch.tensor([1 + 2j, 3 + 4j], dtype=torch.complex128)
    return c.conj().imag


@pytest.mark.parametrize("make_view", [_conj, _neg], ids=["conj_bit", "neg_bit"])
def test_conj_neg_bits_resolved(make_view: object, target: Backend) -> None:
    view = make_view()  # type: ignore[operator]
    assert view.is_conj() or view.is_neg()
    expected = view.resolve_conj().resolve_neg().numpy()
    if target.name == "torch":
        assert interop.to(view, "torch") is view  # same framework: the input itself
        return
    if target.name == "jax":
        pytest.importorskip("jax")
        from backends import set_jax_x64

        previous = set_jax_x64(True)
        try:
            result = interop.to(view, "jax")
        finally:
            set_jax_x64(previous)
    else:
        result = interop.to(view, target.name)
    assert_exact(result, expected, target)
    assert not interop.shares_memory(result, view)
    with pytest.raises(interop.CopyRequiredError):
        interop.to(view, target.name if target.name != "jax" else "numpy", copy=False)


def test_neg_bit_sign_to_numpy() -> None:
    view = _neg()
    a = interop.to_numpy(view)
    assert np.array_equal(a, np.array([-2.0, -4.0]))
    with pytest.raises(interop.CopyRequiredError, match="negative bit"):
        interop.to(view, "numpy", copy=False)


def test_conj_bit_values_to_numpy() -> None:
    view = _conj()
    a = interop.to(view, "numpy")
    assert np.array_equal(a, np.array([1 - 2j, 3 + 4j, -5 - 6j], dtype=np.complex64))
    plan = interop.explain(view, "numpy")
    assert not plan.zero_copy
    assert "conj" in str(plan)


def test_sparse_quantized_meta_refused(cpu_backend: Backend) -> None:
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # quantized tensors are deprecated
        quantized = torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.quint8)
    tensors = [torch.eye(3).to_sparse(), quantized, torch.empty(3, device="meta")]
    for t in tensors:
        if cpu_backend.name == "torch":  # same framework: the input itself, untouched
            assert interop.to(t, "torch") is t
            continue
        with pytest.raises(interop.InteropError):
            interop.to(t, cpu_backend.name)
        with pytest.raises(interop.InteropError):
            interop.explain(t, cpu_backend.name)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False)


def test_negative_strides_to_torch_never_crash() -> None:
    """torch.from_dlpack aborts on negative strides in some releases: run it in a child."""
    pytest.importorskip("torch")
    proc = _run("""
        import numpy as np, interop, torch
        a = np.arange(24, dtype=np.float32).reshape(4, 6)[::-1, ::-2]
        t = interop.to(a, "torch")
        assert np.array_equal(t.numpy(), a)
        assert min(t.stride()) >= 0
        t2 = interop.to(interop.to(a, "array_api_strict"), "torch")
        assert np.array_equal(t2.numpy(), a)
        try:
            interop.to(a, "torch", copy=False)
        except interop.CopyRequiredError as e:
            assert "negative" in str(e)
        else:
            raise SystemExit("copy=False did not raise")
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


def test_negative_strides_through_dlpack_double_never_crash() -> None:
    pytest.importorskip("torch")
    proc = _run("""
        import sys
        sys.path.insert(0, "tests")
        import numpy as np, interop
        from doubles import DLPackOnly
        a = np.arange(10, dtype=np.int64)[::-3]
        t = interop.to(DLPackOnly(a), "torch")
        assert t.tolist() == a.tolist()
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr


# -- devices --------------------------------------------------------------------------------------


def test_device_of_arrays(cpu_backend: Backend) -> None:
    x = make(cpu_backend, np.arange(3.0, dtype=np.float32))
    d = interop.device(x)
    assert isinstance(d, interop.Device)
    assert str(d) == "cpu"
    assert d == interop.Device.parse("cpu")


def test_device_parse() -> None:
    d = interop.Device.parse("cuda:1")
    assert isinstance(d, interop.Device)
    assert str(d) == "cuda:1"
    assert d.kind == "cuda" and d.index == 1
    assert str(interop.Device.parse("cuda")) == "cuda"
    assert interop.Device.parse(d) is d
    assert str(interop.Device.parse(" CPU ")) == "cpu"
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.Device.parse("cuda:x")
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.Device.parse("quantum")


def test_numpy_cannot_hold_cuda() -> None:
    with pytest.raises(interop.UnsupportedDeviceError, match="cuda"):
        interop.to(np.zeros(2), "numpy", device="cuda")
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.explain(np.zeros(2), "numpy", device="cuda:0")


def test_torch_cuda_without_gpu() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device exists here; the GPU suite covers it")
    with pytest.raises(interop.UnsupportedDeviceError, match="cuda"):
        interop.to(np.zeros(2), "torch", device="cuda")
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.to(np.zeros(2), "torch", device="cuda:3")


def test_device_specs_accepted(cpu_backend: Backend, target: Backend) -> None:
    if target.gpu:
        pytest.skip("host device specs only")
    x = make(cpu_backend, np.arange(4, dtype=np.int32))
    specs: list[object] = ["cpu", interop.Device("cpu"), interop.Device.parse("cpu")]
    try:
        import torch

        specs.append(torch.device("cpu"))
    except ImportError:
        pass
    try:
        import jax

        specs.append(jax.devices("cpu")[0])
    except ImportError:
        pass
    for spec in specs:
        result = interop.to(x, target.name, device=spec)
        assert_exact(result, np.arange(4, dtype=np.int32), target)
        assert str(interop.device(result)) == "cpu"


def test_unknown_device_string() -> None:
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.to(np.zeros(2), "numpy", device="tpu-of-dreams")


# -- explain --------------------------------------------------------------------------------------


def test_explain_zero_copy_plan() -> None:
    pytest.importorskip("torch")
    plan = interop.explain(np.zeros((2, 3)), "torch")
    assert isinstance(plan, interop.Plan)
    assert plan.zero_copy is True
    assert isinstance(plan.steps, tuple) and plan.steps
    assert all(isinstance(s, str) for s in plan.steps)
    assert "zero-copy" in str(plan)


def test_explain_identity() -> None:
    plan = interop.explain(np.zeros(3), "numpy")
    assert plan.zero_copy
    assert "same framework" in str(plan) or "no conversion" in str(plan)


@pytest.mark.parametrize(("make_source", "target_name", "words"), [
    (_readonly, "torch", "read-only"),
    (lambda: np.arange(6.0)[::-1], "torch", "negative"),
    (lambda: np.arange(6.0).astype(">f8"), "torch", "byte order"),
    (lambda: np.zeros(3, dtype=[("a", "<f4"), ("b", "u1")])["a"], "torch", "multiple"),
    (lambda: np.arange(6, dtype=np.float32).reshape(2, 3)[:, ::2], "jax", "compact"),
    (lambda: [1.0, 2.0], "numpy", "Python"),
], ids=["read-only", "negative", "byte-order", "odd-strides", "non-compact", "python"])
def test_explain_says_why_it_copies(make_source: object, target_name: str, words: str) -> None:
    pytest.importorskip(target_name)
    x = make_source()  # type: ignore[operator]
    plan = interop.explain(x, target_name)
    assert plan.zero_copy is False
    assert words.lower() in str(plan).lower(), str(plan)
    with pytest.raises(interop.CopyRequiredError):
        interop.to(x, target_name, copy=False)


def test_explain_dtype_and_device_reasons() -> None:
    with pytest.raises(interop.UnsupportedDeviceError):
        interop.explain(np.zeros(2), "numpy", device="cuda")
    pytest.importorskip("array_api_strict")
    with pytest.raises(interop.UnsupportedDtypeError, match="float16"):
        interop.explain(np.zeros(2, dtype=np.float16), "array_api_strict")


def test_explain_copy_true() -> None:
    plan = interop.explain(np.zeros(2), "numpy", copy=True)
    assert not plan.zero_copy
    assert "copy=True" in str(plan)


def test_explain_converts_nothing() -> None:
    pytest.importorskip("torch")
    a = _readonly()
    before = a.copy()
    plan = interop.explain(a, "torch")
    assert not plan.zero_copy
    assert np.array_equal(a, before) and not a.flags.writeable


def test_explain_matches_what_to_does(backend: Backend, target: Backend) -> None:
    if backend.name == "jax" or target.name == "jax":
        pytest.importorskip("jax")
    x = make(backend, np.arange(8, dtype=np.float32).reshape(2, 4))
    plan = interop.explain(x, target.name)
    result = interop.to(x, target.name)
    assert np.array_equal(read(result), np.arange(8, dtype=np.float32).reshape(2, 4))
    if target.name != "jax":  # JAX may still copy an unaligned buffer
        assert plan.zero_copy == interop.shares_memory(x, result)
