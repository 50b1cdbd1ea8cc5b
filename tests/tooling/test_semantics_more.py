"""The TensorFlow, MLX and Paddle parts of docs/semantics.md are current.

``docs/gen_semantics.py`` makes each framework's rows and format column in a process of
its own (TensorFlow and Paddle crash one process together).  Where a framework is not
installed it keeps the page's rows, so the default session cannot check them: this module
does, in the nox session that installs the framework (it needs neither JAX nor
array-api-strict, which those sessions lack).
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from paths import ROOT

PAGE = ROOT / "docs" / "semantics.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_semantics",
                                                  ROOT / "docs" / "gen_semantics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["tensorflow", "mlx", "paddle"])
def test_framework_rows_and_column_are_current(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed here (its nox session checks its rows)")
    pytest.importorskip("torch")  # its rows convert to torch
    gen = generator()
    made = gen._run_part(name)  # in a process of its own, as the generator does
    kept = gen.kept_part(name, PAGE.read_text(encoding="utf-8"))
    assert made["rows"] == kept["rows"], \
        f"docs/semantics.md's {name} rows are stale: run docs/gen_semantics.py beside {name}"
    assert made["formats"] == kept["formats"], f"docs/semantics.md's {name} column is stale"


def test_absent_framework_keeps_the_page_or_says_where_to_generate() -> None:
    gen = generator()
    page = PAGE.read_text(encoding="utf-8")
    kept = gen.kept_part("paddle", page)
    assert len(kept["rows"]) == len(gen.MORE_CASES["paddle"])
    assert kept["formats"]["uint16"] == "no"  # Paddle reads uint16 as bfloat16: refused
    assert kept["formats"]["float8_e4m3fn"] == "yes"
    without = page.replace("| Paddle tensor | torch |", "| Paddle tensor | jax |")
    with pytest.raises(RuntimeError, match="where paddle is installed"):
        gen.kept_part("paddle", without)


def test_the_generator_imports_none_of_them_itself() -> None:
    """Reading the module and the page imports no framework of the three."""
    import subprocess
    import sys

    path = str(ROOT / "docs" / "gen_semantics.py")
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('g', {path!r})\n"
            "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
            "page = g.DOC.read_text()\n"
            "g.kept_part('tensorflow', page); g.kept_part('paddle', page)\n"
            "assert not {'tensorflow', 'paddle', 'mlx'} & set(sys.modules), sys.modules.keys()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
