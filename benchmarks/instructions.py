"""Instructions per call (callgrind) for the cases in ``cases.py``: interop and the native recipe.

Timings on a shared 2-core machine drift by 10-30% between runs; instruction counts
repeat to well under 1%.  Each call runs ``N`` and ``2N`` times inside a small C loop
(compiled here against valgrind's ``callgrind.h``) that zeroes callgrind's counters
before the loop and dumps them after it, so that the difference of the two dumps divided
by ``N`` is the cost of one call, with start-up, imports and the first (planning) call
cancelled.

    python benchmarks/instructions.py [--only TEXT] [--calls 200] [--json PATH]

Needs valgrind (with its headers) and a C compiler; a run takes a few minutes, most of
it importing the frameworks under valgrind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOOP_C = r"""
#include <Python.h>
#include <valgrind/callgrind.h>
int measure(PyObject *f, long n, const char *label) {
    CALLGRIND_ZERO_STATS;
    for (long k = 0; k < n; k++) {
        PyObject *r = PyObject_CallNoArgs(f);
        if (r == NULL) return -1;
        Py_DECREF(r);
    }
    CALLGRIND_DUMP_STATS_AT(label);
    return 0;
}
"""


def build_loop(workdir: Path) -> Path:
    """The measuring loop as a shared library."""
    source = workdir / "loop.c"
    source.write_text(LOOP_C, encoding="utf-8")
    lib = workdir / "loop.so"
    include = sysconfig.get_paths()["include"]
    subprocess.run([os.environ.get("CC", "cc"), "-O1", "-shared", "-fPIC", f"-I{include}",
                    str(source), "-o", str(lib)], check=True)
    return lib


def child(lib: str, only: str | None, calls: int, names_out: str) -> int:
    """Runs under callgrind: each callable N and 2N times in its own pair of loops."""
    import ctypes

    sys.path.insert(0, str(HERE))
    from cases import cases

    measure = ctypes.PyDLL(lib).measure
    measure.argtypes = [ctypes.py_object, ctypes.c_long, ctypes.c_char_p]
    measure.restype = ctypes.c_int
    found, _ = cases()
    names: list[list[str]] = []
    for case in found:
        if only and only not in case.name:
            continue
        for label, call in (("interop", case.ours), ("native", case.native)):
            if call is None:
                continue
            call()  # plan and remember outside the counted loops
            slot, n_calls = len(names), min(calls, case.calls or calls)
            for n, part in ((n_calls, "warm"), (n_calls, "a"), (2 * n_calls, "b")):
                if measure(call, n, f"slot{slot}{part}".encode()) != 0:
                    raise RuntimeError(f"{case.name}: {label} raised")
            names.append([case.name, label, case.native_name, str(case.goal),
                          str(case.absolute), str(n_calls)])
    Path(names_out).write_text(json.dumps(names), encoding="utf-8")
    return 0


def dumped_counts(workdir: Path) -> dict[str, int]:
    """dump label (``slot<i>a`` / ``slot<i>b``) -> instructions, from the dump files."""
    counts = {}
    for part in workdir.glob("callgrind.out.*"):
        text = part.read_text(encoding="utf-8", errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
        total = re.search(r"^summary: (\d+)", text, re.M)
        if label and total:
            counts[label.group(1)] = int(total.group(1))
    return counts


def parent(only: str | None, calls: int) -> list[dict[str, Any]]:
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        raise SystemExit("valgrind (callgrind) is not installed: apt-get install valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(os.environ.get("INTEROP_CALLGRIND_DIR", tmp))
        work.mkdir(parents=True, exist_ok=True)
        lib = build_loop(work)
        out, names_file = work / "callgrind.out", work / "names.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, __file__, "--child", str(lib), "--calls", str(calls),
                        "--names", str(names_file), *(["--only", only] if only else [])],
                       check=True, env=env, stderr=subprocess.DEVNULL)
        counts = dumped_counts(work)
        names = json.loads(names_file.read_text(encoding="utf-8"))
    rows: dict[str, dict[str, Any]] = {}
    for slot, (case, label, native_name, goal, absolute, n_calls) in enumerate(names):
        per_call = (counts.get(f"slot{slot}b", 0) - counts.get(f"slot{slot}a", 0)) / int(n_calls)
        row = rows.setdefault(case, {"case": case, "native": native_name,
                                     "goal": float(goal), "absolute": absolute == "True"})
        row[f"{label}_instructions"] = round(per_call)
    for row in rows.values():
        if row.get("native_instructions"):
            row["ratio"] = row["interop_instructions"] / row["native_instructions"]
    return list(rows.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="only cases whose name contains this text")
    parser.add_argument("--calls", type=int, default=200, help="N (default 200)")
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.only, args.calls, args.names)
    rows = parent(args.only, args.calls)
    print(f"{'case':30} {'interop instr':>14} {'native instr':>13} {'ratio':>6}  native")
    for r in rows:
        ratio = f"{r['ratio']:5.2f}x" if "ratio" in r else ""
        native = r.get("native_instructions", "")
        print(f"{r['case']:30} {r['interop_instructions']:14,} {native!s:>13} {ratio:>6}  "
              f"{r['native']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
