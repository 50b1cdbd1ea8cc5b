"""Chunk-wise, lazy conversion of Dask arrays (``interop.to`` and ``explain`` of one).

A Dask array is converted by building a new graph, never by computing: every chunk
becomes ``interop.to(chunk, target, device=, copy=)`` in a task, so each chunk obeys
exactly the rules of an array of its type (copy contract, read-only memory, layouts).
The new array's ``_meta`` is the source meta converted by interop itself, so what the
dtype and device decide (float64 into JAX without x64, host memory onto a GPU with
``copy=False``) is refused here, when the graph is built, and the meta has the true
chunk type, dtype and device (Dask accepts a wrong meta silently).  What only a chunk
can tell (its layout, its alignment, read-only memory) is decided on the worker, and
the error travels back with its interop type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ._adapter import Adapter
from ._devices import Device
from ._dtypes import numpy_dtype
from ._errors import InteropError
from ._plan import Plan, make_plan
from ._registry import adapter_for, resolve_target
from ._streams import NO_SYNC

__all__ = ["ChunkwisePlan", "convert_block", "convert_chunk", "convert_chunkwise",
           "explain_chunkwise"]


@dataclass(slots=True, unsafe_hash=True)
class ChunkwisePlan(Plan):
    """The plan of a Dask conversion: each chunk's plan (from the meta), applied lazily."""

    #: The plan of one chunk, as made for the meta (an empty array of the chunk type).
    chunk_plan: Plan | None = None
    #: What the meta cannot tell, so each chunk decides it when it is computed.
    per_chunk: tuple[str, ...] = ()
    #: How many chunks the conversion has (one task each).
    chunks: int = 0

    def __str__(self) -> str:
        chunk = self.chunk_plan
        route = "no conversion" if chunk is None else str(chunk).splitlines()[0].split(": ")[-1]
        head = (f"{self.source} ({self.source_device}) -> dask of {self.target} "
                f"({self.device}): chunk-wise, lazy ({self.chunks} chunks, one task each; "
                f"each chunk: {route})")
        lines = [head, *(f"  - {step}" for step in self.steps)]
        lines.append("  decided per chunk, when it is computed:")
        lines.extend(f"  - {item}" for item in self.per_chunk)
        return "\n".join(lines)


def check_stream(stream: Any) -> None:
    """Only ``None`` and ``NO_SYNC`` mean something in another process."""
    if stream is None or stream is NO_SYNC:
        return
    raise InteropError(
        f"stream={stream!r} was given for a Dask array, but its chunks are converted in tasks, "
        "possibly in other processes, where a stream handle of this process means nothing. "
        "Pass stream=None (each chunk is ordered on the target's current stream where it "
        "runs) or stream=interop.NO_SYNC.")


def _chunk_target(x: Any, target: Any, dst: Adapter) -> Any:
    """What each task is given as the target: picklable, and ``"dask"`` means "keep"."""
    from .adapters.dask import meta_of

    if dst.name == "dask" and not isinstance(target, Adapter):
        return adapter_for(meta_of(x)).name  # "dask" keeps the chunk framework
    if isinstance(target, str):
        return target
    return dst.name if not isinstance(target, Adapter) else target


def convert_chunkwise(x: Any, target: Any, *, device: Any, copy: bool | None, stream: Any,
                      alias: bool = False) -> Any:
    """A lazy Dask array whose chunks are ``interop.to(chunk, target, ...)``; never computes."""
    from ._convert import to, unsafe_alias
    from ._dask_setup import prepare_client, register_local
    from .adapters.dask import meta_of, package_of

    check_stream(stream)
    dst = resolve_target(target)
    chunk_target = _chunk_target(x, target, dst)
    parsed = None if device is None else Device.parse(device)
    meta = meta_of(x)
    try:
        refuse_by_type(meta, resolve_target(chunk_target), parsed, copy, alias)
        if alias:
            new_meta = unsafe_alias(meta, chunk_target, device=parsed)
        else:
            new_meta = to(meta, chunk_target, device=parsed, copy=copy)
    except InteropError as exc:
        exc.add_note("raised while building the Dask graph, from the array's meta: every "
                     "chunk would be refused the same way")
        raise
    package = package_of(x)
    register_local()  # the client may concatenate or wrap these chunks too
    prepare_client(package)  # every worker of the current client learns the chunk types
    from dask.base import tokenize

    name = f"interop-to-{adapter_for(new_meta).name}-" + tokenize(
        x, chunk_target, parsed, copy, alias, stream is NO_SYNC)
    if package == "dask_array":  # it needs a NumPy dtype, and block_info wants one too
        return x.map_blocks(convert_chunk, chunk_target, device=parsed, copy=copy,
                            alias=alias, stream=stream, meta=new_meta, name=name,
                            dtype=numpy_dtype(adapter_for(new_meta).describe(new_meta).dtype))
    return x.map_blocks(convert_block, chunk_target, device=parsed, copy=copy, alias=alias,
                        stream=stream, meta=new_meta, name=name)


