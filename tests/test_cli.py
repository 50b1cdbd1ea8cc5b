"""The ``interop`` command line: every subcommand, exit codes, and NumPy alone."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interop.cli import main

TINY = ["--shape", "3,4", "--budget", "0.001"]


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    for command in ("info", "matrix", "bench"):
        assert main([command, "--help"]) == 0
        assert command in capsys.readouterr().out


def test_info_lists_every_known_framework(capsys: pytest.CaptureFixture[str]) -> None:
    import interop

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"interop {interop.__version__}" in out
    for name in [*interop.registry(), "ml_dtypes", "array_api_compat"]:
        assert name in out
    assert "GPU" in out


def test_matrix_checks_every_pair_and_writes_json(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.json"
    assert main(["matrix", *TINY, "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "identity" in out
    record = json.loads(path.read_text())
    rows = record["rows"]
    assert {(r["source"], r["target"]) for r in rows} >= {("numpy", "numpy"),
                                                          ("python", "numpy")}
    assert not [r for r in rows if r["status"] in ("WRONG VALUES", "error")]
    assert record["environment"]["versions"]["numpy"]
    identity = next(r for r in rows if r["source"] == r["target"] == "numpy")
    assert identity["interop_s"] > 0 and identity["native"] == "np.asarray"


@pytest.mark.parametrize("dtype", ["int8", "bool", "complex64", "float16"])
def test_matrix_other_dtypes(dtype: str) -> None:
    assert main(["matrix", "--dtype", dtype, *TINY]) == 0


def test_matrix_reports_wrong_values(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from interop.cli import _arrays

    real_read = _arrays.read
    calls = {"n": 0}

    def corrupt(x: object) -> np.ndarray:
        calls["n"] += 1
        got = real_read(x)
        return got + 1 if calls["n"] % 2 == 0 else got  # every result read is off by one

    monkeypatch.setattr(_arrays, "read", corrupt)
    assert main(["matrix", "--only", "numpy", *TINY]) == 1
    assert "WRONG VALUES" in capsys.readouterr().out


def test_bench_json_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path, plot = tmp_path / "b.json", tmp_path / "b.png"
    args = ["bench", "--sizes", "8", "4x2", "--budget", "0.001", "--only", "numpy",
            "--json", str(path), "--plot", str(plot)]
    assert main(args) == 0
    record = json.loads(path.read_text())
    assert [c["shape"] for c in record["copies"]] == [[8, 8], [4, 2]]
    assert record["copies"][0]["gbps"]["numpy.copyto"] > 0
    assert "interop->numpy" in record["copies"][0]["ratio_to_copyto"]
    assert plot.stat().st_size > 1000


@pytest.mark.parametrize("argv", [
    ["matrix", "--dtype", "float33"],
    ["matrix", "--dtype", "U8"],
    ["matrix", "--shape", "3,x"],
    ["matrix", "--shape", "3,-1"],
    ["matrix", "--only", "pytorch"],
    ["bench", "--sizes", "big"],
    ["bench", "--sizes", "0"],
    ["nonsense"],
])
def test_user_mistakes_exit_2_without_traceback(argv: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip()


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "interop", "matrix", "--dtype", "nope"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "nope" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "interop", "info"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "numpy" in proc.stdout


def test_numpy_alone() -> None:
    """With torch, jax, array_api_strict, cupy and rich blocked: numpy and list rows, plain text."""
    script = textwrap.dedent("""
        import sys
        for name in ("torch", "jax", "jaxlib", "array_api_strict", "cupy", "rich",
                     "matplotlib"):
            sys.modules[name] = None
        from interop.cli import main
        code = main(["matrix", "--shape", "3,4", "--budget", "0.001"])
        assert code == 0, code
        assert main(["info"]) == 0
        assert main(["bench", "--sizes", "4", "--budget", "0.001"]) == 0
        assert main(["bench", "--sizes", "4", "--plot", "x.png"]) == 2
        blocked = [m for m in ("torch", "jax", "rich") if sys.modules.get(m) is not None]
        assert not blocked, blocked
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    pairs = [line.split()[:2] for line in lines if line.startswith(("numpy ", "python "))]
    assert ["numpy", "numpy"] in pairs and ["python", "numpy"] in pairs
    assert not [p for p in pairs if p[1] in ("torch", "jax", "array_api_strict", "cupy")]
    assert "Frameworks" in proc.stdout and "GPUs" in proc.stdout  # `info`, as plain text
    assert "matplotlib" in proc.stderr
