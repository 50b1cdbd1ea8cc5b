"""A remembered route gives exactly what the planner gives, for every value met after it.

Each input family runs in a fresh process (route caches empty), with the C fast path and
without it (``INTEROP_NO_SPEEDUPS=1``); see ``differential_cases.py`` for what is compared.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from differential_cases import FAMILIES
from paths import TESTS

SCRIPT = TESTS / "differential_cases.py"


def _run(family: str, *, speedups: bool,
         debug_malloc: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("INTEROP_NO_SPEEDUPS", None)
    if not speedups:
        env["INTEROP_NO_SPEEDUPS"] = "1"
    if debug_malloc:
        env["PYTHONMALLOC"] = "debug"
    return subprocess.run([sys.executable, str(SCRIPT), family], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


@pytest.mark.parametrize("speedups", [True, False], ids=["c", "python"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_cache_equals_plan(family: str, speedups: bool) -> None:
    module = FAMILIES[family][0]
    pytest.importorskip(module, reason=f"the {family} family needs {module}")
    done = _run(family, speedups=speedups)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]


def test_cache_equals_plan_under_debug_allocator() -> None:
    """The C dispatcher's reference handling, checked by CPython's debug allocator."""
    pytest.importorskip("torch")
    done = _run("numpy", speedups=True, debug_malloc=True)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