def refuse_by_type(meta: Any, dst: Adapter, device: Device | None, copy: bool | None,
                   alias: bool = False) -> None:
    """``copy=False`` refusals that the chunk type decides, for chunks that hold data.

    The meta is empty, and interop never refuses to share an empty array (it has no bytes
    to expose), so its conversion alone would let e.g. JAX chunks into torch with
    ``copy=False`` pass at graph time and fail on every worker.  Planning a one-element
    compact chunk with the meta's facts refuses it now.
    """
    if copy is not False:
        return
    src = adapter_for(meta)
    info = src.describe(meta)
    ndim = len(info.shape)
    one = replace(info, shape=(1,) * ndim, strides=(info.itemsize,) * ndim)
    make_plan(src, one, dst, device=device, copy=False, alias=alias)


def convert_block(block: Any, target: Any, *, device: Device | None, copy: bool | None,
                  alias: bool, stream: Any, block_info: Any = None) -> Any:
    """One task: convert one chunk, with the rules of its type; leave no GPU work pending."""
    from ._convert import to, unsafe_alias
    from ._dask_setup import register_local, settle

    register_local()  # this worker may concatenate the results: it must know their type
    try:
        if alias:
            result = unsafe_alias(block, target, device=device, stream=stream)
        else:
            result = to(block, target, device=device, copy=copy, stream=stream)
    except InteropError as exc:
        where = (block_info or {}).get(0, {}).get("chunk-location")
        if where is not None:
            exc.add_note(f"while converting the Dask chunk at block {tuple(where)}")
        raise
    settle(result)
    return result


def convert_chunk(block: Any, target: Any, *, device: Device | None, copy: bool | None,
                  alias: bool, stream: Any) -> Any:
    """``convert_block`` without ``block_info``, for ``dask_array``.

    ``dask_array`` builds ``block_info`` through ``np.dtype(meta.dtype)``, which a torch
    meta's dtype is not, so its errors do not name the block.
    """
    return convert_block(block, target, device=device, copy=copy, alias=alias, stream=stream)


def explain_chunkwise(x: Any, target: Any, *, device: Any, copy: bool | None) -> ChunkwisePlan:
    """The plan of ``to(x, target)`` for a Dask ``x``: from its meta, computing nothing."""
    from ._convert import explain
    from .adapters.dask import meta_of

    dst = resolve_target(target)
    chunk_target = _chunk_target(x, target, dst)
    meta = meta_of(x)
    target_adapter = resolve_target(chunk_target)
    refuse_by_type(meta, target_adapter, None if device is None else Device.parse(device), copy)
    chunk = explain(meta, chunk_target, device=device, copy=copy)
    source = adapter_for(meta)
    steps = (f"build a Dask graph of {x.npartitions} tasks; each runs "
             f"interop.to(chunk, {target_adapter.name!r}) with copy={copy!r}; nothing is "
             "computed now",
             *chunk.steps,
             f"the result's meta is the {source.name} meta converted by interop "
             "(dtype and device refusals happen now, not on a worker)")
    return ChunkwisePlan(
        f"dask of {source.name}", target_adapter.name, chunk.source_device, chunk.device,
        chunk.route, steps, chunk.copy_reasons, may_copy=chunk.may_copy,
        detach=chunk.detach, copy=copy, read_only=chunk.read_only,
        resolves_values=chunk.resolves_values, kind=chunk.kind, empty=chunk.empty,
        chunk_plan=chunk, per_chunk=_per_chunk(source, target_adapter, copy),
        chunks=int(x.npartitions))


def _per_chunk(src: Adapter, dst: Adapter, copy: bool | None) -> tuple[str, ...]:
    """What a chunk's own memory decides, which an empty meta cannot show."""
    refused = "raise CopyRequiredError" if copy is False else "are copied"
    items = []
    if not dst.holds_read_only:
        items.append(f"read-only chunks {refused} ({dst.name} arrays are writable)")
    items.append(f"chunks whose layout {dst.name} cannot take (negative, odd or non-compact "
                 f"strides, non-native byte order) {refused}")
    if dst.may_copy_on_import:
        items.append(f"{dst.name} may copy a chunk on import (it aliases only 64-byte aligned "
                     "memory)" + ("; copy=False then raises" if copy is False else ""))
    if src.name == "torch":
        items.append("torch chunks with lazy conj/neg bits are resolved (a copy)")
    return tuple(items)
