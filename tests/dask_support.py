"""Shared by the Dask test modules: running a script in a new client process.

A new interpreter is a client that has never seen interop's Dask registrations, so
what such a script checks is that a fresh cluster needs no call before ``compute``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from paths import ROOT

#: The imports and source array every fresh-cluster script starts with.
FRESH_SETUP = """
import numpy as np, ml_dtypes, dask.array as da, torch, distributed, interop
from distributed import Client, LocalCluster
src = np.arange(48, dtype=np.float32).reshape(6, 8) - 20.5
"""


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter with the checkout importable; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout
