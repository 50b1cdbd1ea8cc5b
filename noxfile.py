"""Sessions: tests (all frameworks), minimal (numpy only), lint, typecheck, dask, docs, bench,
gpu."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "minimal", "lint", "typecheck"]

PYTHON = "3.11"
CONSTRAINTS = ("-c", "constraints.txt")
FRAMEWORKS = ("torch==2.13.0", "jax[cpu]", "array-api-strict", "array-api-compat", "ml_dtypes")
TEST_TOOLS = ("pytest", "pytest-xdist", "hypothesis", "setuptools>=77")  # plugin, sdist builds
#: tests/tooling/test_typing.py runs mypy on tests/typing/check_types.py (it skips without them).
TYPING_TOOLS = ("mypy", "typing_extensions")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The full suite with every CPU framework installed, the typing check included.

    PyPI's torch wheel for Linux is the CUDA build (a few GB with its nvidia-* libraries);
    set PIP_INDEX_URL=https://download.pytorch.org/whl/cpu (and PIP_EXTRA_INDEX_URL to PyPI)
    for the CPU wheel.
    """
    session.install(*CONSTRAINTS, "-e", ".[cli]", *FRAMEWORKS, *TEST_TOOLS, *TYPING_TOOLS,
                    "matplotlib")
    session.run("pytest", "-n", "2", *session.posargs,
                env={"INTEROP_EXPECT_BACKENDS": "numpy,torch,jax,array_api_strict,ml_dtypes",
                     "INTEROP_EXPECT_SPEEDUPS": "1"})


@nox.session(python=PYTHON)
def minimal(session: nox.Session) -> None:
    """NumPy alone: framework tests skip, asking for torch raises UnknownFrameworkError."""
    session.install(*CONSTRAINTS, "-e", ".", *TEST_TOOLS)
    session.run("pytest", "-n", "2", *session.posargs, env={"INTEROP_EXPECT_BACKENDS": "numpy"})


#: Besides interop's [dask] extra: the separate dask-array package, whose arrays interop serves.
DASK_EXTRAS = ("dask-array==0.7.1",)


@nox.session(python=PYTHON)
def dask(session: nox.Session) -> None:
    """Dask arrays on a real dask.distributed LocalCluster, for dask.array and the separate
    dask-array package (tests/features/test_dask*.py); a few seconds more to install."""
    session.install(*CONSTRAINTS, "-e", ".[dask]", *DASK_EXTRAS, *FRAMEWORKS, *TEST_TOOLS)
    session.run("pytest", "tests/features/test_dask.py", "tests/features/test_dask_array.py",
                "tests/features/test_dask_serialize.py", *session.posargs)


#: Frameworks that must never share a process: importing tensorflow, then paddle, segfaults.
TF_FRAMEWORKS = ("torch==2.13.0", "ml_dtypes", "tensorflow-cpu==2.21.*", "mlx", "mlx-cpu==0.32.4",
                 "pandas", "xarray", "pillow")
PADDLE_FRAMEWORKS = ("torch==2.13.0", "ml_dtypes", "paddlepaddle==3.3.1")


@nox.session(python=PYTHON)
def tensorflow(session: nox.Session) -> None:
    """TensorFlow, MLX and the named sources (pandas, xarray, PIL), in their own venv."""
    session.install(*CONSTRAINTS, "-e", ".", *TF_FRAMEWORKS, *TEST_TOOLS)
    session.run("pytest", "-n", "2", "tests/features/test_tensorflow.py",
                "tests/features/test_mlx.py",
                "tests/features/test_named_sources.py", "tests/features/test_explain_text.py",
                "tests/tooling/test_matrix_apart.py", "tests/tooling/test_semantics_more.py",
                *session.posargs)


@nox.session(python=PYTHON)
def paddle(session: nox.Session) -> None:
    """PaddlePaddle in its own venv and process (never beside tensorflow)."""
    session.install(*CONSTRAINTS, "-e", ".", *PADDLE_FRAMEWORKS, *TEST_TOOLS)
    session.run("pytest", "-n", "2", "tests/features/test_paddle.py",
                "tests/tooling/test_matrix_apart.py", "tests/tooling/test_semantics_more.py",
                *session.posargs)


@nox.session(python=False)
def gpu(session: nox.Session) -> None:
    """The GPU check in the current Python, offline (``bash benchmarks/gpu_check.sh``).

    A lent GPU machine reaches no registry: its torch, cupy and jax are used as installed.
    ``nox -s gpu -- OUTDIR`` (default ``bench-results/gpu``).
    """
    out = session.posargs[0] if session.posargs else "bench-results/gpu"
    session.run("bash", "benchmarks/gpu_check.sh", out, external=True)


@nox.session(python=PYTHON)
def gpu_online(session: nox.Session) -> None:
    """The GPU check in a fresh venv with CUDA 13 builds from PyPI (machines with a registry)."""
    gpu_frameworks = [f.replace("jax[cpu]", "jax[cuda13]").replace("torch==2.13.0", "torch")
                      for f in FRAMEWORKS]
    session.install("-e", ".[cli]", *gpu_frameworks, "cupy-cuda13x", *TEST_TOOLS)
    session.run("bash", "benchmarks/gpu_check.sh", "bench-results/gpu", external=True,
                env={"PYTHON": "python", "INTEROP_GPU_CHECK_NO_INSTALL": "1"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "interop", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "mypy", "numpy", "-e", ".")
    session.run("mypy", "interop")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed tables (benchmarks/speed.py, overhead.py, interop bench), JSON in bench-results/.

    ``nox -s bench -- --instructions`` adds callgrind instruction counts per call
    (benchmarks/instructions.py; needs valgrind, takes a few minutes).
    """
    session.install(*CONSTRAINTS, "-e", ".[cli]", *FRAMEWORKS)
    stamp = session.run("python", "-c", "import time; print(time.strftime('%Y%m%d-%H%M%S'))",
                        silent=True)
    stamp = (stamp or "latest").strip()
    counts = "--instructions" in session.posargs
    session.run("python", "benchmarks/speed.py", "--json", f"bench-results/speed-{stamp}.json")
    session.run("python", "benchmarks/overhead.py", "--json",
                f"bench-results/overhead-{stamp}.json",
                *(a for a in session.posargs if a != "--instructions"))
    session.run("python", "benchmarks/gpu_host_costs.py", "--json",
                f"bench-results/gpu-host-costs-{stamp}.json")
    if counts:
        session.run("python", "benchmarks/instructions.py", "--json",
                    f"bench-results/instructions-{stamp}.json")
    session.run("interop", "bench", "--json", f"bench-results/bench-{stamp}.json")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors."""
    session.install(*CONSTRAINTS, "-e", ".[cli]", "sphinx", "myst-parser", "furo")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")
