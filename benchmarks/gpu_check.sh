#!/usr/bin/env bash
# The GPU check, offline: install this checkout, check that every framework sees the GPU, run
# the GPU suite (every GPU-specific test and a sampled matrix) and the GPU benchmark, and write
# OUTDIR/summary.json and OUTDIR/summary.md (date, GPU, driver, versions, tests, benchmark).
#
#     bash benchmarks/gpu_check.sh OUTDIR
#
# Needs no package registry: the checkout is installed with --no-deps --no-build-isolation into
# the current Python (PYTHON, default python3), whose torch / cupy / jax are used as they are.
# Exit status: 0 all green; 1 a test or the benchmark failed; 2 usage or install error;
# 3 a framework sees no GPU (each one named, nothing else run).
# INTEROP_GPU_CHECK_NO_INSTALL=1 skips the install (the checkout is importable already);
# INTEROP_GPU_SAMPLE (default 400) is how many GPU matrix cases run.
set -u
out=${1:-}
if [[ -z "$out" ]]; then
    echo "usage: bash benchmarks/gpu_check.sh OUTDIR" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
mkdir -p "$out"
py=${PYTHON:-python3}
report() { "$py" benchmarks/gpu_report.py "$@"; }

if [[ "${INTEROP_GPU_CHECK_NO_INSTALL:-0}" != "1" ]]; then
    echo "== installing the checkout (no dependencies, no build isolation)"
    if ! "$py" -m pip install --no-deps --no-build-isolation -e . >"$out/install.log" 2>&1; then
        echo "install failed; see $out/install.log" >&2
        report summary "$out" --stage install
        exit 2
    fi
fi

echo "== does every framework see the GPU?"
report probe "$out/probe.json"
probe=$?
if [[ $probe -ne 0 ]]; then
    report summary "$out" --stage probe
    exit 3
fi

echo "== GPU suite"
INTEROP_GPU_SAMPLE=${INTEROP_GPU_SAMPLE:-400} timeout 420 "$py" -m pytest -m gpu -rs -q \
    -p no:cacheprovider -n "${INTEROP_GPU_WORKERS:-4}" --junitxml "$out/junit.xml" \
    tests >"$out/pytest.log" 2>&1
tests=$?
tail -n 40 "$out/pytest.log"

echo "== GPU benchmark"
timeout 240 "$py" benchmarks/gpu.py --json "$out/bench.json" >"$out/bench.log" 2>&1
bench=$?
cat "$out/bench.log"

report summary "$out" --stage done --tests-status "$tests" --bench-status "$bench"
[[ $tests -eq 0 && $bench -eq 0 ]] && exit 0 || exit 1
