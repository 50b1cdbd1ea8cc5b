"""Shared by the Dask test modules: running a script in a new client process.

A new interpreter is a client that has never seen interop's Dask registrations, so
what such a script checks is that a fresh cluster needs no call before ``compute``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paths import ROOT

#: The imports and source array every fresh-cluster script starts with.
FRESH_SETUP = """
import numpy as np, ml_dtypes, dask.array as da, torch, distributed, interop
from distributed import Client, LocalCluster
src = np.arange(48, dtype=np.float32).reshape(6, 8) - 20.5
"""


class Sentinel(Exception):
    """Raised by a source that must never be computed."""


def explode(block: Any) -> Any:
    """A block function whose running proves that something computed."""
    raise Sentinel("computed")


def cluster_client() -> Iterator[Any]:
    """A client of a fresh two-process ``LocalCluster`` (the modules' ``client`` fixture)."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter with the checkout importable; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _creation_dispatches() -> list[object]:
    """The backend registries of both Dask array packages (those loaded)."""
    from dask.array.backends import array_creation_dispatch

    found = [array_creation_dispatch]
    if "dask_array" in sys.modules:
        from dask_array._backends_array import array_creation_dispatch as theirs

        found.append(theirs)
    return found


@pytest.fixture
def backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """interop's ``dask.array.backends`` entry points, as pyproject.toml declares them.

    The checkout is not installed here, so a dist-info with those entry points stands in.
    """
    import tomllib
    from dask.backends import detect_entrypoints

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    points = project["project"]["entry-points"]["dask.array.backends"]
    info = tmp_path / "interop_dask_test-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: interop-dask-test\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(
        "[dask.array.backends]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    monkeypatch.syspath_prepend(str(tmp_path))

    def forget() -> None:
        detect_entrypoints.cache_clear()
        for dispatch in _creation_dispatches():
            for name in points:
                dispatch._lookup.pop(name, None)  # type: ignore[attr-defined]

    forget()
    yield
    forget()
