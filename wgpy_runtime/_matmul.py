"""Tiled matrix products: float matmul through kernelc's matmul programs (WGSL: workgroup
tiles, GLSL: operands packed into RGBA texels, a 2x2 block of C per fragment; docs/abi.md,
"Matmul programs").

Rule: operands reach the program as views — offsets and element strides, 0 for a
broadcast batch axis, transposed operands as they are — never as copies. Batch axes
are merged where every operand walks them contiguously, so the usual cases need a
program with at most one batch axis. Integer and bool products are not tiled (see
`linalg.matmul`).

`folded_matmul` runs the WGSL program that folds its float32 sums into int32 ones
(`translate_matmul(fold=...)`): exact products of float32 operands holding small
integers, over a K whose float32 sums alone would not stay exact.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import kernelc
from kernelc.abi.matmul import MAX_BATCH_NDIM, TILES, glsl_stage_texels, preferred_tiles

from . import _dtypes, _launch, _shapes
from .ndarray import ndarray

TILED_DTYPES = frozenset(np.dtype(t) for t in ("float16", "float32", "float64"))


def supported(dtype: np.dtype) -> bool:
    """Whether products of `dtype` run as tiled programs (the tiles are float32, so not
    float64 under the exact 64-bit policy)."""
    dtype = np.dtype(dtype)
    return dtype in TILED_DTYPES and not (dtype.itemsize == 8 and _dtypes.exact64())


@functools.cache
def _program(
    target: str,
    dtype: str,
    batch_ndim: int,
    trans_a: bool,
    trans_b: bool,
    tiles: str | None,
    packed: bool = True,
    fold: int = 0,
):
    return kernelc.translate_matmul(
        dtype,
        target=target,
        batch_ndim=batch_ndim,
        trans_a=trans_a,
        trans_b=trans_b,
        tiles=tiles,
        packed=packed,
        fold=fold,
    )


def buffer_elements(device) -> int | None:
    """The most elements one texture of the device holds (None: no such limit)."""
    if hasattr(device, "max_texture_size"):  # native WebGL: rows of `max_width` texels
        return device.max_width * device.max_texture_size
    return (getattr(device, "limits", None) or {}).get("maxBufferElements")


def _packed_fits(device, batch: int, m: int, n: int, k: int) -> bool:
    """Whether a packed GLSL product's textures fit the device (a broadcast operand's
    packed copy holds it once per batch entry); otherwise the plain program runs."""
    limit = buffer_elements(device)
    return limit is None or max(glsl_stage_texels(batch, m, n, k).values()) <= limit


def merge_batch(shape: tuple[int, ...], strides: list[tuple[int, ...]]):
    """Batch axes without those of extent 1, neighbours merged where every operand walks
    them contiguously (CuPy's `_reduce_dims`); () for a single product."""
    keep = [d for d, e in enumerate(shape) if e != 1]
    shape = tuple(shape[d] for d in keep)
    strides = [tuple(s[d] for d in keep) for s in strides]
    if len(shape) > 1:
        shape, strides = _shapes.reduce_dims(shape, strides)
    return shape, strides


def _transposed(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether a (rows, cols) view walks its rows contiguously (a transposed matrix)."""
    return shape[-2] > 1 and shape[-1] > 1 and abs(strides[-2]) < abs(strides[-1])


def tiled_matmul(a: ndarray, b: ndarray, result: ndarray) -> bool:
    """result[...] = a @ b for `a` (batch..., M, K) and `b` (batch..., K, N) viewed over
    the batch shape of `result` (batch..., M, N), a fresh C-contiguous array of their
    dtype. False (nothing launched) when the batch axes do not merge to at most
    `MAX_BATCH_NDIM` axes."""
    return _launch_tiled(a, b, result, 0)


def folded_matmul(a: ndarray, b: ndarray, result: ndarray, exact_run: int) -> bool:
    """`tiled_matmul` for float32 `a` and `b` holding integers into an int32 `result`
    (WGSL only): the program's float32 sums run over at most `exact_run` products (whose
    sums the caller keeps below 2^24) before they fold into int32, so the result is exact
    while its sums stay below 2^31."""
    if not result.device.capabilities.workgroup_tiles:
        raise ValueError("folded products are WGSL tile programs")
    return _launch_tiled(a, b, result, exact_run)


def fold_period(tiles: str, exact_run: int) -> int:
    """The most multiply-adds, a whole number of the tiles' K steps, within `exact_run`."""
    step = TILES[tiles].k
    if exact_run < step:
        raise ValueError(f"{tiles!r} tiles step K by {step}, more than {exact_run} products")
    return exact_run - exact_run % step


# The preset a folded product takes for the preferred one: the int32 sums double an
# invocation's accumulators (`huge`'s 128 would be 256).
FOLDED_TILES = {"huge": "large"}


def _folded_tiles(tiles: str) -> str:
    return FOLDED_TILES.get(tiles, tiles)


def _launch_tiled(a: ndarray, b: ndarray, result: ndarray, exact_run: int) -> bool:
    """`tiled_matmul`, folded (`folded_matmul`) where `exact_run` is not 0."""
    *batch, m, n = result.shape
    k = a.shape[-1]
    views = (a, b, result)
    shape, strides = merge_batch(tuple(batch), [v._strides[:-2] for v in views])
    if len(shape) > MAX_BATCH_NDIM:
        return False
    args = {
        name: ndarray._view(v._buf, shape + v.shape[-2:], s + v._strides[-2:], v._offset)
        for name, v, s in zip("ABC", views, strides)
    }
    device = result.device
    batches = math.prod(shape)
    caps = device.capabilities
    tiles = preferred_tiles(batches, m, n) if caps.workgroup_tiles else None
    packed = caps.packed_texels and _packed_fits(device, batches, m, n, k)
    fold = 0
    if exact_run:
        tiles = _folded_tiles(tiles)
        fold = fold_period(tiles, exact_run)
    program = _program(
        device.target,
        a.dtype.name,
        len(shape),
        _transposed(a.shape, a._strides),
        _transposed(b.shape, b._strides),
        tiles,
        packed,
        fold,
    )
    _launch.dispatch(device, program, args, shape + (m, n), (k,))
    return True
