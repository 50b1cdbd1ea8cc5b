"""The benchmark harness: one implementation, shared with ``interop matrix`` and ``interop bench``.

Calls compared are timed in alternating short batches in one process
(``compare``), reported as medians with their interquartile range (``Stats``);
``pin_threads`` fixes the thread pools and ``environment`` records what the
numbers depend on.  See ``interop/cli/_timing.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interop.cli._timing import Stats, compare, cpu_name, environment, pin_threads

__all__ = ["Stats", "compare", "cpu_name", "environment", "pin_threads", "write_json"]


def write_json(path: str, **payload: Any) -> None:
    """The results and the environment they depend on, as one JSON file at ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"environment": environment(), **payload}, indent=2),
                   encoding="utf-8")
