"""Property: ``to_each`` keeps the structure of any tree and the bits of every array."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pytest

import interop

from backends import Backend, array_type, bits, read

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


class Pair(NamedTuple):
    first: Any
    second: str


ARRAYS = hnp.arrays(st.sampled_from([np.float32, np.int32, np.uint8, np.bool_]),
                    hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
LEAVES = st.one_of(ARRAYS, st.integers(), st.floats(), st.text(max_size=3), st.none(),
                   st.binary(max_size=3))
TREES = st.recursive(
    LEAVES,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.tuples(kids, kids),
                           st.builds(Pair, kids, st.text(max_size=2)),
                           st.dictionaries(st.text(max_size=2), kids, max_size=3)),
    max_leaves=8,
)


def assert_same_tree(out: Any, tree: Any, target: Backend) -> None:
    if isinstance(tree, np.ndarray):
        assert isinstance(out, array_type(target))
        assert tuple(out.shape) == tree.shape and bits(read(out)) == bits(tree)
    elif isinstance(tree, (list, tuple)):
        assert type(out) is type(tree) and len(out) == len(tree)
        for o, t in zip(out, tree, strict=True):
            assert_same_tree(o, t, target)
    elif isinstance(tree, dict):
        assert type(out) is dict and list(out) == list(tree)
        for key in tree:
            assert_same_tree(out[key], tree[key], target)
    else:
        assert out is tree


@pytest.mark.parametrize("name", ["numpy", "torch", "jax", "array_api_strict"])
def test_to_each_keeps_structure_and_values(name: str) -> None:
    pytest.importorskip(name)
    target = Backend(name)

    @settings(max_examples=60, deadline=None)
    @given(TREES)
    def check(tree: Any) -> None:
        assert_same_tree(interop.to_each(tree, name), tree, target)

    check()
