"""Printed output shown in the docs is what the examples print.

Convention: a ```text block right after ``<!-- output -->`` shows what the ```python
block before it prints.  The blocks of a page run in order in one namespace (as
``tests/tooling/test_docs.py`` runs them); each shown output is compared with the printed one
the way doctest compares (``...`` stands for any text, runs of whitespace are one space),
so a page may elide what is allowed to change.  Every ``<!-- output -->`` must follow a
block that prints.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

from test_docs import PAGES, ROOT, missing_frameworks

#: A python block, optionally followed by the output block it prints.
PAIR = re.compile(r"^```python[^\n]*\n(?P<code>.*?)^```\n"
                  r"(?:\s*<!-- output -->\s*\n```text\n(?P<out>.*?)^```)?",
                  re.MULTILINE | re.DOTALL)
MARKER = "<!-- output -->"
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def pairs(page: Path) -> list[tuple[str, str | None]]:
    text = page.read_text(encoding="utf-8")
    return [(m["code"], m["out"]) for m in PAIR.finditer(text)]


def pages_with_output() -> list[Path]:
    return [p for p in PAGES if p.exists() and MARKER in p.read_text(encoding="utf-8")]


def test_every_output_marker_follows_a_python_block() -> None:
    for page in pages_with_output():
        shown = sum(out is not None for _, out in pairs(page))
        assert shown == page.read_text(encoding="utf-8").count(MARKER), page.name


@pytest.mark.parametrize("page", pages_with_output(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shown_output_is_printed(page: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = pairs(page)
    missing = missing_frameworks("\n".join(code for code, _ in blocks))
    if missing:
        pytest.skip(f"{page.name} needs {', '.join(missing)}, which is not available here")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"doc_outputs_{page.stem.replace('-', '_')}"}
    for number, (code, shown) in enumerate(blocks, 1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{page.name}[block {number}]", "exec", dont_inherit=True),
                 namespace)
        if shown is not None:
            assert CHECKER.check_output(shown, printed.getvalue(), FLAGS), (
                f"{page.name} block {number} shows\n{shown}\nbut prints\n{printed.getvalue()}")
