"""Output: rich tables and progress bars when rich is installed, plain aligned text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

__all__ = ["Progress", "have_rich", "print_table", "progress"]


def have_rich() -> bool:
    """True when rich can be imported (it is an optional extra: ``interop[cli]``)."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: Sequence[str] = (), file: TextIO | None = None) -> None:
    """Print ``rows`` under ``columns``; columns named in ``right`` are right-aligned."""
    out = file if file is not None else sys.stdout
    if have_rich():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for name in columns:
            table.add_column(name, justify="right" if name in right else "left",
                             overflow="fold")
        for row in rows:
            table.add_row(*row)
        Console(file=out, width=max(140, _terminal_width(out))).print(table)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if name in right else c.ljust(w)
                         for c, w, name in zip(cells, widths, columns, strict=True)).rstrip()

    print(title, file=out)
    print(line(columns), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print(line(row), file=out)


def _terminal_width(out: TextIO) -> int:
    import shutil

    return shutil.get_terminal_size((140, 24)).columns if out.isatty() else 140


class Progress(Protocol):
    """Advance a progress display by one step, naming what runs next."""

    def __call__(self, description: str) -> None: ...


@contextmanager
def progress(total: int, *, enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr (rich), or nothing when rich is missing or it is disabled."""
    if not (enabled and have_rich() and sys.stderr.isatty()):
        yield _quiet
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), transient=True)
    with bar:
        task = bar.add_task("starting", total=total)

        def advance(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield advance


def _quiet(description: str) -> None:
    del description


def fmt_us(seconds: float | None) -> str:
    """Seconds as microseconds with sensible precision."""
    if seconds is None:
        return "-"
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def jsonable(value: Any) -> Any:
    """Tuples to lists, recursively (json handles the rest)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
