"""``interop matrix`` keeps frameworks that crash each other (TensorFlow, Paddle) apart.

Two fake plugin frameworks stand in for the pair: each one aborts the process when it is
imported after the other, as Paddle does after TensorFlow.  They are real plugins, found
through an ``interop.adapters`` entry point on ``PYTHONPATH``, and they log the process
that imported them, so the test sees which process converted which.  The real check
(``interop matrix`` lists TensorFlow, MLX or Paddle) runs in the nox sessions that
install them; it skips here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from paths import ROOT

FRAMEWORK = textwrap.dedent('''
    """A fake framework: importing it after {other} aborts the process."""
    import os
    import sys

    clash = "{other}" in sys.modules and os.environ.get("FAKE_CLASH", "1") == "1"
    if clash or os.environ.get("FAKE_CRASH") == "{name}":
        os.abort()  # stands in for the segfault of importing tensorflow, then paddle
    with open(os.environ["FAKE_IMPORT_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{name} {{os.getpid()}}\\n")

    import numpy as np


    class Array:
        def __init__(self, buffer):
            self._buffer = buffer

        def __dlpack__(self, **kw):
            return self._buffer.__dlpack__(**kw)

        def __dlpack_device__(self):
            return (1, 0)


    def asarray(values, dtype=None):
        return Array(np.array(values, dtype=dtype))


    def from_dlpack(producer):
        return Array(np.from_dlpack(producer))
''')

PLUGIN = textwrap.dedent('''
    """Adapters of both fakes; neither imports its framework until it is used."""
    import importlib

    import interop


    class _Fake(interop.Adapter):
        holds_read_only = True
        negative_strides = True

        def owns(self, tp):
            return tp.__module__ == self.name and tp.__name__ == "Array"

        def namespace(self):
            return importlib.import_module(self.name)

        def describe(self, x):
            b = x._buffer
            return interop.ArrayInfo(dtype=b.dtype.name, shape=b.shape, strides=b.strides,
                                     itemsize=b.itemsize, read_only=not b.flags.writeable)

        def from_dlpack(self, producer):
            return self.namespace().from_dlpack(producer)

        def data_pointer(self, x):
            return int(x._buffer.ctypes.data)


    class FakeA(_Fake):
        name = "fakea"
        target_modules = ("fakea",)


    class FakeB(_Fake):
        name = "fakeb"
        target_modules = ("fakeb",)
''')


@pytest.fixture
def fakes(tmp_path: Path) -> dict[str, str]:
    """A folder with both fakes and their plugin; the environment that finds them."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fakea.py").write_text(FRAMEWORK.format(name="fakea", other="fakeb"), "utf-8")
    (site / "fakeb.py").write_text(FRAMEWORK.format(name="fakeb", other="fakea"), "utf-8")
    (site / "fakeplug.py").write_text(PLUGIN, "utf-8")
    info = site / "fakeplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 0.1\n",
                                   "utf-8")
    (info / "entry_points.txt").write_text(
        "[interop.adapters]\nfakea = fakeplug:FakeA\nfakeb = fakeplug:FakeB\n", "utf-8")
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "INTEROP_APART": "fakea,fakeb",
            "FAKE_IMPORT_LOG": str(tmp_path / "imports.log")}


def matrix(env: dict[str, str], tmp_path: Path, *only: str) -> tuple[int, int, str]:
    """Run ``python -m interop matrix`` on a tiny array; (exit code, its pid, stdout)."""
    argv = [sys.executable, "-m", "interop", "matrix", "--shape", "3,4", "--budget", "0.001",
            "--only", ",".join(only), "--json", str(tmp_path / "rows.json")]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, proc.pid, out + err


