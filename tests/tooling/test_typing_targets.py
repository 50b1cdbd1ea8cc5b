"""``interop.to(x, "tensorflow" | "mlx" | "paddle")`` is typed as that framework's array.

These frameworks are seldom installed beside mypy, and TensorFlow ships no type
information, so the check gives mypy stand-in stubs (one class each, on ``MYPYPATH``,
which wins over an installed package): the overloads must name exactly those classes.
A precise type is proven by an error mypy must find (an unused ``type: ignore`` fails).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from paths import ROOT

STUBS = {
    "tensorflow/__init__.pyi": "class Tensor:\n    def numpy(self) -> object: ...\n",
    "mlx/__init__.pyi": "",
    "mlx/core/__init__.pyi": "class array:\n    def tolist(self) -> object: ...\n",
    "paddle/__init__.pyi": "class Tensor:\n    def numpy(self) -> object: ...\n",
}

CHECK = textwrap.dedent("""
    from typing import Any

    import mlx.core
    import paddle
    import tensorflow
    from typing_extensions import assert_type

    import interop


    def check(x: Any) -> None:
        assert_type(interop.to(x, "tensorflow"), tensorflow.Tensor)
        assert_type(interop.to(x, "mlx", copy=False), mlx.core.array)
        assert_type(interop.to(x, "paddle", device="cpu"), paddle.Tensor)
        interop.to(x, "tensorflow").numpy_()  # type: ignore[attr-defined]
        interop.to(x, "mlx").numpy()  # type: ignore[attr-defined]
        _t: tensorflow.Tensor = interop.to(x, "paddle")  # type: ignore[assignment]
        interop.to(x, "paddle", copy="no")  # type: ignore[call-overload]
""")

CONFIG = textwrap.dedent("""
    [mypy]
    strict = True
    warn_unused_ignores = True

    [mypy-interop.*]
    follow_imports = silent
""")


@pytest.mark.slow
def test_overloads_name_each_frameworks_array_type(tmp_path: Path) -> None:
    for needed in ("mypy", "typing_extensions"):
        if importlib.util.find_spec(needed) is None:
            pytest.skip(f"the typing check needs {needed}, which is not installed")
    for name, text in STUBS.items():
        path = tmp_path / "stubs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "check_targets.py").write_text(CHECK, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(tmp_path / "stubs")}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"),
         "--cache-dir", str(ROOT / ".mypy_cache" / "typing-targets"),
         str(tmp_path / "check_targets.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
