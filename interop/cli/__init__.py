"""The ``interop`` command: ``info``, ``matrix`` and ``bench``.

``main(argv)`` returns the exit status: 0 on success, 1 when a conversion gave
wrong values, 2 for a mistake on the command line (a one-line message on
stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__, _errors
from . import _bench as _bench
from . import _info as _info
from . import _matrix as _matrix
from ._usage import UsageError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``interop`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="interop",
        description="See which array conversions are zero-copy, which copy and why, "
                    "and what each costs on this machine.")
    parser.add_argument("--version", action="version", version=f"interop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _info.add_parser(sub)
    _matrix.add_parser(sub)
    _bench.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or argparse's own usage error (code 2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    try:
        status: int = args.func(args)
    except (UsageError, _errors.UnknownFrameworkError) as exc:
        print(f"interop {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return status
