"""``import interop`` imports no framework, and a missing framework gives an install hint."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False)


def test_import_interop_imports_no_framework() -> None:
    proc = _run("""
        import sys
        import interop
        heavy = ("torch", "jax", "jaxlib", "cupy", "array_api_strict", "ml_dtypes")
        loaded = [m for m in heavy if m in sys.modules]
        assert not loaded, loaded
        import numpy as np
        interop.to(np.zeros(2), "numpy")
        interop.to([1, 2], "numpy")
        interop.explain(np.zeros(2), "numpy")
        loaded = [m for m in heavy if m in sys.modules]
        assert not loaded, f"numpy-only work imported {loaded}"
        print("ok")
    """)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok" in proc.stdout


def test_blocked_torch_gives_install_hint() -> None:
    proc = _run("""
        import sys
        sys.modules["torch"] = None  # as if torch were not installed
        import numpy as np
        import interop
        try:
            interop.to(np.zeros(2), "torch")
        except interop.UnknownFrameworkError as e:
            assert "pip install torch" in str(e), str(e)
            assert isinstance(e, ValueError)
            print("ok")
        else:
            raise SystemExit("no error")
    """)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok" in proc.stdout


def test_blocked_jax_gives_install_hint() -> None:
    proc = _run("""
        import sys
        sys.modules["jax"] = None
        import numpy as np
        import interop
        try:
            interop.to(np.zeros(2), "jax")
        except interop.UnknownFrameworkError as e:
            assert "pip install" in str(e) and "jax" in str(e), str(e)
            print("ok")
    """)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok" in proc.stdout
