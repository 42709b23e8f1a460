"""The executor side of the contract: the uniform block's bytes from a dispatch's values,
and the grids of elementwise launches.

Rule: everything here reads a `Contract` (or one of its launch rules) and run-time sizes
only, never shader text or IR; js_bridge/abi.js follows the same rules from the contract's
JSON form, and tests/browser/test_abi_corpus.py checks that both agree on every program.
"""

from __future__ import annotations

import struct

from kernelc.abi.contract import (
    MAX_WORKGROUPS_PER_DIMENSION,
    WORKGROUP_SIZE,
    Contract,
    Draw,
    FragmentLaunch,
)
from kernelc.abi.layout import WORD_TYPES
from kernelc.abi.program import Program


def spill(
    workgroups: int, max_per_dimension: int = MAX_WORKGROUPS_PER_DIMENSION
) -> tuple[int, int, int]:
    """(x, y, 1) with x <= max_per_dimension and x * y >= workgroups; flat workgroup
    `wg.y * x + wg.x`."""
    x = max(1, min(workgroups, max_per_dimension))
    return x, max(1, -(-workgroups // x)), 1


def wgsl_dispatch(
    n: int,
    workgroup_size: int = WORKGROUP_SIZE,
    max_per_dimension: int = MAX_WORKGROUPS_PER_DIMENSION,
) -> tuple[int, int, int]:
    """Workgroup counts covering `n` invocations, spilling into y past 65535 groups."""
    return spill(max(1, -(-n // workgroup_size)), max_per_dimension)


def glsl_grid(n: int, max_width: int = 4096) -> tuple[int, int]:
    """Render-target size for `n` outputs: row-major, `width` texels a row."""
    width = max(1, min(n, max_width))
    return width, max(1, -(-n // width))


def glsl_texture_extent(
    capacity: int, size: int, max_width: int, max_texture_size: int
) -> tuple[int, int, int]:
    """(capacity, width, height) of the texture that holds a buffer of `size` elements
    asked with `capacity` >= size texels (a pool's size class): rows of `max_width` texels,
    or of `max_texture_size` when that many rows would not fit, the capacity then `size`
    rounded up to whole rows. An element's texel is (p % width, p / width); `out_width` is
    the width of the outputs' textures. ValueError when no texture holds `size`."""
    width = min(capacity, max_width)
    if -(-capacity // width) > max_texture_size:
        width = min(capacity, max_texture_size)
        capacity = -(-max(1, size) // width) * width
    height = -(-capacity // width)
    if height > max_texture_size:
        raise ValueError(
            f"cannot allocate {size} elements: a texture holds at most "
            f"{max_texture_size * max_texture_size} (MAX_TEXTURE_SIZE {max_texture_size})"
        )
    return capacity, width, height


def glsl_output_groups(program: Program) -> tuple[Draw, ...]:
    """The draws of a GLSL elementwise program: its launch's `output_groups` when its
    outputs are split over several shaders (docs/abi.md, "Output groups"), else the one
    shader `code` itself."""
    abi = program.abi
    if isinstance(abi.launch, FragmentLaunch) and abi.launch.output_groups is not None:
        return abi.launch.output_groups
    return (Draw(code=program.code, textures=abi.textures, outputs=abi.outputs),)


def encode_uniforms(abi: Contract, values: dict) -> bytes:
    """Pack the uniform block. `values` maps a member's `ValueKey` (or the equal plain
    tuple (what, param, axis)) to its number; a member with a `default` may be left out.
    Raises KeyError(key) for a value that is missing."""
    out = bytearray(abi.uniform_size)
    for m in abi.uniforms:
        key = m.key
        if key in values:
            x = values[key]
        elif m.default is not None:
            x = m.default
        else:
            raise KeyError(key)
        struct.pack_into(UNIFORM_FORMAT[m.type], out, m.offset, uniform_number(m.type, m.name, x))
    return bytes(out)


UNIFORM_FORMAT = {"i32": "<i", "u32": "<I", "f32": "<f", **{t: "<I" for t in WORD_TYPES}}


def uniform_number(kind: str, name: str, x):
    """`x` as the uniform member `name` of type `kind` holds it: f32 a float, u32 wrapped
    to 32 bits, i32 an int that must fit (OverflowError otherwise)."""
    if kind == "f32":
        return float(x)
    if kind in WORD_TYPES:
        bits = struct.unpack("<Q", struct.pack("<d", float(x)))[0] if kind[0] == "f" else int(x)
        return (bits >> 32 if kind.endswith("hi") else bits) & 0xFFFFFFFF
    if kind == "u32":
        return int(x) & 0xFFFFFFFF
    x = int(x)
    if not -(2**31) <= x < 2**31:
        raise OverflowError(f"uniform {name} = {x} does not fit in int32")
    return x
