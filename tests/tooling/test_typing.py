"""The public types hold: mypy checks tests/typing/check_types.py (see its docstring)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from paths import ROOT


@pytest.mark.slow
def test_public_types() -> None:
    for needed in ("mypy", "torch", "jax", "typing_extensions"):
        if importlib.util.find_spec(needed) is None:
            pytest.skip(f"the typing check needs {needed}, which is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "tests/typing/mypy.ini",
         "tests/typing/check_types.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
