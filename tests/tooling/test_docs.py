"""Every ```python block of docs/*.md and README.md runs, page by page, in a fresh namespace."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from paths import ROOT

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", re.MULTILINE)
#: A framework named as a conversion target: interop.to(x, "torch").
TARGET = re.compile(r"""["'](torch|jax|cupy|array_api_strict)["']""")
FRAMEWORKS = ("torch", "jax", "cupy", "array_api_strict", "ml_dtypes")


def blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8")) if page.exists() else []


def missing_frameworks(code: str) -> list[str]:
    needed = {m for m in IMPORT.findall(code) if m in FRAMEWORKS} | set(TARGET.findall(code))
    missing = sorted(m for m in needed if importlib.util.find_spec(m) is None)
    if "cupy" in needed and "cupy" not in missing and not _cuda_usable():
        missing.append("a CUDA device usable by cupy")
    return missing


def _cuda_usable() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return False


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = blocks(page)
    missing = missing_frameworks("\n".join(code))
    if missing:
        pytest.skip(f"{page.name} needs {', '.join(missing)}, which is not available here")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, block in enumerate(code, 1):
        exec(compile(block, f"{page.name}[block {number}]", "exec", dont_inherit=True), namespace)


def test_docs_have_examples() -> None:
    for name in ("quickstart", "coming-from-numpy", "semantics", "troubleshooting"):
        assert blocks(ROOT / "docs" / f"{name}.md"), name


def test_semantics_table_is_current() -> None:
    for name in ("torch", "jax", "array_api_strict"):
        pytest.importorskip(name)
    spec = importlib.util.spec_from_file_location("gen_semantics",
                                                  ROOT / "docs" / "gen_semantics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    current = text.split("<!-- table:start -->\n")[1].split("<!-- table:end -->")[0]
    assert current.strip() == module.table().strip(), \
        "docs/semantics.md is stale: python docs/gen_semantics.py, then paste the table"
    formats = text.split("<!-- dtypes:start -->\n")[1].split("<!-- dtypes:end -->")[0]
    assert formats.strip() == module.dtype_table().strip(), \
        "docs/semantics.md's format table is stale: python docs/gen_semantics.py"


def test_coming_from_numpy_covers_every_recipe() -> None:
    text = (ROOT / "docs" / "coming-from-numpy.md").read_text(encoding="utf-8")
    for recipe in (".numpy()", "torch.from_numpy", "torch.tensor", "torch.Tensor",
                   ".clone().numpy()", ".cpu().numpy()", ".detach().numpy()",
                   "can't convert", "batch", "Timing", "Read-only", "Negative-bit",
                   "Gradients", "Layouts", "Streams"):
        assert recipe.lower() in text.lower(), recipe
