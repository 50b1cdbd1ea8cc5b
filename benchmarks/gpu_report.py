"""The two Python halves of ``gpu_check.sh``: the GPU probe and the summary it writes.

    python benchmarks/gpu_report.py probe OUT.json     # exit 3 when a framework sees no GPU
    python benchmarks/gpu_report.py summary OUTDIR --stage {install,probe,done} ...

Every framework is probed in its own subprocess, so that one that crashes or hangs on
import cannot take the others (or this script) with it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

FRAMEWORKS = ("torch", "cupy", "jax")
PROBES = {
    "torch": "import torch; assert torch.cuda.is_available(), 'torch.cuda.is_available() is "
             "False'; print(torch.__version__, '|', torch.cuda.get_device_name(0), '|', "
             "torch.version.cuda)",
    "cupy": "import cupy; n = cupy.cuda.runtime.getDeviceCount(); assert n, 'no CUDA device'; "
            "p = cupy.cuda.runtime.getDeviceProperties(0); print(cupy.__version__, '|', "
            "p['name'].decode(), '|', cupy.cuda.runtime.driverGetVersion())",
    "jax": "import jax; d = jax.devices('gpu'); print(jax.__version__, '|', d[0].device_kind, "
           "'|', len(d))",
}


def probe_one(name: str) -> dict[str, Any]:
    """``{"ok": bool, "detail": str}`` for one framework, from a subprocess."""
    try:
        done = subprocess.run([sys.executable, "-c", PROBES[name]], capture_output=True,
                              text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "detail": "timed out after 120 s"}
    if done.returncode == 0:
        return {"ok": True, "detail": done.stdout.strip()}
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return {"ok": False, "detail": lines[-1] if lines else f"exit status {done.returncode}"}


def probe(path: Path) -> int:
    results = {name: probe_one(name) for name in FRAMEWORKS}
    for name, result in results.items():
        seen = "sees the GPU" if result["ok"] else "sees no GPU"
        print(f"{name}: {seen} ({result['detail']})")
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if all(r["ok"] for r in results.values()) else 3


def _tests(out: Path) -> dict[str, Any] | None:
    junit = out / "junit.xml"
    if not junit.is_file():
        return None
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    failed = [f"{case.get('classname')}::{case.get('name')}" for case in suite.iter("testcase")
              if case.find("failure") is not None or case.find("error") is not None]
    return {**counts, "failed": failed[:50]}


def summary(out: Path, stage: str, tests_status: int | None, bench_status: int | None) -> None:
    probe_path = out / "probe.json"
    frameworks = json.loads(probe_path.read_text()) if probe_path.is_file() else {}
    bench_path = out / "bench.json"
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "stage": stage, "python": platform.python_version(), "machine": platform.machine(),
        "frameworks": frameworks, "tests": _tests(out), "tests_status": tests_status,
        "bench": json.loads(bench_path.read_text()) if bench_path.is_file() else None,
        "bench_status": bench_status,
        "verdict": _verdict(stage, frameworks, tests_status, bench_status),
    }
    (out / "summary.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(_markdown(record), encoding="utf-8")
    print(f"summary: {record['verdict']} ({out / 'summary.md'})")


def _verdict(stage: str, frameworks: dict[str, Any], tests: int | None,
             bench: int | None) -> str:
    if stage == "install":
        return "the checkout did not install (see install.log)"
    if stage == "probe":
        blind = [name for name, r in frameworks.items() if not r["ok"]]
        return f"no GPU: {', '.join(blind)} see(s) no GPU; nothing was run"
    return "green" if tests == 0 and bench == 0 else "red (see pytest.log / bench.log)"


def _markdown(record: dict[str, Any]) -> str:
    lines = [f"# GPU check, {record['date']}", "", f"**Verdict:** {record['verdict']}", "",
             f"Python {record['python']} on {record['machine']}.", "", "## Frameworks", "",
             "| framework | sees the GPU | version, GPU, CUDA/driver |", "|---|---|---|"]
    for name, result in record["frameworks"].items():
        lines.append(f"| {name} | {'yes' if result['ok'] else 'no'} | {result['detail']} |")
    tests = record["tests"]
    if tests:
        lines += ["", "## Tests", "", f"{tests['tests']} run, {tests['failures']} failed, "
                  f"{tests['errors']} errors, {tests['skipped']} skipped."]
        lines += [f"- failed: `{name}`" for name in tests["failed"]]
    bench = record["bench"]
    if bench:
        lines += ["", "## Benchmark", "", "```json", json.dumps(bench, indent=1)[:6000], "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe")
    p.add_argument("path", type=Path)
    s = sub.add_parser("summary")
    s.add_argument("out", type=Path)
    s.add_argument("--stage", choices=["install", "probe", "done"], required=True)
    s.add_argument("--tests-status", type=int)
    s.add_argument("--bench-status", type=int)
    args = parser.parse_args(argv)
    if args.command == "probe":
        return probe(args.path)
    summary(args.out, args.stage, args.tests_status, args.bench_status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
