"""Concurrency, lifetime and reference counting."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import interop

from backends import CPU_BACKENDS, Backend, bits, make, missing_reason, read

PAIRS = [(s, t) for s in CPU_BACKENDS for t in CPU_BACKENDS
         if missing_reason(s) is None and missing_reason(t) is None]


def test_concurrent_conversions_all_pairs() -> None:
    if len(PAIRS) < 2:
        pytest.skip("only numpy is installed: no pairs to race")

    def work(seed: int) -> int:
        rng = np.random.default_rng(seed)
        done = 0
        for i in range(40):
            src, dst = PAIRS[(seed + i) % len(PAIRS)]
            values = rng.standard_normal((3, 5)).astype(np.float32)
            x = make(src, values)
            copy = (None, True, False)[i % 3]
            try:
                result = interop.to(x, dst.name, copy=copy)
            except interop.CopyRequiredError:
                continue  # copy=False where sharing is impossible: allowed
            assert bits(read(result)) == bits(values), (src, dst, copy)
            assert bits(read(x)) == bits(values)
            done += 1
        return done

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(work, range(8)))
    assert sum(counts) > 8 * 20


def test_concurrent_first_use_of_a_pair() -> None:
    """Many threads hitting a cold type/fast-route cache at once."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        a = np.full((4,), i, dtype=np.int32)
        barrier.wait()
        for _ in range(200):
            try:
                assert interop.to(a, "numpy") is a
                b = interop.to(a, "numpy", copy=True)
                assert b is not a and b.tolist() == [i] * 4
                assert interop.to([i, i], "numpy").tolist() == [i, i]
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_result_keeps_source_alive(cpu_backend: Backend, target: Backend) -> None:
    values = np.arange(1000, dtype=np.float32) * 0.5
    x = make(cpu_backend, values)
    result = interop.to(x, target.name)
    del x
    gc.collect()
    junk = [np.full(1000, -1.0, dtype=np.float32) for _ in range(50)]  # reuse freed memory
    assert bits(read(result)) == bits(values)
    del junk


def test_numpy_source_alive_through_torch_result() -> None:
    pytest.importorskip("torch")
    a = np.arange(10_000, dtype=np.int64)
    ref = weakref.ref(a)
    t = interop.to(a, "torch")
    del a
    gc.collect()
    assert ref() is not None, "the torch result must keep the numpy buffer alive"
    junk = [np.full(10_000, -1, dtype=np.int64) for _ in range(20)]
    assert t.sum().item() == sum(range(10_000))
    del junk, t
    gc.collect()
    assert ref() is None


def test_source_freed_after_result_dropped(cpu_backend: Backend) -> None:
    """weakref on the source's base ndarray: dropped once the result is dropped."""
    base = np.arange(64, dtype=np.float32)
    ref = weakref.ref(base)
    result = interop.to(base, cpu_backend.name)
    del base
    gc.collect()
    del result
    gc.collect()
    assert ref() is None, "the conversion leaked a reference to the source"


@pytest.mark.parametrize("copy", [None, True])
def test_no_reference_leak(backend: Backend, target: Backend, copy: bool | None) -> None:
    x = make(backend, np.arange(6, dtype=np.float32).reshape(2, 3))
    interop.to(x, target.name, copy=copy)  # warm caches
    gc.collect()
    before = sys.getrefcount(x)
    for _ in range(200):
        r = interop.to(x, target.name, copy=copy)
        del r
    gc.collect()
    assert sys.getrefcount(x) == before


def test_no_leak_through_protocols() -> None:
    import doubles

    a = np.arange(6, dtype=np.float32)
    gc.collect()
    before = sys.getrefcount(a)
    for _ in range(100):
        r = interop.to(doubles.DLPackOnly(a), "numpy")
        del r
        r = interop.to(a.__dlpack__(), "numpy")
        del r
        r = interop.to(doubles.LegacyProducer(a), "numpy")
        del r
    gc.collect()
    assert sys.getrefcount(a) == before
