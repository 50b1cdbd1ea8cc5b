"""``bash benchmarks/gpu_check.sh OUTDIR`` on a machine without a GPU: a clean "no GPU".

A line per framework saying it sees no GPU, exit status 3, no traceback, and a summary in
OUTDIR that says so.  (On a GPU machine the script runs the whole GPU suite: not from here.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import USABLE_GPU_BACKENDS

from paths import ROOT


@pytest.mark.skipif(bool(USABLE_GPU_BACKENDS), reason="a GPU is usable: run the script itself")
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_check_reports_no_gpu_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable, "INTEROP_GPU_CHECK_NO_INSTALL": "1"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for name in ("torch", "cupy", "jax"):
        assert f"{name}: sees no GPU" in done.stdout
    record = json.loads((tmp_path / "summary.json").read_text())
    assert record["verdict"].startswith("no GPU")
    assert "no GPU" in (tmp_path / "summary.md").read_text()


def test_gpu_check_needs_an_output_folder() -> None:
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "usage" in done.stderr
