"""Issue 12's speed table: every case in ``cases.py``, interop beside the native recipe.

Prints ``interop us, native us, ratio`` per case with the spread of repeated batches
(interquartile range of the ratio's two medians), and the goal.  Timings on a shared
machine drift by 10-30% between runs; ``instructions.py`` counts instructions instead.

    python benchmarks/speed.py [--json PATH] [--budget 0.2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case, cases

from harness import compare, pin_threads, write_json


def measure(case: Case, budget: float) -> dict[str, Any]:
    """One case's medians (seconds), spreads and ratio; the goal met or not."""
    case.ours()  # the first call plans and remembers; the table is about later calls
    calls = {"interop": case.ours} if case.native is None else {
        "interop": case.ours, "native": case.native}
    stats = compare(calls, budget_s=budget)
    ours = stats["interop"]
    row: dict[str, Any] = {"group": case.group, "case": case.name, "native": case.native_name,
                           "interop_us": ours.median * 1e6, "interop_iqr_us": ours.iqr * 1e6,
                           "goal": case.goal}
    if case.absolute:
        row["meets_goal"] = row["interop_us"] <= (case.goal or 0)
        return row
    native = stats["native"]
    row.update(native_us=native.median * 1e6, native_iqr_us=native.iqr * 1e6,
               ratio=ours.median / native.median,
               ratio_low=ours.q1 / native.q3, ratio_high=ours.q3 / native.q1)
    row["meets_goal"] = row["ratio"] <= (case.goal or 0)
    return row


def report(rows: list[dict[str, Any]], skipped: list[str]) -> None:
    print(f"{'':5}{'case':30} {'interop us':>10} {'native us':>10} {'ratio':>6}"
          f" {'spread':>13} {'goal':>6}  native")
    for r in rows:
        flag = "ok " if r["meets_goal"] else "MISS"
        if "ratio" in r:
            spread = f"{r['ratio_low']:.2f}-{r['ratio_high']:.2f}"
            print(f"{flag:5}{r['case']:30} {r['interop_us']:10.2f} {r['native_us']:10.2f} "
                  f"{r['ratio']:5.2f}x {spread:>13} {r['goal']:5.1f}x  {r['native']}")
        else:
            print(f"{flag:5}{r['case']:30} {r['interop_us']:10.2f} {'':>10} {'':>6} "
                  f"{'':>13} {r['goal']:4.1f}us  (absolute)")
    for reason in skipped:
        print(f"skipped: {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per call and case")
    parser.add_argument("--only", help="run only cases whose name contains this text")
    args = parser.parse_args(argv)
    pin_threads(1)
    found, skipped = cases()
    rows = [measure(c, args.budget) for c in found if not args.only or args.only in c.name]
    report(rows, skipped)
    if args.json:
        write_json(args.json, rows=rows, skipped=skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
