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
    assert "0.00x" not in out
    record = json.loads(path.read_text())
    rows = record["rows"]
    assert all({"source", "target", "status", "why"} <= set(r) for r in rows)
    assert {(r["source"], r["target"]) for r in rows} >= {("numpy", "numpy"),
                                                          ("python", "numpy")}
    assert not [r for r in rows if r["status"] in ("WRONG VALUES", "error")]
    assert record["environment"]["versions"]["numpy"]
    identity = next(r for r in rows if r["source"] == r["target"] == "numpy")
    assert identity["interop_s"] > 0 and identity["native"] == "np.asarray"
    assert identity["ratio"] is None  # interop returns its input: no ratio to a native call


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
    assert "[1/2] python -> numpy" in proc.stderr  # progress without rich
    text = " ".join(proc.stdout.split())  # the hint is wrapped to the width
    assert "Not installed, so no rows: torch, jax, array_api_strict" in text
    assert 'pip install "interop-arrays[torch,jax,strict]"' in text
    assert "`interop info`" in text


def _no_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    from interop.cli import _table

    monkeypatch.setattr(_table, "have_rich", lambda: False)


@pytest.mark.parametrize("rich", [True, False], ids=["rich", "plain"])
@pytest.mark.parametrize("columns", [80, 120])
def test_matrix_fits_the_terminal(columns: int, rich: bool, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    if rich:
        pytest.importorskip("rich")
    else:
        _no_rich(monkeypatch)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["matrix", *TINY]) == 0
    out = capsys.readouterr().out
    too_wide = [line for line in out.splitlines() if len(line) > columns]
    assert not too_wide, "\n".join(too_wide)
    assert "C fast path: " in out.splitlines()[0]
    assert "route" not in out  # one result column, not two that say the same


def test_matrix_title_matches_the_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--only", "python,numpy", *TINY]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "3x4 float32 arrays (Python lists: float64" in out


def test_matrix_footnotes_say_why_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--only", "python,numpy", *TINY]) == 0
    out = capsys.readouterr().out
    assert "copy [1]" in out
    assert out.count("a Python list holds boxed values") == 1
    assert "same framework and device" not in out  # identity needs no explanation


def test_plain_table_wraps_cells_not_words() -> None:
    from interop.cli._table import Column, plain_table

    rows = [["numpy", "a reason that is much too long to fit on one line of this table", "1.0"]]
    lines = plain_table([Column("source"), Column("why it copies"),
                         Column("interop µs", right=True)], rows, 40)
    assert max(len(line) for line in lines) <= 40
    words = " ".join(lines).split()
    for word in ("reason", "interop", "µs", "numpy", "table"):
        assert word in words  # wrapped at spaces, never inside a word


def test_optional_columns_go_first_and_are_named() -> None:
    import io

    from interop.cli._table import Column, print_table

    out = io.StringIO()
    print_table("t", [Column("a"), Column("native call", drop=1)], [["x" * 30, "y" * 30]],
                file=out, width=40)
    text = out.getvalue()
    assert "y" * 30 not in text and "Left out to fit 40 columns: native call" in text


@pytest.mark.parametrize("columns", [80, 120])
def test_bench_fits_the_terminal(columns: int, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _no_rich(monkeypatch)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["bench", "--sizes", "8", "--budget", "0.001"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    header = " ".join(lines[2:4]).split()  # the header, wrapped at spaces if at all
    assert "interop" in header and "native" in header


def test_formats_never_say_zero() -> None:
    from interop.cli._table import fmt_ratio, fmt_spread

    assert fmt_ratio(0.0004) == "<0.01x" and fmt_ratio(None) == "-"
    assert fmt_spread(2e-6, 2e-7) == "2.00 ±5%"
    assert fmt_spread(None, None) == "-"


def test_info_says_whether_the_fast_path_is_on(capsys: pytest.CaptureFixture[str]) -> None:
    from interop import _convert

    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = "C fast path: on" if _convert.ACCELERATED else "C fast path: off ("
    assert any(line.startswith(expected) for line in lines), lines


def test_fast_path_line_says_why_it_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from interop import _convert
    from interop.cli._info import fast_path_line

    monkeypatch.setattr(_convert, "ACCELERATED", False)
    monkeypatch.setattr(_convert, "SPEEDUPS_REASON", "told by interop", raising=False)
    assert fast_path_line() == "C fast path: off (told by interop)"
    monkeypatch.delattr(_convert, "SPEEDUPS_REASON")
    monkeypatch.setenv("INTEROP_NO_SPEEDUPS", "1")
    assert fast_path_line() == "C fast path: off (INTEROP_NO_SPEEDUPS=1)"
    monkeypatch.delenv("INTEROP_NO_SPEEDUPS")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert "install a C compiler and reinstall" in fast_path_line()


def test_help_names_where_the_sizes_come_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--help"]) == 0
    assert "docs/performance.md" in " ".join(capsys.readouterr().out.split())


def test_plot_marks_turns_into_copies() -> None:
    from interop.cli._plot import caption, copy_turns

    rows = [{"bytes": b, "status": s} for b, s in
            [(10, "zero-copy"), (1000, "copy"), (100, "zero-copy"), (10**6, "copy")]]
    assert [r["bytes"] for r in copy_turns(rows)] == [1000]
    text = caption({"cpu": "CPU X", "cpu_count": 2, "torch_threads": 1, "python": "3.11",
                    "versions": {"numpy": "2.4"}, "time": "now"})
    assert "CPU X" in text and "numpy 2.4" in text and "1 thread" in text
