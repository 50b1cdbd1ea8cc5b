"""``benchmarks/gpu_host_costs.py`` runs without a GPU and reports every host-side row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_host_cost_rows_run_here(tmp_path: Path) -> None:
    out = tmp_path / "costs.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_host_costs.py"),
                           "--budget", "0.01", "--json", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rows = {row["case"]: row["us"] for row in json.loads(out.read_text())["rows"]}
    assert "GPU producer -> GPU consumer: stream, export, capsule read" in rows
    assert "resolve the consumer stream" in rows
    assert all(us > 0 for us in rows.values())
    assert "Traceback" not in done.stderr
