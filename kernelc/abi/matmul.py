"""The launch rules of matmul programs (docs/abi.md, "Matmul programs"): the WGSL tile
shapes and workgroup grid, and the sizes an executor reads from its dispatch values.

Rule: the WGSL emitter takes its tile constants from here and executors their plans, so a
shader and its launch cannot disagree. Plain arithmetic on sizes; nothing here reads
shader text. (A plain GLSL matmul is an ordinary fragment launch over the outputs; a
packed one draws its stages into textures of `glsl_stage_texels` texels first.)
"""

from __future__ import annotations

import math

from kernelc.abi.contract import (
    REDUCE_SIZE,
    Contract,
    MatmulLaunch,
    MatmulTiles,
    loop_shape,
)
from kernelc.abi.launch import spill

MAX_BATCH_NDIM = 6  # batch axes a program may be specialised for (after merging)
# Tile rows a workgroup group walks down before moving right (Triton's GROUP_M): the
# workgroups resident at once then share A's row panels and B's column panels in cache.
GROUP_M = 8


# Presets: `large` is the classic 128x128x8 SGEMM tiling with 8x8 accumulators per
# invocation; `small` keeps more workgroups in flight for matrices of a few hundred rows;
# `huge` (256x128, k 4, 16x8 per invocation, double-buffered) reads each loaded element
# for more products, for matrices of thousands of rows and columns.
TILES = {
    "huge": MatmulTiles(m=256, n=128, k=4, thread_m=16, thread_n=8),
    "large": MatmulTiles(m=128, n=128, k=8, thread_m=8, thread_n=8),
    "tall": MatmulTiles(m=128, n=64, k=16, thread_m=8, thread_n=4),
    "wide": MatmulTiles(m=64, n=128, k=16, thread_m=4, thread_n=8),
    "small": MatmulTiles(m=64, n=64, k=16, thread_m=4, thread_n=4),
}
# Where large's grid is big enough, the one of these (first among equals) that pads C
# least: tall and wide halve large's padding where a side is 64 past a multiple of 128
# (ResNet's 64-channel products: 14.5 -> 24.7 TFLOP/s on an H100). Where large's grid is
# too small, small's wins over them (512 x 1024 @ 1024 x 4608: 23.6 against 20.7).
GRID_PRESETS = ("large", "tall", "wide")
LARGE_MIN_WORKGROUPS = 256  # use a larger preset when it still gives this many workgroups

# Packed GLSL matmul: operands as RGBA32F texels of 4 consecutive elements of K, each
# fragment of the product computing a 4x4 block of C (rows, columns) into 4 render targets
# (4x4 ran 1.5-2.6x faster than 2x2 on llvmpipe, docs/benchmarks.md).
GLSL_TEXEL_FORMAT = "rgba32f"
GLSL_K_PER_TEXEL = 4
GLSL_BLOCK = (4, 4)


def tiles_of(tiles: str | MatmulTiles | tuple | None) -> MatmulTiles:
    """A preset name, a MatmulTiles, or (m, n, k, thread_m, thread_n); None is `large`."""
    match tiles:
        case None:
            return TILES["large"]
        case str() if tiles in TILES:
            return TILES[tiles]
        case MatmulTiles():
            return tiles.check()
        case tuple() | list() if len(tiles) == 5:
            m, n, k, thread_m, thread_n = map(int, tiles)
            return MatmulTiles(m=m, n=n, k=k, thread_m=thread_m, thread_n=thread_n).check()
    raise ValueError(
        f"tiles must be one of {sorted(TILES)}, a MatmulTiles or 5 ints, not {tiles!r}"
    )


def preferred_tiles(batch: int, m: int, n: int) -> str:
    """The preset for a (batch, m, n) product: `huge` where the matrix holds its tiles
    whole and they still make a big enough grid, else where `large`'s grid is big enough
    the one of GRID_PRESETS with a big enough grid that pads C least, else `small`."""
    huge = TILES["huge"]
    if m >= huge.m and n >= huge.n and _grid(batch, m, n, huge) >= LARGE_MIN_WORKGROUPS:
        return "huge"
    fitting = [p for p in GRID_PRESETS if _grid(batch, m, n, TILES[p]) >= LARGE_MIN_WORKGROUPS]
    if "large" not in fitting:
        return "small"
    return min(fitting, key=lambda p: _padded(m, n, TILES[p]))


def _padded(m: int, n: int, tiles: MatmulTiles) -> int:
    """Elements of C the tiles cover, padding included."""
    return _grid(1, m, n, tiles) * tiles.m * tiles.n


def _grid(batch: int, m: int, n: int, tiles: MatmulTiles) -> int:
    """Tiles of C in every batch entry (a WGSL launch's workgroups)."""
    return batch * math.ceil(m / tiles.m) * math.ceil(n / tiles.n)


# ---------------------------------------------------------------------------- executor side


def matmul_dims(abi: Contract, values: dict) -> tuple[int, int, int, int]:
    """(batch, M, N, K) from a dispatch's values: C's shape is the loop shape (batch
    axes..., M, N) and K the `reduce_size`."""
    shape = [values[loop_shape(d)] for d in range(abi.ndim)]
    return math.prod(shape[:-2]), shape[-2], shape[-1], values[REDUCE_SIZE]


def wgsl_workgroups(launch: MatmulLaunch, batch: int, m: int, n: int) -> int:
    """One workgroup per tile of C in every batch entry."""
    return _grid(batch, m, n, launch.tile)


def wgsl_grid(launch: MatmulLaunch, batch: int, m: int, n: int) -> tuple[int, int, int]:
    """Workgroup counts (x, y, 1), spilling into y past 65535; the flat workgroup index
    is `wg.y * num_workgroups.x + wg.x` and indices past the tiles do nothing."""
    return spill(wgsl_workgroups(launch, batch, m, n), launch.max_workgroups_per_dimension)


def glsl_stage_texels(
    batch: int,
    m: int,
    n: int,
    k: int,
    *,
    k_per_texel: int = GLSL_K_PER_TEXEL,
    block: tuple[int, int] = GLSL_BLOCK,
) -> dict[str, int]:
    """Texels each stage of a packed GLSL matmul writes (docs/abi.md, "GLSL: packed
    operands"): A's rows and B's columns of `ceil(k / k_per_texel)` texels, then one texel
    per block of C. An executor passes its launch's `k_per_texel` and `block`."""
    kp = math.ceil(k / k_per_texel)
    rows, cols = block
    return {
        "pack_a": batch * m * kp,
        "pack_b": batch * n * kp,
        "product": batch * math.ceil(m / rows) * math.ceil(n / cols),
    }
