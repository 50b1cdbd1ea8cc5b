"""``like``, ``to_each``, ``via`` and ``is_array`` over every installed framework pair."""

from __future__ import annotations

import collections
import dataclasses
import inspect
from typing import Any, NamedTuple

import numpy as np
import pytest

import interop
from interop import _tree

from backends import Backend, array_type, bits, make, read

VALUES = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


class Pair(NamedTuple):
    weight: Any
    label: str


@dataclasses.dataclass(frozen=True)
class Batch:
    x: Any
    name: str = "batch"
    cached: Any = dataclasses.field(init=False, default=None)


@dataclasses.dataclass
class Counted:
    x: Any
    calls: int = 0

    def __post_init__(self) -> None:
        self.calls += 1


def assert_leaf(result: Any, expected: np.ndarray, target: Backend) -> None:
    assert isinstance(result, array_type(target)), type(result)
    assert bits(read(result)) == bits(expected)


# -- is_array -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 1.5, 2j, True, None, "s", b"b", bytearray(b"b"),
                                   memoryview(b"m"), [1.0], (1.0,), {"a": 1}, object()])
def test_non_arrays(value: object) -> None:
    assert not interop.is_array(value)


def test_arrays(backend: Backend) -> None:
    assert interop.is_array(make(backend, VALUES))


def test_numpy_scalars_are_arrays() -> None:
    assert interop.is_array(np.float64(1.0))  # although np.float64 subclasses float
    assert interop.is_array(np.int8(3))


# -- like -----------------------------------------------------------------------------------

def test_like_every_pair(backend: Backend, target: Backend) -> None:
    ref = make(target, np.zeros(1, np.float32))
    out = interop.like(make(backend, VALUES), ref)
    assert_leaf(out, VALUES, target)
    assert interop.device(out) == interop.device(ref)


def test_like_shares_when_it_can() -> None:
    torch = pytest.importorskip("torch")
    t = torch.ones(3)
    out = interop.like(t, np.zeros(1))
    assert interop.shares_memory(out, t)
    assert not interop.shares_memory(interop.like(t, np.zeros(1), copy=True), t)


def test_like_accepts_python_values() -> None:
    out = interop.like([1.0, 2.0], np.zeros(1, np.float32))
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("ref", [[1.0], 1.0, "numpy", None])
def test_like_needs_an_array_ref(ref: object) -> None:
    with pytest.raises(interop.NotAnArrayError, match="like"):
        interop.like(np.ones(2), ref)


# -- to_each --------------------------------------------------------------------------------

def sample_tree(backend: Backend) -> Any:
    def a() -> Any:
        return make(backend, VALUES)

    marker = object()
    return {
        "list": [a(), 1, "text", None, (a(), b"raw")],
        "pair": Pair(a(), "w"),
        "batch": Batch(a()),
        "ordered": collections.OrderedDict([("z", a()), ("a", 2.5)]),
        "default": collections.defaultdict(list, {"k": [a()]}),
        "object": marker,
    }


def test_to_each_every_pair(backend: Backend, target: Backend) -> None:
    tree = sample_tree(backend)
    out = interop.to_each(tree, target.name)
    assert list(out) == list(tree)
    assert_leaf(out["list"][0], VALUES, target)
    assert out["list"][1:4] == [1, "text", None]
    assert_leaf(out["list"][4][0], VALUES, target)
    assert out["list"][4][1] is tree["list"][4][1]
    assert type(out["pair"]) is Pair and out["pair"].label == "w"
    assert_leaf(out["pair"].weight, VALUES, target)
    assert type(out["batch"]) is Batch and out["batch"].name == "batch"
    assert_leaf(out["batch"].x, VALUES, target)
    assert type(out["ordered"]) is collections.OrderedDict and list(out["ordered"]) == ["z", "a"]
    assert_leaf(out["ordered"]["z"], VALUES, target)
    assert type(out["default"]) is collections.defaultdict
    assert out["default"].default_factory is list
    assert_leaf(out["default"]["k"][0], VALUES, target)
    assert out["object"] is tree["object"]


def test_to_each_builds_new_containers_and_keeps_input() -> None:
    tree = {"a": [np.ones(2)], "b": (np.ones(1),)}
    out = interop.to_each(tree, "numpy")
    assert out is not tree and out["a"] is not tree["a"]
    assert out["a"][0] is tree["a"][0]  # numpy -> numpy is the identity
    assert type(tree["a"][0]) is np.ndarray


def test_to_each_leaves_non_arrays_alone() -> None:
    leaves = ["s", b"b", None, 3, 2.5, 1j, True, {1, 2}, object()]
    out = interop.to_each(leaves, "numpy")
    assert all(o is i for o, i in zip(out, leaves, strict=True))


def test_to_each_dataclasses() -> None:
    batch = Batch(np.ones(2, np.float32))
    object.__setattr__(batch, "cached", np.zeros(1, np.float32))
    pytest.importorskip("array_api_strict")
    out = interop.to_each(batch, "array_api_strict")
    assert interop.framework(out.x) == "array_api_strict"
    assert interop.framework(out.cached) == "array_api_strict"  # init=False field too
    counted = interop.to_each(Counted(np.ones(1)), "numpy")
    assert counted.calls == 2  # rebuilt through __init__, so __post_init__ ran again


def test_to_each_copy_and_device() -> None:
    tree = [np.ones(3), np.arange(2)]
    out = interop.to_each(tree, "numpy", copy=True, device="cpu")
    assert all(not np.shares_memory(o, i) for o, i in zip(out, tree, strict=True))


