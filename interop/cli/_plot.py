"""The log-log plot of ``interop bench --plot`` (matplotlib is an optional extra)."""

from __future__ import annotations

from typing import Any

__all__ = ["plot"]


def plot(conversions: list[dict[str, Any]], copies: list[dict[str, Any]], path: str,
         dtype: str) -> None:
    """Conversion time against size (left) and host-copy throughput (right), to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    pairs = sorted({(c["source"], c["target"]) for c in conversions
                    if c["interop_s"] is not None and c["source"] != c["target"]})
    colors = plt.get_cmap("tab20")
    for i, (src, dst) in enumerate(pairs):
        rows = [c for c in conversions if (c["source"], c["target"]) == (src, dst)
                and c["interop_s"] is not None]
        x = [c["bytes"] for c in rows]
        left.plot(x, [c["interop_s"] * 1e6 for c in rows], "o-", color=colors(i % 20),
                  label=f"{src} -> {dst}")
        native = [(c["bytes"], c["native_s"] * 1e6) for c in rows if c["native_s"]]
        if native:
            left.plot(*zip(*native, strict=True), ":", color=colors(i % 20), alpha=0.7)
    left.set(xscale="log", yscale="log", xlabel=f"array size (bytes, {dtype})",
             ylabel="median time per call (us)",
             title="Conversion time: interop (solid) vs fastest native (dotted)")
    if pairs:
        left.legend(fontsize=7, ncol=2)
    left.grid(True, which="both", alpha=0.3)
    names = list(copies[0]["gbps"]) if copies else []
    for name in names:
        right.plot([c["bytes"] for c in copies], [c["gbps"][name] for c in copies], "o-",
                   label=name)
    right.set(xscale="log", yscale="log", xlabel="bytes copied", ylabel="GB/s",
              title="Host copy throughput: interop.to(copy=True) vs NumPy")
    right.legend(fontsize=8)
    right.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
