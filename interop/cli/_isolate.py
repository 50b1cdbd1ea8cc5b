"""Frameworks that cannot share a process, and the worker processes that keep them apart.

Importing TensorFlow and then Paddle in one process crashes it (a segfault inside
Paddle's import), so ``interop matrix`` never imports either of them itself: each runs
in a worker process of its own (``python -m interop matrix --worker NAME``), which
writes its rows as JSON, and the command merges them.  Whether a framework is
installed is read from its import spec, never by importing it; the pair itself is
reported as skipped, with the reason.  ``INTEROP_APART="a,b;c,d"`` names further
groups (for a plugin framework that crashes beside another one).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["APART", "ENV", "apart_names", "clashing", "installed", "run_worker", "skipped_pairs"]

#: Groups of frameworks that must never be imported into one process.
APART: tuple[frozenset[str], ...] = (frozenset({"tensorflow", "paddle"}),)
#: Extra groups, ``"a,b;c,d"``: frameworks of one group never share a process either.
ENV = "INTEROP_APART"


def groups() -> list[frozenset[str]]:
    """The built-in groups plus those named in ``INTEROP_APART``."""
    extra = [frozenset(n.strip() for n in part.split(",") if n.strip())
             for part in os.environ.get(ENV, "").split(";")]
    return [*APART, *(g for g in extra if len(g) > 1)]


def apart_names() -> frozenset[str]:
    """Every framework that belongs to a group."""
    return frozenset().union(*groups())


def installed(name: str) -> bool:
    """Whether ``name`` can be imported, found without importing it (nor its parents)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or half-installed package
        return False


def clashing(only: Iterable[str] | None = None) -> frozenset[str]:
    """The wanted frameworks that would meet another member of their group if imported here."""
    wanted = None if only is None else set(only)
    found: set[str] = set()
    for group in groups():
        present = {n for n in group if (wanted is None or n in wanted) and installed(n)}
        if len(present) > 1:
            found |= present
    return frozenset(found)


def skipped_pairs(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(source, target, why)`` for each ordered pair of ``names`` that share a group."""
    names = sorted(set(names))
    found = []
    for a in names:
        for b in names:
            if a != b and any({a, b} <= g for g in groups()):
                first, second = sorted((a, b))  # one footnote for both directions
                found.append((a, b, f"{first} and {second} are never imported into one "
                              "process (importing them together crashes it), so their pairs "
                              "are not run; each is converted in its own process"))
    return found


def worker_argv(name: str, args: Any, names: list[str], out: str) -> list[str]:
    """The command line of the worker for ``name``: same settings, its pairs only."""
    return [sys.executable, "-m", "interop", "matrix", "--worker", name, "--json", out,
            "--dtype", args.dtype, "--shape", args.shape, "--budget", str(args.budget),
            "--threads", str(args.threads), "--only", ",".join([*names, name])]


def run_worker(name: str, args: Any, names: list[str]) -> tuple[list[dict[str, Any]], str]:
    """Run the worker for ``name`` with the shareable frameworks ``names``.

    Returns its rows (as the dicts ``--json`` writes) and, when it failed, why: its
    exit status or the signal that killed it.  Its progress and errors go to stderr.
    """
    with tempfile.TemporaryDirectory(prefix="interop-matrix-") as tmp:
        out = str(Path(tmp) / f"{name}.json")
        # stdout stays clean for the table (a framework may print on import); stderr shows
        # the worker's progress and, if it dies, why
        proc = subprocess.run(worker_argv(name, args, names, out), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, check=False)
        if proc.returncode not in (0, 1) or not Path(out).exists():
            return [], f"the {name} worker process {_death(proc.returncode)}"
        with open(out, encoding="utf-8") as handle:
            rows: list[dict[str, Any]] = json.load(handle)["rows"]
    return rows, ""


def _death(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code} (its message is above)"