def rows(tmp_path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    record = json.loads((tmp_path / "rows.json").read_text("utf-8"))
    return {(r["source"], r["target"]): r for r in record["rows"]}


def imports(env: dict[str, str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for line in Path(env["FAKE_IMPORT_LOG"]).read_text("utf-8").splitlines():
        name, pid = line.split()
        found.setdefault(name, []).append(int(pid))
    return found


def test_the_fake_pair_crashes_one_process(fakes: dict[str, str], tmp_path: Path) -> None:
    """The stand-in is faithful: in one process, the second import aborts."""
    code = "import fakea, fakeb"
    proc = subprocess.run([sys.executable, "-c", code], env=fakes, check=False,
                          capture_output=True)
    assert proc.returncode != 0


def test_each_framework_of_the_pair_runs_in_its_own_process(fakes: dict[str, str],
                                                             tmp_path: Path) -> None:
    code, pid, out = matrix(fakes, tmp_path, "python", "numpy", "fakea", "fakeb")
    assert code == 0, out
    seen = imports(fakes)
    assert len(seen["fakea"]) == len(seen["fakeb"]) == 1, seen  # one worker each
    assert seen["fakea"] != seen["fakeb"]
    assert pid not in seen["fakea"] + seen["fakeb"]  # the command imported neither
    found = rows(tmp_path)
    for name in ("fakea", "fakeb"):
        assert found[("numpy", name)]["status"] == "zero-copy"
        assert found[(name, "numpy")]["status"] == "zero-copy"
        assert found[(name, name)]["status"] == "identity"
        assert found[("python", name)]["status"] == "copy"
        assert found[("numpy", name)]["interop_s"] > 0  # timed in the worker, like the rest
    for pair in (("fakea", "fakeb"), ("fakeb", "fakea")):
        assert found[pair]["status"] == "skipped"
        assert "never imported into one process" in found[pair]["why"]
    assert found[("numpy", "numpy")]["status"] == "identity"  # the command's own rows
    table = [line.split()[:3] for line in out.splitlines()]
    assert ["fakea", "numpy", "zero-copy"] in table and ["fakeb", "numpy", "zero-copy"] in table
    sources = [r["source"] for r in json.loads((tmp_path / "rows.json").read_text())["rows"]]
    assert sources == sorted(sources, key=["python", "numpy", "fakea", "fakeb"].index)


def test_a_worker_that_dies_is_a_failing_row(fakes: dict[str, str], tmp_path: Path) -> None:
    code, _, out = matrix({**fakes, "FAKE_CRASH": "fakeb"}, tmp_path, "numpy", "fakea", "fakeb")
    assert code == 1, out
    found = rows(tmp_path)
    assert found[("fakea", "numpy")]["status"] == "zero-copy"  # the other worker went on
    assert found[("fakeb", "*")]["status"] == "error"
    assert "fakeb worker process was killed by SIGABRT" in found[("fakeb", "*")]["why"]
    assert "fakeb->*" in out


def test_frameworks_of_other_groups_meet_in_a_worker(fakes: dict[str, str],
                                                     tmp_path: Path) -> None:
    """Two isolated frameworks that may share a process still get their pair converted."""
    env = {**fakes, "INTEROP_APART": "fakea,fakec;fakeb,faked", "FAKE_CLASH": "0"}
    code, _, out = matrix(env, tmp_path, "fakea", "fakeb")
    assert code == 0, out
    found = rows(tmp_path)
    assert found[("fakea", "fakeb")]["status"] == "zero-copy"
    assert found[("fakeb", "fakea")]["status"] == "zero-copy"
    assert len(found) == 4


@pytest.mark.parametrize("name", ["tensorflow", "mlx", "paddle"])
def test_matrix_lists_the_installed_framework(name: str, tmp_path: Path) -> None:
    """Run in the tensorflow and paddle nox sessions, where these are installed."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed here (its nox session runs this)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                        os.environ.get("PYTHONPATH", "")])}
    code, _, out = matrix(env, tmp_path, "python", "numpy", name)
    assert code == 0, out
    found = rows(tmp_path)
    assert found[(name, name)]["status"] == "identity"
    assert found[("numpy", name)]["status"] in ("zero-copy", "copy")
    assert found[(name, "numpy")]["status"] == "zero-copy"
    assert found[("python", name)]["status"] == "copy"
    assert any(line.split()[:2] == [name, "numpy"] for line in out.splitlines()), out


def test_matrix_lists_tensorflow_and_paddle_together(tmp_path: Path) -> None:
    """Both installed: the command runs to completion and lists both, the pair skipped."""
    import importlib.util

    missing = [n for n in ("tensorflow", "paddle") if importlib.util.find_spec(n) is None]
    if missing:
        pytest.skip(f"needs tensorflow and paddle in one environment ({', '.join(missing)} "
                    "missing here)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                        os.environ.get("PYTHONPATH", "")])}
    code, _, out = matrix(env, tmp_path, "numpy", "tensorflow", "paddle")
    assert code == 0, out
    found = rows(tmp_path)
    for name in ("tensorflow", "paddle"):
        assert found[(name, "numpy")]["status"] == "zero-copy"
        assert found[("numpy", name)]["status"] in ("zero-copy", "copy")
    assert found[("tensorflow", "paddle")]["status"] == "skipped"
    assert found[("paddle", "tensorflow")]["status"] == "skipped"


def test_bench_leaves_a_clashing_pair_out(fakes: dict[str, str], tmp_path: Path) -> None:
    """``interop bench`` times in one process: both members of a pair installed, neither."""
    out = tmp_path / "bench.json"
    argv = [sys.executable, "-m", "interop", "bench", "--sizes", "4", "--budget", "0.001",
            "--only", "numpy,fakea,fakeb", "--json", str(out)]
    done = subprocess.run(argv, env=fakes, capture_output=True, text=True, check=False,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "numpy" in done.stdout and "fakea" not in done.stdout + out.read_text("utf-8")
    assert not Path(fakes["FAKE_IMPORT_LOG"]).exists()  # neither was imported
    # one member of the pair wanted: nothing to clash with, so it is timed in the process
    one = subprocess.run([*argv[:-4], "--only", "numpy,fakea"], env=fakes, capture_output=True,
                         text=True, check=False, timeout=300)
    assert one.returncode == 0 and "fakea" in one.stdout, one.stdout + one.stderr
