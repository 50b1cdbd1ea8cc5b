"""Whether the optional C extension is used: built, importable, and not switched off.

A leaf: it reads ``INTEROP_NO_SPEEDUPS`` once, at import, so that every module
that has a C variant (the dispatcher, the remembered-route entries, the NumPy
writability guard, the DLPack C exchange routes) makes the same choice.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["REASON", "exchange", "speedups"]

#: Why the C path is off, or ``None`` when it is on.
REASON: str | None = None
#: ``interop._speedups`` when the C path is on, else ``None``.
speedups: ModuleType | None = None
#: ``interop._exchange`` (routes through the DLPack C exchange API) when the C path is on.
exchange: ModuleType | None = None

if os.environ.get("INTEROP_NO_SPEEDUPS", "").strip() not in ("", "0"):
    REASON = "switched off by INTEROP_NO_SPEEDUPS=1"
else:
    try:
        from . import _speedups as speedups
    except ImportError as exc:
        REASON = (f"pure Python; the C extension is not built or does not import ({exc}); "
                  "install a C compiler and reinstall interop")
    else:
        try:
            from . import _exchange as _c_exchange
        except ImportError:  # built without it: the Python-level native calls serve instead
            exchange = None
        else:
            exchange = _c_exchange
