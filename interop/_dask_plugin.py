"""The worker plugin that registers interop's chunk types on every distributed worker.

Kept apart from ``_dask_setup`` because it subclasses distributed's ``WorkerPlugin``
and so imports distributed, which only a client that already uses it loads.
"""

from __future__ import annotations

import importlib
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["InteropWorkerPlugin"]


class InteropWorkerPlugin(WorkerPlugin):  # type: ignore[misc]
    """Runs ``interop._dask_setup.register_local`` on each worker, present and future."""

    #: Registering it again (another conversion, another client) changes nothing.
    idempotent = True

    def __init__(self, packages: tuple[str, ...] = ()) -> None:
        #: Dask array packages besides ``dask.array`` (``"dask_array"``) to import and
        #: register in: a worker may not have imported one before it concatenates.
        self.packages = packages

    def setup(self, worker: Any) -> None:
        from ._dask_setup import register_local

        for package in self.packages:
            importlib.import_module(package)
        register_local()
