"""WGSL packed storage: int8/uint8 four to a `u32` word, int16/uint16/float16 two, in
little-endian order, so a buffer's bytes are exactly the NumPy array's (docs/dtypes.md).

Element `pos` lies in word `pos / per_word`, at bit `(pos % per_word) * bits`. Rule: each
packed array gets one load function and, for an output, one store function; the body calls
them with an element position. An output's words are `atomic<u32>`: a store replaces its
own lane's bits with one compare-exchange of the whole word, so the lanes that other
invocations write at the same time are kept (a plain read-modify-write of the word would
lose them), and of two stores to the same element one wins, as in CUDA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernelc.emit_wgsl.atomics import atomic_params
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import PACKED_PER_WORD, float16

if TYPE_CHECKING:
    from kernelc.emit_wgsl.emitter import WgslEmitter


def packed_params(kernel: ir.Kernel) -> list[ir.Param]:
    return [p for p in kernel.arrays if p.dtype in PACKED_PER_WORD]


def library_roots(kernel: ir.Kernel) -> frozenset[str]:
    """The library functions the load and store functions call (float16 by bits)."""
    halves = [p for p in packed_params(kernel) if p.dtype is float16]
    written = atomic_params(kernel)  # atomicAdd on a half decodes and encodes its word
    encode = ["kc_f16_encode"] if any(p.is_output or p.name in written for p in halves) else []
    return frozenset((["kc_f16_decode"] if halves else []) + encode)


def _lane(p: ir.Param) -> tuple[str, str, str]:
    """(word index, bit offset, bit count) of element `pos`, as WGSL expressions."""
    per_word = PACKED_PER_WORD[p.dtype]
    bits = 32 // per_word
    log2 = per_word.bit_length() - 1
    return f"pos >> {log2}u", f"u32(pos & {per_word - 1}i) * {bits}u", f"{bits}u"


def load_function(em: WgslEmitter, p: ir.Param, name: str) -> list[str]:
    """`fn name(pos: i32) -> i32|f32`: the element's value in its computation type."""
    word, offset, count = _lane(p)
    ref = f"{em.buffers[p.name]}[{word}]"
    read = f"atomicLoad(&{ref})" if p.is_output else ref
    if p.dtype is float16:
        decode = em.library_function("kc_f16_decode")
        value = f"{decode}(extractBits(word, {offset}, {count}))"
    elif p.dtype.is_signed:  # extractBits on i32 sign-extends
        value = f"extractBits(bitcast<i32>(word), {offset}, {count})"
    else:
        value = f"i32(extractBits(word, {offset}, {count}))"
    result = em.type_name(p.value_dtype)
    return [
        f"fn {name}(pos: i32) -> {result} {{",
        f"    let word = {read};",
        f"    return {value};",
        "}",
    ]


def store_function(em: WgslEmitter, p: ir.Param, name: str) -> list[str]:
    """`fn name(pos: i32, value: i32|f32)`: replace the element's bits in its word."""
    word, offset, _ = _lane(p)
    if p.dtype is float16:
        bits = f"{em.library_function('kc_f16_encode')}(value)"
    else:
        bits = "bitcast<u32>(value)"
    lane_mask = f"0x{(1 << (32 // PACKED_PER_WORD[p.dtype])) - 1:x}u"
    return [
        f"fn {name}(pos: i32, value: {em.type_name(p.value_dtype)}) {{",
        f"    let word = &{em.buffers[p.name]}[{word}];",
        f"    let shift = {offset};",
        f"    let mask = {lane_mask} << shift;",
        f"    let bits = ({bits} << shift) & mask;",
        "    var old = atomicLoad(word);",
        "    loop {",
        "        let swap = atomicCompareExchangeWeak(word, old, (old & ~mask) | bits);",
        "        if (swap.exchanged) {",
        "            break;",
        "        }",
        "        old = swap.old_value;",
        "    }",
        "}",
    ]
