"""Zero-copy overhead of interop against the fastest native call, and host-copy throughput.

Goals (issues 4 and 12): a zero-copy conversion costs at most 1.2x the fastest native call
for the pair; a host copy into any target runs at 0.9x ``np.copy``'s bandwidth or better
from 1 MiB to 1 GiB and holds one copy of the data at its peak (``host_copy.py``: every
installed target, the copying miss classes, peak memory measured in child processes).

    python benchmarks/overhead.py [--json PATH] [--threads 1] [--budget 0.3]
                                  [--copy-sizes 1 16 256 1024] [--peak-sizes 256 1024]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import host_copy

from harness import compare, environment, pin_threads

ZERO_COPY_GOAL = 1.2
KEYWORD_GOAL = 1.3
SHAPE = (1000, 1000)


def zero_copy_cases() -> dict[str, tuple[Any, str, dict[str, Callable[[], object]]]]:
    """name -> (source array, target, native calls), for the frameworks installed here."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    cases: dict[str, tuple[Any, str, dict[str, Callable[[], object]]]] = {
        "numpy -> numpy (identity)": (a, "numpy", {"np.asarray": partial(np.asarray, a)}),
    }
    try:
        import torch
    except ImportError:
        torch = None
    try:
        import jax.numpy as jnp
    except ImportError:
        jnp = None
    if torch is not None:
        t = torch.empty(SHAPE).copy_(torch.from_numpy(a))  # torch's allocator: 64-byte aligned
        cases["numpy -> torch"] = (a, "torch", {"torch.from_numpy": partial(torch.from_numpy, a),
                                                "torch.from_dlpack": partial(torch.from_dlpack, a)})
        cases["torch -> numpy"] = (t, "numpy", {"Tensor.numpy()": t.numpy,
                                                "np.from_dlpack": partial(np.from_dlpack, t)})
        cases["torch -> torch (identity)"] = (t, "torch",
                                              {"torch.asarray": partial(torch.asarray, t)})
    if jnp is not None:
        j = jnp.asarray(a)
        cases["jax -> numpy"] = (j, "numpy", {"np.asarray": partial(np.asarray, j),
                                              "np.from_dlpack": partial(np.from_dlpack, j)})
        if torch is not None:
            cases["torch -> jax"] = (t, "jax", {"jnp.from_dlpack": partial(jnp.from_dlpack, t)})
            # jax -> torch copies since JAX arrays count as read-only: see keyword_cases
    return cases


def run_zero_copy(budget: float) -> list[dict[str, Any]]:
    import warnings

    import interop

    warnings.simplefilter("ignore", UserWarning)  # torch.asarray warns on read-only buffers
    rows = []
    for name, (x, target, natives) in zero_copy_cases().items():
        result = interop.to(x, target)
        shared = interop.shares_memory(x, result)
        stats = compare({"interop": partial(interop.to, x, target), **natives}, budget_s=budget)
        best = min((k for k in stats if k != "interop"), key=lambda k: stats[k].median)
        ratio = stats["interop"].median / stats[best].median
        rows.append({"case": name, "zero_copy": shared, "native": best, "ratio": ratio,
                     "goal": ZERO_COPY_GOAL, "meets_goal": ratio <= ZERO_COPY_GOAL,
                     "stats": {k: s.as_dict() for k, s in stats.items()}})
    return rows


def keyword_cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (interop call with keywords, the same conversion without them): both cached."""
    import numpy as np

    import interop

    a = np.arange(1000, dtype=np.float32)
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "numpy -> numpy copy=True": (partial(interop.to, a, "numpy", copy=True), a.copy),
    }
    try:
        import torch
    except ImportError:
        return cases
    t = torch.arange(1000, dtype=torch.float32)
    plain_nt, plain_tn = partial(interop.to, a, "torch"), partial(interop.to, t, "numpy")
    cases.update({
        "numpy -> torch copy=False": (partial(interop.to, a, "torch", copy=False), plain_nt),
        "numpy -> torch device='cpu'": (partial(interop.to, a, "torch", device="cpu"), plain_nt),
        "torch -> numpy copy=False": (partial(interop.to, t, "numpy", copy=False), plain_tn),
        "torch -> numpy device='cpu'": (partial(interop.to, t, "numpy", device="cpu"), plain_tn),
        "numpy -> torch copy=True": (partial(interop.to, a, "torch", copy=True),
                                     lambda: torch.from_numpy(a.copy())),
    })
    try:
        import jax.numpy as jnp
    except ImportError:
        return cases
    j = jnp.asarray(a)
    cases.update({  # JAX arrays are immutable: torch gets a copy, or an explicit alias
        "jax -> torch (a copy)": (partial(interop.to, j, "torch"),
                                  lambda: torch.from_numpy(np.array(j))),
        "jax -> torch unsafe_alias": (partial(interop.unsafe_alias, j, "torch"),
                                      partial(torch.from_dlpack, j)),
    })
    return cases


def run_keywords(budget: float) -> list[dict[str, Any]]:
    """Calls with copy=/device= are remembered too: ratio against the same work without them."""
    rows = []
    for name, (call, baseline) in keyword_cases().items():
        call()
        stats = compare({"interop": call, "baseline": baseline}, budget_s=budget)
        ratio = stats["interop"].median / stats["baseline"].median
        rows.append({"case": name, "ratio": ratio, "goal": KEYWORD_GOAL,
                     "meets_goal": ratio <= KEYWORD_GOAL,
                     "stats": {k: s.as_dict() for k, s in stats.items()}})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--threads", type=int, default=1, help="thread pools (default: 1)")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="seconds of timing per call and case (default: 0.3)")
    parser.add_argument("--copy-sizes", type=int, nargs="*", default=list(host_copy.SIZES_MB),
                        help="MiB sizes of the host copies timed (default: 1 16 256 1024)")
    parser.add_argument("--peak-sizes", type=int, nargs="*",
                        default=list(host_copy.PEAK_SIZES_MB),
                        help="MiB sizes whose peak memory is measured (default: 256 1024)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)  # before the frameworks are imported
    zero = run_zero_copy(args.budget)
    keywords = run_keywords(args.budget)
    copies, skipped = host_copy.run(tuple(args.copy_sizes), tuple(args.peak_sizes), args.budget)
    print(f"Zero-copy overhead, float32 {SHAPE} (goal <= {ZERO_COPY_GOAL}x the fastest native)")
    for r in zero:
        med = r["stats"]["interop"]["median"] * 1e6
        nat = r["stats"][r["native"]]["median"] * 1e6
        flag = "ok " if r["meets_goal"] else "MISS"
        print(f"  {flag} {r['case']:28} {r['ratio']:5.2f}x  interop {med:7.2f} us  "
              f"{r['native']} {nat:7.2f} us  shared={r['zero_copy']}")
    print(f"Keyword calls, float32 (1000,) (goal <= {KEYWORD_GOAL}x the same conversion "
          "without the keyword, or the native recipe for copy=True)")
    for r in keywords:
        med = r["stats"]["interop"]["median"] * 1e6
        base = r["stats"]["baseline"]["median"] * 1e6
        flag = "ok " if r["meets_goal"] else "MISS"
        print(f"  {flag} {r['case']:28} {r['ratio']:5.2f}x  interop {med:7.2f} us  "
              f"baseline {base:7.2f} us")
    host_copy.report(copies, skipped)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        record = {"environment": environment(), "zero_copy": zero, "keywords": keywords,
                  "host_copy": copies, "host_copy_skipped": skipped}
        Path(args.json).write_text(json.dumps(record, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
