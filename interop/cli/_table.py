"""Output that fits the terminal: rich tables when rich is installed, wrapped plain text otherwise.

A table is laid out for the real width (``COLUMNS``, else the terminal, else 100
columns).  Optional columns are dropped, lowest priority first, until the natural widths
fit, and named in a footnote; what still does not fit wraps at word boundaries (a word
is broken only when it alone is wider than its column).  Both renderers make the same
choice of columns, so plain text and rich say the same things.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

__all__ = ["Column", "Progress", "fmt_bytes", "fmt_ratio", "fmt_spread", "fmt_us", "have_rich",
           "jsonable", "micro", "print_lines", "print_table", "progress", "terminal_width"]

#: Width when neither COLUMNS nor a terminal says (output piped to a file).
DEFAULT_WIDTH = 100
#: Spaces between two columns, in both renderers.
GAP = 2


def have_rich() -> bool:
    """True when rich can be imported (it is an optional extra: ``interop-arrays[cli]``)."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; ``drop > 0`` marks it optional (the highest ``drop`` goes first)."""

    name: str
    right: bool = False
    drop: int = 0


def terminal_width(out: TextIO | None = None) -> int:
    """``COLUMNS`` when set, else the width of the terminal behind ``out`` or stderr."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    for stream in (out, sys.stderr):
        try:
            if stream is not None and stream.isatty():
                return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            continue
    return DEFAULT_WIDTH


def micro(out: TextIO | None = None) -> str:
    """``µs`` where the output can encode it, ``us`` otherwise."""
    encoding = getattr(out if out is not None else sys.stdout, "encoding", None) or "ascii"
    try:
        "µ".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "us"
    return "µs"


def _natural(column: Column, rows: Sequence[Sequence[str]], i: int) -> int:
    return max([len(column.name), *(len(r[i]) for r in rows)])


def _longest_word(column: Column, rows: Sequence[Sequence[str]], i: int) -> int:
    words = [w for text in (column.name, *(r[i] for r in rows)) for w in text.split()]
    return max((len(w) for w in words), default=1)


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
                ) -> list[int]:
    """Indices of the columns to show: optional ones go until the natural widths fit."""
    keep = list(range(len(columns)))

    def total() -> int:
        return sum(_natural(columns[i], rows, i) for i in keep) + GAP * (len(keep) - 1)

    while total() > width:
        optional = [i for i in keep if columns[i].drop]
        if not optional:
            break
        keep.remove(max(optional, key=lambda i: (columns[i].drop, i)))
    return keep


def print_table(title: str, columns: Sequence[Column | str], rows: Sequence[Sequence[str]], *,
                notes: Sequence[str] = (), file: TextIO | None = None,
                width: int | None = None) -> None:
    """Print ``title``, the table fitted to ``width``, then ``notes`` (wrapped lines)."""
    out = file if file is not None else sys.stdout
    width = width or terminal_width(out)
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    keep = fit_columns(cols, rows, width)
    shown = [cols[i] for i in keep]
    cells = [[row[i] for i in keep] for row in rows]
    dropped = [c.name for i, c in enumerate(cols) if i not in keep]
    if dropped:
        notes = [*notes, f"Left out to fit {width} columns: {', '.join(dropped)} (widen the "
                 "terminal or set COLUMNS; --json records every field)."]
    widths = column_widths(shown, cells, width)
    if have_rich():
        _rich_table(title, shown, cells, notes, out=out, widths=widths, width=width)
    else:
        print_lines([title], out, width)
        for line in plain_table(shown, cells, width, widths):
            print(line, file=out)
        print_lines(notes, out, width)


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
                  ) -> list[int]:
    """Content widths that fit ``width``: the widest columns narrowed first, to word size.

    rich's own shrinking folds the widest column mid-word (``array_api_stri``/``ct``)
    while other cells could wrap at a space; both renderers use these widths instead.
    """
    return _shrink([_natural(c, rows, i) for i, c in enumerate(columns)],
                   [_longest_word(c, rows, i) for i, c in enumerate(columns)],
                   width - GAP * (len(columns) - 1))


def print_lines(lines: Sequence[str], out: TextIO, width: int) -> None:
    """Paragraphs wrapped to ``width``; continuation lines are indented by two spaces."""
    for text in lines:
        print(textwrap.fill(text, width, subsequent_indent="  ", break_on_hyphens=False),
              file=out)


def _rich_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                notes: Sequence[str], *, out: TextIO, widths: Sequence[int], width: int) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0, 0, 1),
                  header_style="bold")
    for col, w in zip(columns, widths, strict=True):
        table.add_column(col.name, justify="right" if col.right else "left", overflow="fold",
                         width=w)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # cells are data, not markup
    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    console.print(Text(title, style="bold"))
    console.print(table)
    for note in notes:
        console.print(Text(note))


def plain_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int,
                widths: Sequence[int] | None = None) -> list[str]:
    """The table as lines no wider than ``width`` (unless one word alone is wider)."""
    if widths is None:
        widths = column_widths(columns, rows, width)
    lines = _plain_row([c.name for c in columns], columns, widths)
    lines.append((" " * GAP).join("-" * w for w in widths))
    for row in rows:
        lines.extend(_plain_row(row, columns, widths))
    return lines


def _shrink(natural: list[int], minimum: list[int], room: int) -> list[int]:
    """Narrow the widest columns first, never below their longest word, to fit ``room``."""
    widths = list(natural)
    while sum(widths) > room:
        wide = [i for i, w in enumerate(widths) if w > minimum[i]]
        if not wide:
            # Even the longest words do not fit: break words in the widest column.
            widest = max(range(len(widths)), key=widths.__getitem__)
            if widths[widest] <= 4:
                break
            minimum[widest] = widths[widest] - 1
            continue
        widest = max(wide, key=widths.__getitem__)
        widths[widest] -= 1
    return widths


def _plain_row(cells: Sequence[str], columns: Sequence[Column], widths: Sequence[int]
               ) -> list[str]:
    wrapped = [textwrap.wrap(cell, w, break_on_hyphens=False) or [""]
               for cell, w in zip(cells, widths, strict=True)]
    height = max(len(parts) for parts in wrapped)
    lines = []
    for k in range(height):
        parts = [p[k] if k < len(p) else "" for p in wrapped]
        line = (" " * GAP).join(
            part.rjust(w) if col.right else part.ljust(w)
            for part, w, col in zip(parts, widths, columns, strict=True))
        lines.append(line.rstrip())
    return lines


class Progress(Protocol):
    """Advance a progress display by one step, naming what runs next."""

    def __call__(self, description: str) -> None: ...


@contextmanager
def progress(total: int, *, enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on a terminal; otherwise one line per step on stderr.

    Without rich the user would otherwise wait many seconds in silence.
    """
    if not enabled:
        yield _quiet
        return
    if not (have_rich() and sys.stderr.isatty()):
        yield _LineProgress(total)
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


