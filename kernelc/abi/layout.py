"""The compiler side of the contract: how each dtype is held (storage elements, texture
formats, uniform types), the uniform block of a kernel, and its parameter records.

Rule: this is the one place uniform members are declared. `declared_uniforms` lists a
program's whole block, in order, for every shell (elementwise, reduction, matmul) and
target; emitters print the block and read members by their `ValueKey`, never by a name
of their own. The block has the same byte layout on both targets (4-byte scalars packed
in order: std140 and WGSL agree on that), so one encoder serves both.
"""

from __future__ import annotations

from kernelc.abi.contract import (
    BASE,
    OUT_WIDTH,
    PASS,
    PASS_CHUNKS,
    PASS_ITEMS,
    REDUCE_GROUPS,
    REDUCE_SIZE,
    SIZE,
    PackedLayout,
    Param,
    UniformMember,
    ValueKey,
    array_key,
    loop_shape,
    reduce_shape,
    scalar_value,
)
from kernelc.ir import dtypes
from kernelc.ir.dtypes import DType
from kernelc.ir.nodes import Kernel, ParamKind
from kernelc.ir.nodes import Param as IrParam

# How each storage dtype (`Param.dtype`; 64-bit ones are held in 32 bits under the fast
# policy) is held in a storage buffer element (WGSL: 8/16-bit ones packed into u32 words,
# see dtypes.PACKED_PER_WORD; 64-bit ones as two u32 words, low first) and a texture format
# (GLSL; 64-bit ones one RG32UI texel, r low and g high). docs/dtypes.md has the policy.
WGSL_STORAGE = {
    dtypes.bool_: "u32",
    dtypes.int32: "i32",
    dtypes.uint32: "u32",
    dtypes.float32: "f32",
    **{d: "u32" for d in dtypes.PACKED_PER_WORD},
    **{d: "u32" for d in dtypes.WIDE},
    dtypes.words64: "vec2<u32>",  # partials (scratch) of a 64-bit or complex64 accumulator
    dtypes.words128: "vec4<u32>",  # of a complex128 one (exact policy)
}
# The u32 words of one element of each WGSL storage type (a scratch buffer's size).
WGSL_ELEMENT_WORDS = {"vec2<u32>": 2, "vec4<u32>": 4}
GLSL_FORMAT = {
    dtypes.bool_: "r32ui",
    dtypes.int32: "r32i",
    dtypes.uint32: "r32ui",
    dtypes.float32: "r32f",
    dtypes.int8: "r8i",
    dtypes.uint8: "r8ui",
    dtypes.int16: "r16i",
    dtypes.uint16: "r16ui",
    dtypes.float16: "r16f",
    dtypes.int64: "rg32ui",
    dtypes.uint64: "rg32ui",
    dtypes.float64: "rg32ui",
    dtypes.words64: "rg32ui",
    dtypes.words128: "rgba32ui",  # a complex128 accumulator's partials (exact policy)
}
# Uniform member types, by computation type (a uint8 scalar is an int, float16 a float).
UNIFORM_TYPE = {
    dtypes.bool_: "u32",
    dtypes.int32: "i32",
    dtypes.uint32: "u32",
    dtypes.float32: "f32",
}
# A 64-bit scalar is two u32 members, its low and high word: their type says how the
# executor encodes the value (f64lo/f64hi: the float64's bits, i64lo/i64hi: the integer's
# two's complement bits, whether int64 or uint64).
WORD_TYPES = ("f64lo", "f64hi", "i64lo", "i64hi")
# The shells a block is declared for: elementwise (a WGSL launch may cover a range of the
# loop, from `base`), reduction, and matmul (tiles of C: launched whole).
SHELLS = ("elementwise", "reduction", "matmul")


def held_type(member_type: str) -> str:
    """The 32-bit type a member is declared with (a 64-bit scalar's word is a u32)."""
    return "u32" if member_type in WORD_TYPES else member_type


def word_of(member: UniformMember) -> int | None:
    """Which word of a 64-bit scalar `member` holds (0 low, 1 high), None for others."""
    if member.type not in WORD_TYPES:
        return None
    return 1 if member.type.endswith("hi") else 0


