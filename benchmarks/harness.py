"""The benchmark harness: one implementation, shared with ``interop matrix`` and ``interop bench``.

Calls compared are timed in alternating short batches in one process
(``compare``), reported as medians with their interquartile range (``Stats``);
``pin_threads`` fixes the thread pools and ``environment`` records what the
numbers depend on.  See ``interop/cli/_timing.py``.
"""

from __future__ import annotations

from interop.cli._timing import Stats, compare, cpu_name, environment, pin_threads

__all__ = ["Stats", "compare", "cpu_name", "environment", "pin_threads"]