class _LineProgress:
    """``[3/20] numpy -> torch`` on stderr, one line per step."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def __call__(self, description: str) -> None:
        self.done += 1
        width = len(str(self.total))
        print(f"[{self.done:>{width}}/{self.total}] {description}", file=sys.stderr,
              flush=True)


def _quiet(description: str) -> None:
    del description


def fmt_us(seconds: float | None) -> str:
    """Seconds as microseconds with sensible precision."""
    if seconds is None:
        return "-"
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def fmt_spread(median: float | None, iqr: float | None) -> str:
    """``median ±p%``: p is half the interquartile range of the timing batches."""
    if median is None:
        return "-"
    if not iqr or median <= 0:
        return fmt_us(median)
    percent = 50 * iqr / median
    return f"{fmt_us(median)} ±{percent:.0f}%" if percent >= 1 else f"{fmt_us(median)} ±<1%"


def fmt_bytes(n: int) -> str:
    """A size in B, kB, MB or GB (decimal units, as throughput in GB/s is)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def fmt_ratio(value: float | None) -> str:
    """A time ratio; ``-`` when there is none; never a misleading ``0.00x``."""
    if value is None:
        return "-"
    if value < 0.01:
        return "<0.01x"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def jsonable(value: Any) -> Any:
    """Tuples to lists, recursively (json handles the rest)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