def test_to_each_copy_false_is_kept_per_leaf() -> None:
    pytest.importorskip("jax")
    with pytest.raises(interop.CopyRequiredError) as info:
        a = np.ones(3, np.float32)
        interop.to_each({"a": ["text", a[::-1]]}, "jax", copy=False)  # reversed: JAX must copy
    assert "['a'][1]" in "\n".join(getattr(info.value, "__notes__", []))


def test_to_each_names_the_failing_leaf() -> None:
    with pytest.raises(interop.UnsupportedDeviceError) as info:
        interop.to_each({"a": [1, np.ones(2)]}, "numpy", device="cuda")
    assert "['a'][1]" in "\n".join(getattr(info.value, "__notes__", []))


def test_to_each_detects_each_type_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[type] = []
    classify = _tree._classify

    def counting(x: object) -> Any:
        calls.append(type(x))
        return classify(x)

    monkeypatch.setattr(_tree, "_classify", counting)
    tree = [{"w": np.ones(2), "n": 1} for _ in range(50)]
    interop.to_each(tree, "numpy")
    assert sorted(map(str, calls)) == sorted(map(str, [list, dict, np.ndarray, int]))


def test_to_each_uses_fast_route_on_the_target_device(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    original = _tree.to

    def spy(x: Any, target: Any, /, **kwargs: Any) -> Any:
        seen.append(kwargs["device"])
        return original(x, target, **kwargs)

    monkeypatch.setattr(_tree, "to", spy)
    interop.to_each([np.ones(2), np.ones(3)], "numpy", device="cpu")
    assert seen == [None, None]  # already on the CPU: same result, fast route allowed


# -- via ------------------------------------------------------------------------------------

def test_via_every_pair(backend: Backend, target: Backend) -> None:
    seen: list[Any] = []
    flag = object()

    @interop.via(target.name)
    def double(x: Any, extra: dict[str, Any], *, scale: Any, flag: object) -> Any:
        seen.extend([x, extra["y"][0], scale, flag])
        return {"sum": x + x, "items": [extra["y"][0]], "note": "ok"}

    x, y, s = (make(backend, VALUES) for _ in range(3))
    out = double(x, {"y": [y]}, scale=s, flag=flag)
    assert all(isinstance(v, array_type(target)) for v in seen[:3])
    assert seen[3] is flag
    assert_leaf(out["sum"], VALUES + VALUES, backend)
    assert_leaf(out["items"][0], VALUES, backend)
    assert out["note"] == "ok"
    assert interop.device(out["sum"]) == interop.device(x)


def test_via_preserves_the_signature() -> None:
    def scale(x: Any, factor: float = 2.0, *, shift: float = 0.0) -> Any:
        """Scale x."""
        return x * factor + shift

    wrapped = interop.via("numpy")(scale)
    assert inspect.signature(wrapped) == inspect.signature(scale)
    assert wrapped.__name__ == "scale" and wrapped.__doc__ == "Scale x."
    assert wrapped.__wrapped__ is scale  # type: ignore[attr-defined]


def test_via_without_arrays_returns_result_as_is() -> None:
    result = object()
    assert interop.via("numpy")(lambda a, b: result)(1, "x") is result


def test_via_first_array_argument_decides() -> None:
    torch = pytest.importorskip("torch")

    @interop.via("numpy")
    def add(a: Any, b: Any) -> Any:
        return a + b

    assert isinstance(add(np.ones(2), torch.ones(2)), np.ndarray)
    assert isinstance(add(torch.ones(2), np.ones(2)), torch.Tensor)
    assert isinstance(add(1.0, b=torch.ones(2)), torch.Tensor)  # keywords count too


def test_via_returns_numpy_scalars_as_arrays() -> None:
    torch = pytest.importorskip("torch")
    mean = interop.via("numpy")(lambda x: x.mean())(torch.arange(4.0))
    assert isinstance(mean, torch.Tensor) and mean.shape == () and float(mean) == 1.5


def zero_first(x: Any) -> Any:
    x[0] = 0
    return x


def test_via_mutation_reaches_the_caller_when_shared() -> None:
    torch = pytest.importorskip("torch")
    t = torch.ones(3)
    out = interop.via("numpy")(zero_first)(t)
    assert t.tolist() == [0.0, 1.0, 1.0]
    assert interop.shares_memory(out, t)


def test_via_mutation_of_a_copy_does_not_reach_the_caller() -> None:
    values = [1.0, 1.0]
    interop.via("numpy")(zero_first)(values)  # a Python list is always copied
    assert values == [1.0, 1.0]
    a = np.ones(3)
    interop.via("numpy", copy=True)(zero_first)(a)
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_via_read_only_share_refuses_writes() -> None:
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.ones(3)
    with pytest.raises(ValueError, match="read-only"):
        interop.via("numpy")(zero_first)(x)
    out = interop.via("numpy", copy=True)(zero_first)(x)
    assert out.tolist() == [0.0, 1.0, 1.0] and x.tolist() == [1.0, 1.0, 1.0]


# -- a scikit-learn-style function: written once in NumPy, used from every framework ---------

@interop.via("numpy")
def standard_scale(x: Any, *, eps: float = 1e-6) -> tuple[Any, dict[str, Any]]:
    """Centre and scale the columns of x; return the statistics too."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return (x - mean) / (std + eps), {"mean": mean, "std": std}


@pytest.mark.parametrize("name", ["torch", "jax", "array_api_strict", "numpy"])
def test_scikit_learn_style_function(name: str) -> None:
    backend = Backend(name)
    data = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    pytest.importorskip(name)
    x = make(backend, data)
    scaled, stats = standard_scale(x)
    expected = (data - data.mean(0)) / (data.std(0) + 1e-6)
    assert isinstance(scaled, array_type(backend))
    assert isinstance(stats["mean"], array_type(backend))
    np.testing.assert_allclose(read(scaled), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(read(stats["std"]), data.std(0), rtol=1e-6)
