"""GPU benchmarks: zero-copy hand-offs vs native ``from_dlpack``, pinned D2H/H2D throughput.

Goals (ratios, not absolute times): same-stream zero-copy <= 1.1x the native call;
D2H of >= 64 MB through the pinned pool >= 0.9x a pinned ``cudaMemcpy`` and well
above pageable ``.cpu()``; H2D likewise.  Prints a table and writes JSON with
``--json PATH``.  Exits 0 with a message where no GPU is usable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import interop

from harness import compare, environment, pin_threads


def _gpu_ready() -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    return None if torch.cuda.is_available() else "torch.cuda.is_available() is False"


def handoffs() -> dict[str, Any]:
    import cupy
    import torch

    t = torch.arange(1 << 16, dtype=torch.float32, device="cuda")
    c = cupy.arange(1 << 16, dtype=cupy.float32)
    stats = compare({
        "torch->cupy native": lambda: cupy.from_dlpack(t),
        "torch->cupy interop": lambda: interop.to(t, "cupy"),
        "cupy->torch native": lambda: torch.from_dlpack(c),
        "cupy->torch interop": lambda: interop.to(c, "torch"),
    })
    return {name: s.as_dict() for name, s in stats.items()}


def transfers(megabytes: int) -> dict[str, Any]:
    import torch

    n = megabytes * (1 << 20) // 4
    t = torch.arange(n, dtype=torch.float32, device="cuda")
    pinned = torch.empty(n, dtype=torch.float32, pin_memory=True)
    host = interop.to_numpy(t)

    def pinned_memcpy() -> None:
        pinned.copy_(t, non_blocking=True)
        torch.cuda.current_stream().synchronize()

    stats = compare({
        "D2H pinned cudaMemcpy": pinned_memcpy,
        "D2H interop.to_numpy": lambda: interop.to_numpy(t),
        "D2H pageable .cpu()": t.cpu,
        "H2D torch .to(cuda)": lambda: torch.from_numpy(host).to("cuda"),
        "H2D interop": lambda: interop.to(host, "torch", device="cuda"),
    }, budget_s=1.0, min_batches=5)
    nbytes = n * 4
    return {name: {**s.as_dict(), "GB/s": nbytes / s.median / 1e9} for name, s in stats.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    reason = _gpu_ready()
    if reason:
        print(f"no GPU benchmark: {reason}")
        return 0
    pin_threads(1)
    results = {"environment": environment(), "handoffs": handoffs(),
               "transfers": transfers(args.megabytes)}
    for group in ("handoffs", "transfers"):
        for name, row in results[group].items():
            extra = f"  {row['GB/s']:7.2f} GB/s" if "GB/s" in row else ""
            print(f"{name:26s} {row['median'] * 1e6:10.2f} us{extra}")
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
