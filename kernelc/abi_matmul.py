"""The launch rules of matmul programs (docs/abi.md, "Matmul programs"): the WGSL tile
shapes and workgroup grid, and the sizes an executor reads from its dispatch values.

Rule: the WGSL emitter takes its tile constants from here and executors their plans, so a
shader and its launch cannot disagree. Plain arithmetic on sizes; nothing here reads
shader text. (A plain GLSL matmul is an ordinary fragment launch over the outputs; a
packed one draws its stages into textures of `glsl_stage_texels` texels first.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from kernelc.abi_reduction import spill

MAX_INVOCATIONS = 256  # WebGPU's default maxComputeInvocationsPerWorkgroup
MAX_BATCH_NDIM = 6  # batch axes a program may be specialised for (after merging)
# Tile rows a workgroup group walks down before moving right (Triton's GROUP_M): the
# workgroups resident at once then share A's row panels and B's column panels in cache.
GROUP_M = 8


@dataclass(frozen=True, slots=True)
class Tiles:
    """A workgroup computes an `m` x `n` tile of C, `k` columns of A (rows of B) at a
    time through workgroup memory; each invocation holds a `thread_m` x `thread_n` block
    of accumulators. `(m / thread_m) * (n / thread_n)` invocations."""

    m: int
    n: int
    k: int
    thread_m: int
    thread_n: int

    @property
    def threads_m(self) -> int:
        return self.m // self.thread_m

    @property
    def threads_n(self) -> int:
        return self.n // self.thread_n

    @property
    def invocations(self) -> int:
        return self.threads_m * self.threads_n

    def check(self) -> Tiles:
        """Raise ValueError unless the shell can print these tiles: 4-wide register
        blocks (vec4 reads of workgroup memory), whole tiles per thread grid, at most 256
        invocations, and tile loads that every invocation shares equally."""
        problems = []
        if any(x <= 0 for x in asdict(self).values()):
            problems.append("sizes must be positive")
        elif self.thread_m % 4 or self.thread_n % 4:
            problems.append("thread_m and thread_n must be multiples of 4")
        elif self.m % self.thread_m or self.n % self.thread_n:
            problems.append("m and n must be multiples of thread_m and thread_n")
        elif self.invocations > MAX_INVOCATIONS:
            problems.append(f"{self.invocations} invocations (at most {MAX_INVOCATIONS})")
        elif (self.m * self.k) % self.invocations or (self.n * self.k) % self.invocations:
            problems.append("m * k and n * k must be multiples of the invocations")
        if problems:
            raise ValueError(f"bad matmul tiles {self}: {problems[0]}")
        return self

    def to_json(self) -> dict:
        return asdict(self)


# Presets: `large` is the classic 128x128x8 SGEMM tiling with 8x8 accumulators per
# invocation; `small` keeps more workgroups in flight for matrices of a few hundred rows.
TILES = {
    "large": Tiles(128, 128, 8, 8, 8),
    "small": Tiles(64, 64, 16, 4, 4),
}
LARGE_MIN_WORKGROUPS = 256  # use `large` when it still gives this many workgroups

# Packed GLSL matmul: operands as RGBA32F texels of 4 consecutive elements of K, each
# fragment of the product computing a 4x4 block of C (rows, columns) into 4 render targets
# (4x4 ran 1.5-2.6x faster than 2x2 on llvmpipe, docs/benchmarks.md).
GLSL_TEXEL_FORMAT = "rgba32f"
GLSL_K_PER_TEXEL = 4
GLSL_BLOCK = (4, 4)


def tiles_of(tiles: str | Tiles | tuple | None) -> Tiles:
    """A preset name, a Tiles, or (m, n, k, thread_m, thread_n); None is `large`."""
    match tiles:
        case None:
            return TILES["large"]
        case str() if tiles in TILES:
            return TILES[tiles]
        case Tiles():
            return tiles.check()
        case tuple() | list() if len(tiles) == 5:
            return Tiles(*map(int, tiles)).check()
    raise ValueError(f"tiles must be one of {sorted(TILES)}, a Tiles or 5 ints, not {tiles!r}")


def preferred_tiles(batch: int, m: int, n: int) -> str:
    """The preset for a (batch, m, n) product: `large` when its grid is big enough."""
    large = TILES["large"]
    count = batch * math.ceil(m / large.m) * math.ceil(n / large.n)
    return "large" if count >= LARGE_MIN_WORKGROUPS else "small"


# ---------------------------------------------------------------------------- executor side


def matmul_dims(abi: dict, values: dict) -> tuple[int, int, int, int]:
    """(batch, M, N, K) from a dispatch's values: C's shape is the loop shape (batch
    axes..., M, N) and K the `reduce_size`."""
    ndim = abi["ndim"]
    shape = [values[("shape", None, d)] for d in range(ndim)]
    return math.prod(shape[:-2]), shape[-2], shape[-1], values[("reduce_size", None, None)]


def wgsl_workgroups(launch: dict, batch: int, m: int, n: int) -> int:
    """One workgroup per tile of C in every batch entry."""
    tile = launch["tile"]
    return batch * math.ceil(m / tile["m"]) * math.ceil(n / tile["n"])


def wgsl_grid(launch: dict, batch: int, m: int, n: int) -> tuple[int, int, int]:
    """Workgroup counts (x, y, 1), spilling into y past 65535; the flat workgroup index
    is `wg.y * num_workgroups.x + wg.x` and indices past the tiles do nothing."""
    return spill(wgsl_workgroups(launch, batch, m, n))


def glsl_stage_texels(launch: dict, batch: int, m: int, n: int, k: int) -> dict[str, int]:
    """Texels each stage of a packed GLSL matmul writes (docs/abi.md, "GLSL: packed
    operands"): A's rows and B's columns of `ceil(k / k_per_texel)` texels, then one texel
    per block of C."""
    kp = math.ceil(k / launch["k_per_texel"])
    rows, cols = launch["block"]
    return {
        "pack_a": batch * m * kp,
        "pack_b": batch * n * kp,
        "product": batch * math.ceil(m / rows) * math.ceil(n / cols),
    }
