"""Where things are, for test modules at any depth under ``tests/``."""

from __future__ import annotations

from pathlib import Path

#: The ``tests/`` folder (support modules, scripts, the plugin package live here).
TESTS = Path(__file__).resolve().parent
#: The checkout.
ROOT = TESTS.parent