def declared_uniforms(kernel: Kernel, target: str, shell: str) -> tuple[UniformMember, ...]:
    """The uniform block's members, in order, with byte offsets: identical for WGSL and
    GLSL except GLSL's render-target width, WGSL's first element of an elementwise launch,
    GLSL outputs being dense (they need no offset/strides), and each shell's own members
    (WGSL reductions' groups, GLSL reductions' pass, matmul's K) at the end."""
    if shell not in SHELLS:
        raise ValueError(f"shell must be one of {SHELLS}, not {shell!r}")
    block = [_member("k_n", SIZE)]
    if shell == "elementwise" and target == "wgsl" and kernel.reduction is None:
        block.append(_member("k_base", BASE, default=0))
    block += [_member(f"k_shape{d}", loop_shape(d)) for d in range(kernel.ndim)]
    if kernel.reduction is not None:
        block.append(_member("k_red_n", REDUCE_SIZE))
        block += [_member(f"k_red_shape{d}", reduce_shape(d)) for d in range(kernel.reduction.ndim)]
    if target == "glsl":
        block.append(_member("k_out_width", OUT_WIDTH))
    for p in kernel.params:
        block += _param_members(p, target)
    block += _shell_members(target, shell)
    return tuple(
        UniformMember(name=name, offset=4 * k, type=kind, key=key, default=default)
        for k, (name, kind, key, default) in enumerate(block)
    )


def uniform_size(members: tuple[UniformMember, ...]) -> int:
    """The block's byte size: its 4-byte members, rounded up to a multiple of 16."""
    return max(16, -(-4 * len(members) // 16) * 16)


def _member(name: str, key: ValueKey, kind: str = "i32", default: int | None = None) -> tuple:
    return name, kind, key, default


def _shell_members(target: str, shell: str) -> list[tuple]:
    if shell == "reduction" and target == "wgsl":
        return [_member("k_red_groups", REDUCE_GROUPS)]
    if shell == "reduction":
        return [
            _member("k_pass", PASS),
            _member("k_pass_items", PASS_ITEMS),
            _member("k_pass_chunks", PASS_CHUNKS),
        ]
    if shell == "matmul":
        return [_member("k_red_n", REDUCE_SIZE)]
    return []


def _param_members(p: IrParam, target: str) -> list[tuple]:
    """Members of a parameter: a_{param}_{offset|size|shape{d}|stride{d}} for arrays,
    s_{param} for a scalar (s_{param}_w{word} for a 64-bit scalar's words)."""

    def fact(what: str, axis: int = 0) -> tuple:
        suffix = what if what in ("offset", "size") else f"{what}{axis}"
        return _member(f"a_{p.name}_{suffix}", array_key(p.name, what, axis))

    if p.kind is ParamKind.SCALAR:
        parts = ((0, "_re"), (1, "_im")) if p.is_complex else ((None, ""),)
        return [m for c, suffix in parts for m in _scalar_members(p, c, f"s_{p.name}{suffix}")]
    if p.kind is ParamKind.ARRAY:
        if target == "glsl" and p.is_output:
            return []  # dense render target; its old contents come dense too
        return [fact("offset")] + [fact("stride", d) for d in range(p.ndim)]
    return (
        [fact("offset"), fact("size")]
        + [fact("shape", d) for d in range(p.ndim)]
        + [fact("stride", d) for d in range(p.ndim)]
    )


def _scalar_members(p: IrParam, component: int | None, name: str) -> list[tuple]:
    """A scalar's value (a complex scalar's part `component`): one member, or a 64-bit
    value's two words."""
    key = scalar_value(p.name, component)
    if p.dtype in dtypes.WIDE:
        kind = "f64" if p.dtype.is_float else "i64"
        return [_member(f"{name}_w{w}", key, kind + half) for w, half in enumerate(("lo", "hi"))]
    return [_member(name, key, UNIFORM_TYPE[p.value_dtype])]


def param_records(kernel: Kernel) -> tuple[Param, ...]:
    """The contract's parameters, in CuPy order."""
    return tuple(
        Param(
            name=p.name,
            role="out" if p.is_output else "in",
            kind=p.kind.value,
            dtype=p.c_dtype.name,
            storage_dtype=p.dtype.name,
            ndim=None if p.kind is ParamKind.SCALAR else p.ndim,
            contiguous=p.contiguous if p.kind is ParamKind.RAW else None,
            reads_old=p.reads_old if p.is_output else None,
        )
        for p in kernel.params
    )


def packed_layout(dtype: DType) -> PackedLayout | None:
    """WGSL: how a packed dtype lies in its u32 words (None: one element per word)."""
    per_word = dtypes.PACKED_PER_WORD.get(dtype)
    return None if per_word is None else PackedLayout(dtype=dtype.name, per_word=per_word)
