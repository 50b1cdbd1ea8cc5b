"""The sdist is complete: its metadata is right and the test suite it ships collects.

A source distribution that ships ``tests/test_*.py`` without ``conftest.py``,
``backends.py``, ``doubles.py``, ``plugin_pkg/`` or ``typing/`` fails collection for
anyone who unpacks it and runs ``pytest`` (distribution packagers do).  This test builds
the sdist the way pip would (setuptools' PEP 517 backend, offline, no build isolation),
unpacks it and collects its tests there.
"""

from __future__ import annotations

import email.parser
import importlib.util
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from paths import ROOT

DIST_NAME = "interop-arrays"
#: Files the test suite needs besides its test modules.
SUITE_SUPPORT = ("tests/conftest.py", "tests/backends.py", "tests/doubles.py",
                 "tests/plugin_pkg/pyproject.toml", "tests/typing/check_types.py",
                 "tests/typing/mypy.ini", "docs/index.md", "docs/gen_semantics.py")

pytestmark = pytest.mark.slow

#: ``pytest --collect-only`` on the unpacked sources alone.  An editable install of this
#: checkout adds a finder to ``sys.meta_path`` that would serve the checkout's compiled
#: ``interop._speedups`` to the sdist's Python files; drop it, so the sdist is tested as it is.
COLLECT = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if not str(getattr(f, "__module__", "")).startswith("__editable__")]
sys.path.insert(0, "")
import pytest
sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]))
"""


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked sdist of this checkout (built in a subprocess: setuptools is chatty)."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("building the sdist needs setuptools")
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not a source checkout")
    out = tmp_path_factory.mktemp("sdist")
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    archive = out / done.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    (unpacked,) = (p for p in out.iterdir() if p.is_dir())
    return unpacked


def test_sdist_metadata(sdist: Path) -> None:
    meta = email.parser.Parser().parsestr((sdist / "PKG-INFO").read_text(encoding="utf-8"))
    assert meta["Name"] == DIST_NAME
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert meta.get_all("Project-URL")
    assert "BSD 3-Clause" in (sdist / "LICENSE").read_text(encoding="utf-8")


def test_sdist_ships_the_whole_suite(sdist: Path) -> None:
    missing = [name for name in SUITE_SUPPORT if not (sdist / name).is_file()]
    assert not missing, missing
    def modules(top: Path) -> list[str]:
        return sorted(p.relative_to(top).as_posix() for p in top.glob("tests/**/test_*.py"))

    assert modules(sdist) == modules(ROOT)
    assert not list(sdist.rglob("*.so")), "compiled files belong in wheels only"
    assert not list(sdist.rglob("__pycache__"))


def test_sdist_tests_collect(sdist: Path) -> None:
    """``pytest --collect-only`` inside the unpacked sdist: every module collects."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "INTEROP_EXPECT"))}
    done = subprocess.run([sys.executable, "-c", COLLECT], cwd=sdist, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    report = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "error" not in done.stdout.splitlines()[-1].lower(), report
    modules = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    # what the checkout itself collects here (modules may skip whole for a missing framework)
    here = subprocess.run([sys.executable, "-c", COLLECT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    expected = {line.split("::")[0] for line in here.stdout.splitlines() if "::" in line}
    assert expected, here.stdout[-3000:] + here.stderr[-3000:]
    assert modules == expected, sorted(expected - modules)
