"""A third-party framework (``tests/plugin_pkg``: tinyarray) works without touching interop.

It is taught to interop three ways: ``interop.register``, an entry point (simulated by
patching ``importlib.metadata.entry_points``), and a real installation of the package
whose entry point interop finds on its own.  Broken plugins only warn.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interop
from interop import _registry

from backends import Backend, array_type, bits, make, read
from paths import TESTS

PLUGIN_DIR = TESTS / "plugin_pkg"
VALUES = np.arange(6, dtype=np.float32).reshape(2, 3)


def tiny_values(t: Any) -> np.ndarray:
    return np.from_dlpack(t).copy()


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """A fresh registry: entry points not read yet, no cached detection, no tinyarray."""
    with _registry.use():
        yield


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, fresh_registry: None) -> Any:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import tinyarray

    return tinyarray


def fake_entry_points(*values: str) -> Any:
    eps = [importlib.metadata.EntryPoint(name=f"plugin{i}", value=v,
                                         group=_registry.ENTRY_POINT_GROUP)
           for i, v in enumerate(values)]

    def entry_points(**select: Any) -> list[importlib.metadata.EntryPoint]:
        assert select == {"group": _registry.ENTRY_POINT_GROUP}
        return eps

    return entry_points


def check_everything(tiny: Any, other: Backend) -> None:
    """to, like, via, to_each and namespace, between tinyarray and ``other``."""
    t = tiny.asarray(VALUES)
    assert interop.framework(t) == "tinyarray"
    out = interop.to(t, other.name)
    assert isinstance(out, array_type(other)) and bits(read(out)) == bits(VALUES)
    back = interop.to(make(other, VALUES), "tinyarray")
    assert isinstance(back, tiny.TinyArray) and bits(tiny_values(back)) == bits(VALUES)
    assert isinstance(interop.to(make(other, VALUES), tiny), tiny.TinyArray)  # module target
    assert isinstance(interop.like(make(other, VALUES), t), tiny.TinyArray)
    assert isinstance(interop.like(t, make(other, VALUES)), array_type(other))
    tree = interop.to_each({"a": [t, "x"], "b": (make(other, VALUES),)}, "tinyarray")
    assert isinstance(tree["a"][0], tiny.TinyArray) and tree["a"][1] == "x"
    assert bits(tiny_values(tree["b"][0])) == bits(VALUES)

    @interop.via(other.name)
    def twice(x: Any) -> Any:
        assert isinstance(x, array_type(other))
        return {"y": x + x}

    result = twice(t)["y"]
    assert isinstance(result, tiny.TinyArray) and bits(tiny_values(result)) == bits(VALUES * 2)
    if importlib.util.find_spec("array_api_compat") is not None:  # namespace() needs it
        assert interop.namespace(t) is tiny  # array-api-compat does not know it: the adapter's


def test_register(tiny: Any, cpu_backend: Backend) -> None:
    from tinyarray.interop_adapter import TinyAdapter

    interop.register(TinyAdapter())
    check_everything(tiny, cpu_backend)


def test_register_shares_memory_with_numpy(tiny: Any) -> None:
    from tinyarray.interop_adapter import TinyAdapter

    interop.register(TinyAdapter())
    t = tiny.asarray([1.0, 2.0])
    interop.via("numpy")(lambda x: x.__setitem__(0, 9.0))(t)
    assert tiny_values(t).tolist() == [9.0, 2.0]
    ml_dtypes = pytest.importorskip("ml_dtypes")
    with pytest.raises(interop.UnsupportedDtypeError, match="tinyarray cannot hold bfloat16"):
        interop.to(np.zeros(2, ml_dtypes.bfloat16), "tinyarray")  # its check_dtype is asked


def test_register_refuses_a_second_adapter_of_the_same_name(tiny: Any) -> None:
    from tinyarray.interop_adapter import TinyAdapter

    interop.register(TinyAdapter())
    with pytest.raises(interop.InteropError, match="already registered"):
        interop.register(TinyAdapter())
    interop.register(TinyAdapter(), replace=True)


def test_entry_point(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    value = declared["project"]["entry-points"]["interop.adapters"]["tinyarray"]
    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points(value))
    assert "tinyarray" not in interop.registry()
    t = tiny.asarray(VALUES)  # first met as a source: an unknown type triggers the read
    assert interop.framework(t) == "tinyarray"
    check_everything(tiny, Backend("numpy"))


def test_entry_point_found_by_target_name(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        fake_entry_points("tinyarray.interop_adapter:TinyAdapter"))
    out = interop.to(np.ones(2), "tinyarray")  # an unknown target name triggers the read
    assert isinstance(out, tiny.TinyArray)


def test_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           fresh_registry: None) -> None:
    """Install tests/plugin_pkg for real (no network); interop finds its entry point."""
    source = tmp_path / "src"
    shutil.copytree(PLUGIN_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot build the plugin offline here: {done.stderr.strip()[-300:]}")
    monkeypatch.syspath_prepend(str(site))
    for name in [m for m in sys.modules if m == "tinyarray" or m.startswith("tinyarray.")]:
        monkeypatch.delitem(sys.modules, name)
    import tinyarray

    assert Path(tinyarray.__file__).is_relative_to(site)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a good plugin loads silently
        check_everything(tinyarray, Backend("numpy"))


def test_broken_plugins_only_warn(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points(
        "no_such_module_for_interop:Adapter",  # import fails
        "tinyarray:TinyArray",  # not an Adapter: register() refuses it
        "tinyarray.interop_adapter:TinyAdapter",  # a good one next to them still loads
    ))
    with pytest.warns(RuntimeWarning, match="failed to load") as caught:
        assert interop.framework(tiny.asarray([1.0])) == "tinyarray"
    assert len(caught) == 2
    assert isinstance(interop.to(np.ones(2), "tinyarray"), tiny.TinyArray)


def test_broken_plugin_never_breaks_conversions(monkeypatch: pytest.MonkeyPatch,
                                                fresh_registry: None) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        fake_entry_points("no_such_module_for_interop:Adapter"))
    with pytest.warns(RuntimeWarning, match="no_such_module_for_interop"), \
            pytest.raises(interop.UnknownFrameworkError, match="No framework is registered"):
        interop.to(np.ones(2), "not_a_framework")
    assert interop.to([1.0, 2.0], "numpy").tolist() == [1.0, 2.0]  # read once: no new warning
