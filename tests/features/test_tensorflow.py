"""TensorFlow with numpy, torch and MLX: every pair, dtype, layout and copy mode.

Runs in its own session (``nox -s tensorflow``): importing tensorflow and then paddle in
one process segfaults, so TensorFlow and Paddle never share a process.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed (nox -s tensorflow)")

import interop  # noqa: E402

from pairs import DTYPES, LAYOUTS, check_pair, explain_names_source  # noqa: E402

pytest.importorskip("torch")
FRAMEWORKS = ["numpy", "torch", "tensorflow"]


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("src", "dst"), [(s, d) for s in FRAMEWORKS for d in FRAMEWORKS
                                          if "tensorflow" in (s, d)])
def test_pairs(src: str, dst: str, dtype: str, layout: str, copy: bool | None) -> None:
    check_pair(src, dst, dtype, layout, copy)


def test_explain_names_tensorflow_and_why() -> None:
    explain_names_source(tf.constant([1.0, 2.0]), "torch", "tensorflow")
    assert "immutable" in str(interop.explain(tf.constant([1.0]), "torch"))


def test_string_tensor_refused_before_export() -> None:
    s = tf.constant(["a", "b"])
    with pytest.raises(interop.UnsupportedDtypeError, match="string"):
        interop.to(s, "numpy")
    with pytest.raises(interop.UnsupportedDtypeError, match="string"):
        interop.explain(s, "torch")


def test_variable_converts_its_value() -> None:
    v = tf.Variable([1.0, 2.0, 3.0])
    out = interop.to(v, "numpy")
    assert np.array_equal(out, [1.0, 2.0, 3.0]) and not out.flags.writeable
    assert str(interop.device(v)) == "cpu"
    assert interop.to(v, "torch").tolist() == [1.0, 2.0, 3.0]


def test_device_strings() -> None:
    from interop.adapters.tensorflow import _device

    assert str(_device("/job:localhost/replica:0/task:0/device:GPU:1")) == "cuda:1"
    assert str(_device("/job:localhost/replica:0/task:0/device:CPU:0")) == "cpu"
    with pytest.raises(interop.UnsupportedDeviceError):
        _device("/job:localhost/replica:0/task:0/device:TPU:0")


def test_target_by_module_and_name() -> None:
    a = np.arange(6, dtype=np.float32)
    for target in ("tensorflow", tf):
        t = interop.to(a, target)
        assert isinstance(t, tf.Tensor) and interop.shares_memory(a, t)


def test_read_only_numpy_into_tensorflow() -> None:
    a = np.arange(6.0)
    a.flags.writeable = False
    t = interop.to(a, "tensorflow")
    assert np.array_equal(t.numpy(), a)
    with pytest.raises(interop.CopyRequiredError):
        interop.to(a, "tensorflow", copy=False)


def test_tensorflow_in_trees() -> None:
    tree = {"x": tf.constant([1, 2]), "y": [tf.constant(3.0)]}
    out = interop.to_each(tree, "numpy")
    assert isinstance(out["x"], np.ndarray) and isinstance(out["y"][0], np.ndarray)
    assert interop.is_array(tf.constant(1))


def test_symbolic_tensor_refused() -> None:
    seen = []

    @tf.function
    def f(x: object) -> object:
        try:
            interop.to(x, "numpy")
        except interop.InteropError as exc:
            seen.append(str(exc))
        return x

    f(tf.constant([1.0]))
    assert seen and "symbolic" in seen[0]
