"""The layout facts every stage reads (``interop._layout``), against NumPy's own view of them.

``layout_bits`` decides the C-ordered case in one pass before the general check; these
properties pin both paths to one definition, over random shapes, slices and transposes.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from interop._layout import NEGATIVE, NONCOMPACT, ODD, is_compact, layout_bits


def _reference(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> int:
    """The definition, written out without any fast path."""
    if 0 in shape:
        return 0
    bits = 0
    for size, stride in zip(shape, strides, strict=True):
        if size != 1 and stride < 0:
            bits |= NEGATIVE
        if size != 1 and itemsize and stride % itemsize:
            bits |= ODD
    return bits | (0 if is_compact(shape, strides, itemsize) else NONCOMPACT)


@st.composite
def _views(draw: st.DrawFn) -> np.ndarray:
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    base = np.arange(int(np.prod(shape)) if shape else 1, dtype=draw(
        st.sampled_from(["int8", "float32", "complex128"]))).reshape(shape)
    for axis in range(base.ndim):
        step = draw(st.sampled_from([1, 1, 2, -1, -2]))
        index = [slice(None)] * base.ndim
        index[axis] = slice(None, None, step)
        base = base[tuple(index)]
    if base.ndim > 1 and draw(st.booleans()):
        base = base.transpose(draw(st.permutations(range(base.ndim))))
    return base


@settings(max_examples=300, deadline=None)
@given(_views())
def test_layout_bits_match_the_definition(view: np.ndarray) -> None:
    bits = layout_bits(view.shape, view.strides, view.itemsize)
    assert bits == _reference(view.shape, view.strides, view.itemsize)
    if view.flags.c_contiguous or view.flags.f_contiguous:
        assert bits == 0, (view.shape, view.strides)


def test_a_structured_field_has_odd_strides() -> None:
    record = np.zeros(4, dtype=[("a", "u1"), ("b", "<i4")])
    field = record["b"]
    assert layout_bits(field.shape, field.strides, field.itemsize) == ODD | NONCOMPACT


def test_negative_and_gapped_layouts() -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert layout_bits(a[::-1].shape, a[::-1].strides, 4) == NEGATIVE
    assert layout_bits(a[:, ::2].shape, a[:, ::2].strides, 4) == NONCOMPACT
    assert layout_bits(a.T.shape, a.T.strides, 4) == 0  # a permutation is compact
