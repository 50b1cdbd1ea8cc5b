"""The log-log plot of ``interop bench --plot`` (matplotlib is an optional extra).

Each pair gets its own hue (evenly spread around the colour wheel, a marker per source),
the native call is a dashed line of the same hue, points where a conversion stops
sharing memory and starts copying are ringed, and a caption says which machine and
versions made the numbers: a plot without them cannot be compared with another.
"""

from __future__ import annotations

import colorsys
import itertools
from typing import Any

__all__ = ["caption", "copy_turns", "plot"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SHARING = ("identity", "zero-copy")


def _hues(count: int) -> list[tuple[float, float, float]]:
    """``count`` clearly different colours of similar brightness."""
    return [colorsys.hls_to_rgb(i / max(count, 1), 0.42, 0.85) for i in range(count)]


def copy_turns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (sorted by size) where a pair turns from sharing memory into copying."""
    ordered = sorted(rows, key=lambda c: c["bytes"])
    return [now for before, now in itertools.pairwise(ordered)
            if before["status"] in SHARING and now["status"] == "copy"]


def caption(env: dict[str, Any] | None) -> str:
    """Machine, thread count and versions, on one or two lines."""
    if not env:
        return ""
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    threads = env.get("torch_threads") or next(
        (v for v in env.get("threads", {}).values() if v), "default")
    return (f"{env.get('cpu', '?')}, {env.get('cpu_count', '?')} CPUs, {threads} thread(s); "
            f"Python {env.get('python', '?')}; {env.get('time', '')}\n{versions}")


def plot(conversions: list[dict[str, Any]], copies: list[dict[str, Any]], path: str,
         dtype: str, env: dict[str, Any] | None = None) -> None:
    """Conversion time against size (left) and host-copy throughput (right), to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6.2))
    _conversions(left, conversions, dtype)
    _copies(right, copies)
    text = caption(env)
    fig.tight_layout(rect=(0, 0.07 if text else 0, 1, 1))
    if text:
        fig.text(0.01, 0.01, text, fontsize=7.5, color="0.3", va="bottom")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _conversions(ax: Any, conversions: list[dict[str, Any]], dtype: str) -> None:
    pairs = sorted({(c["source"], c["target"]) for c in conversions
                    if c["interop_s"] is not None and c["source"] != c["target"]})
    sources = sorted({src for src, _ in pairs})
    turned = False
    for (src, dst), color in zip(pairs, _hues(len(pairs)), strict=True):
        rows = sorted((c for c in conversions if (c["source"], c["target"]) == (src, dst)
                       and c["interop_s"] is not None), key=lambda c: c["bytes"])
        marker = MARKERS[sources.index(src) % len(MARKERS)]
        ax.plot([c["bytes"] for c in rows], [c["interop_s"] * 1e6 for c in rows],
                marker=marker, linestyle="-", color=color, label=f"{src} → {dst}")
        native = [(c["bytes"], c["native_s"] * 1e6) for c in rows if c["native_s"]]
        if native:
            ax.plot(*zip(*native, strict=True), linestyle="--", linewidth=1.3, color=color,
                    alpha=0.9)
        for turn in copy_turns(rows):
            turned = True
            ax.plot(turn["bytes"], turn["interop_s"] * 1e6, marker="o", markersize=15,
                    markerfacecolor="none", markeredgecolor="black", linestyle="none")
            ax.annotate("copies from here", (turn["bytes"], turn["interop_s"] * 1e6),
                        textcoords="offset points", xytext=(8, -14), fontsize=7)
    if turned:
        ax.plot([], [], marker="o", markersize=10, markerfacecolor="none",
                markeredgecolor="black", linestyle="none",
                label="turns from zero-copy into a copy (see the table's notes)")
    ax.set(xscale="log", yscale="log", xlabel=f"array size (bytes, {dtype})",
           ylabel="median time per call (µs)",
           title="Conversion time: interop (solid) vs fastest native (dashed)")
    if pairs:  # proxy artists only where there is data: an empty log axis cannot scale
        ax.plot([], [], linestyle="--", color="0.3", label="fastest native call (same colour)")
        ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)


def _copies(ax: Any, copies: list[dict[str, Any]]) -> None:
    names = list(copies[0]["gbps"]) if copies else []
    references = {"numpy.copyto": "black", "numpy.copy": "0.55"}
    ours = [n for n in names if n not in references]
    colors = dict(zip(ours, _hues(len(ours)), strict=True))
    for name in names:
        ax.plot([c["bytes"] for c in copies], [c["gbps"][name] for c in copies], marker="o",
                color=references.get(name, colors.get(name)), label=name,
                linestyle="--" if name in references else "-")
    ax.set(xscale="log", yscale="log", xlabel="bytes copied", ylabel="GB/s",
           title="Host copy throughput: interop.to(copy=True) vs NumPy")
    if names:
        ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
