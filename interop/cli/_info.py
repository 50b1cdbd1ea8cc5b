"""``interop info``: the interpreter, interop, every known framework and the GPUs."""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
from importlib import metadata
from typing import Any

import interop

from ._table import print_table

__all__ = ["add_parser", "frameworks", "gpus", "run"]

#: Distributions that provide a framework, tried in order (cupy ships under several names).
DISTRIBUTIONS = {
    "numpy": ("numpy",), "torch": ("torch",), "jax": ("jax",),
    "cupy": ("cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x", "cupy"),
    "array_api_strict": ("array-api-strict",), "ml_dtypes": ("ml_dtypes", "ml-dtypes"),
    "array_api_compat": ("array-api-compat",), "rich": ("rich",), "matplotlib": ("matplotlib",),
}
EXTRAS = ("ml_dtypes", "array_api_compat", "rich", "matplotlib")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="show Python, interop, frameworks and GPUs",
                       description="Show the Python and interop versions, every framework "
                       "interop knows (installed or not, with its version) and the GPUs "
                       "visible to the installed frameworks.")
    p.set_defaults(func=run)


def version_of(name: str) -> str | None:
    """The installed version of framework ``name``, read from metadata (no import)."""
    for dist in DISTRIBUTIONS.get(name, (name, name.replace("_", "-"))):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    if importlib.util.find_spec(name) is not None:
        return "installed (version unknown)"
    return None


def frameworks() -> list[tuple[str, str | None, str]]:
    """``(name, version or None, role)`` for every registry entry, then the optional extras."""
    found = []
    for name, entry in interop.registry().items():
        role = "framework" if entry.builtin else f"plugin ({entry.path})"
        found.append((name, _probe(name), role))
    found.extend((name, _probe(name), "extra") for name in EXTRAS)
    return found


def _probe(name: str) -> str | None:
    try:
        return version_of(name)
    except (ValueError, ImportError):  # a blocked or broken module
        return None


def gpus() -> list[tuple[str, str, str]]:
    """``(framework, device, memory)`` for each GPU seen by torch or cupy, when installed."""
    found: list[tuple[str, str, str]] = []
    if _probe("torch") is not None:
        found.extend(_torch_gpus())
    if _probe("cupy") is not None:
        found.extend(_cupy_gpus())
    return found


def _torch_gpus() -> list[tuple[str, str, str]]:
    try:
        import torch

        if not torch.cuda.is_available():
            return []
        return [("torch", f"cuda:{i} {torch.cuda.get_device_name(i)}",
                 _gib(torch.cuda.get_device_properties(i).total_memory))
                for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken driver must not break `info`
        return []


def _cupy_gpus() -> list[tuple[str, str, str]]:
    try:
        import cupy

        found = []
        for i in range(cupy.cuda.runtime.getDeviceCount()):
            props = cupy.cuda.runtime.getDeviceProperties(i)
            name = props["name"]
            label = name.decode() if isinstance(name, bytes) else str(name)
            found.append(("cupy", f"cuda:{i} {label}", _gib(props["totalGlobalMem"])))
        return found
    except Exception:  # noqa: BLE001 - no driver or no device
        return []


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def run(args: argparse.Namespace) -> int:
    del args
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"interop {interop.__version__}")
    print(f"platform {platform.platform()}")
    rows = [[name, version or "not installed", role] for name, version, role in frameworks()]
    print_table("Frameworks", ["name", "version", "role"], rows)
    devices = gpus()
    if devices:
        print_table("GPUs", ["seen by", "device", "memory"], [list(d) for d in devices])
    else:
        print("GPUs: none visible (CPU only)")
    return 0
