"""``interop.namespace`` and array-API namespaces as ``interop.to`` targets."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import interop

from backends import Backend, array_type, bits, make, read

pytest.importorskip("array_api_compat")

VALUES = np.arange(4, dtype=np.float32)


def test_namespace_of_each_framework(backend: Backend) -> None:
    x = make(backend, VALUES)
    xp = interop.namespace(x)
    assert float(xp.sum(x)) == float(VALUES.sum())
    assert interop.namespace(x, 2.0, None) is xp  # scalars and None do not vote


def test_namespace_is_a_conversion_target(backend: Backend, target: Backend) -> None:
    xp = interop.namespace(make(target, VALUES))
    out = interop.to(make(backend, VALUES), xp)
    assert isinstance(out, array_type(target))
    assert bits(read(out)) == bits(VALUES)


@pytest.mark.parametrize(("module", "name"), [
    ("array_api_compat.numpy", "numpy"),
    ("array_api_compat.torch", "torch"),
    ("array_api_strict", "array_api_strict"),
    ("jax.numpy", "jax"),
    ("numpy", "numpy"),
])
def test_compat_modules_as_targets(module: str, name: str) -> None:
    pytest.importorskip(name)
    xp = pytest.importorskip(module)
    out = interop.to(np.ones(3, np.float32), xp)
    assert isinstance(out, array_type(Backend(name)))


def test_mixed_frameworks_name_them() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(interop.InteropError, match=r"several frameworks: numpy, torch"):
        interop.namespace(np.ones(1), torch.ones(1))


@pytest.mark.parametrize("args", [(), (1.0,), (None, 2)])
def test_no_array(args: tuple[object, ...]) -> None:
    with pytest.raises(interop.NotAnArrayError, match="at least one array"):
        interop.namespace(*args)


@pytest.mark.parametrize("value", [[1.0], "x", object()])
def test_non_array_refused(value: object) -> None:
    with pytest.raises(interop.NotAnArrayError, match="takes arrays"):
        interop.namespace(np.ones(1), value)


def test_missing_array_api_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "array_api_compat", None)  # makes the import fail
    with pytest.raises(interop.UnknownFrameworkError, match="pip install array-api-compat"):
        interop.namespace(np.ones(1))
