"""WGSL atomics: CUDA's `atomicOP(&x[k], v)` on a raw output, as WGSL atomic built-ins.

Rule: a buffer touched by any `Atomic` is declared `array<atomic<i32|u32>>` (f32 data as
its u32 bits) and every other access to it goes through `atomicLoad`/`atomicStore`. WGSL
has no float atomics and only a weak compare-exchange, so float add/sub and CUDA's (strong)
`atomicCAS` become compare-exchange loops. A float16 (`__half`) buffer is packed two to a
`u32` word (packed.py): its `atomicAdd` is a compare-exchange loop on the containing word
that replaces only the element's 16-bit lane, as CuPy builds it from `atomicCAS`. A
64-bit integer buffer is `array<atomic<u32>>` of words, updated word by word (wide64.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import WIDE, float16, float32
from kernelc.ir.visit import walk

if TYPE_CHECKING:
    from kernelc.emit_wgsl.emitter import WgslEmitter

BUILTIN = {
    "add": "atomicAdd",
    "sub": "atomicSub",
    "exch": "atomicExchange",
    "min": "atomicMin",
    "max": "atomicMax",
    "and": "atomicAnd",
    "or": "atomicOr",
    "xor": "atomicXor",
}


def atomic_params(kernel: ir.Kernel) -> set[str]:
    bodies = (kernel.body, *(f.body for f in kernel.functions if not f.library))
    return {n.param for body in bodies for n in walk(body) if isinstance(n, ir.Atomic)}


def element_type(dt) -> str:
    """The atomic's type parameter: f32 data is held as its bits, 64-bit integers as
    pairs of u32 words."""
    return "u32" if dt is float32 or dt in WIDE else {"int32": "i32", "uint32": "u32"}[dt.name]


def load(em: WgslEmitter, ref: str, dt) -> str:
    value = f"atomicLoad({ref})"
    return f"bitcast<f32>({value})" if dt is float32 else value


def store(em: WgslEmitter, ref: str, dt, value: str) -> str:
    bits = f"bitcast<u32>({value})" if dt is float32 else value
    return f"atomicStore({ref}, {bits});"


def emit_atomic(em: WgslEmitter, s: ir.Atomic) -> None:
    p = em.param(s.param)
    if not s.legalised or not (p.is_output and p.kind is ir.ParamKind.RAW):
        raise em.ice(f"atomic on '{s.param}' is not a legalised raw-output atomic")
    if s.word is not None:  # one u32 word of a 64-bit integer (the 64-bit pass)
        ref = f"&{em.words(p.name, False)}[{em.word_pos(s.index, s.word)}]"
        call = f"{BUILTIN[s.op]}({ref}, {em.text(s.value)})"
        em.out.line(f"{em.lvalue(s.result)} = {call};" if s.result else f"{call};")
        return
    if s.value.dtype is not p.value_dtype or p.name not in em.atomics:
        raise em.ice(f"atomic on '{s.param}' does not match its parameter")
    ref = f"&{em.buffers[p.name]}[{em.text(s.index)}]"
    value = em.text(s.value)
    result = em.lvalue(s.result) if s.result else None
    if p.dtype is float16 and s.op == "add":
        call = f"{em.packed_atomic_add[p.name]}({em.text(s.index)}, {value})"
        em.out.line(f"{result} = {call};" if result else f"{call};")
    elif s.op == "cas":
        _compare_exchange(em, ref, em.text(s.compare), value, result)
    elif p.dtype is float32 and s.op in ("add", "sub"):
        sign = "+" if s.op == "add" else "-"
        _float_update(em, ref, lambda old: f"bitcast<f32>({old}) {sign} {value}", result)
    elif p.dtype is float32 and s.op == "exch":
        call = f"atomicExchange({ref}, bitcast<u32>({value}))"
        em.out.line(f"{result} = bitcast<f32>({call});" if result else f"{call};")
    elif s.op in BUILTIN and p.dtype is not float32:
        call = f"{BUILTIN[s.op]}({ref}, {value})"
        em.out.line(f"{result} = {call};" if result else f"{call};")
    else:
        raise em.ice(f"atomic {s.op} on {p.dtype.name}")


def _compare_exchange(em: WgslEmitter, ref: str, compare: str, value: str, result) -> None:
    """CUDA's atomicCAS is strong: retry while the weak exchange fails spuriously (it
    reports failure although the old value was the expected one)."""
    ptr, swap = em.temp("kc_ptr"), em.temp("kc_swap")
    em.out.line("{")
    with em.out.indented():
        em.out.line(f"let {ptr} = {ref};")
        em.out.line("loop {")
        with em.out.indented():
            em.out.line(f"let {swap} = atomicCompareExchangeWeak({ptr}, {compare}, {value});")
            em.out.line(f"if ({swap}.exchanged || {swap}.old_value != {compare}) {{")
            with em.out.indented():
                if result:
                    em.out.line(f"{result} = {swap}.old_value;")
                em.out.line("break;")
            em.out.line("}")
        em.out.line("}")
    em.out.line("}")


def _float_update(em: WgslEmitter, ref: str, new_value, result) -> None:
    """`x[k] = x[k] op v` on f32 bits with a compare-exchange loop."""
    ptr, bits, swap = em.temp("kc_ptr"), em.temp("kc_bits"), em.temp("kc_swap")
    new_bits = f"bitcast<u32>({new_value(bits)})"
    em.out.line("{")
    with em.out.indented():
        em.out.line(f"let {ptr} = {ref};")
        em.out.line(f"var {bits} = atomicLoad({ptr});")
        em.out.line("loop {")
        with em.out.indented():
            em.out.line(f"let {swap} = atomicCompareExchangeWeak({ptr}, {bits}, {new_bits});")
            em.out.line(f"if ({swap}.exchanged) {{")
            with em.out.indented():
                em.out.line("break;")
            em.out.line("}")
            em.out.line(f"{bits} = {swap}.old_value;")
        em.out.line("}")
        if result:
            em.out.line(f"{result} = bitcast<f32>({bits});")
    em.out.line("}")


def half_add_function(em: WgslEmitter, p: ir.Param, name: str) -> list[str]:
    """`fn name(pos: i32, value: f32) -> f32`: CUDA's atomicAdd on the float16 element
    `pos` (the old value, the sum rounded to half), by compare-exchange on its u32 word
    so that the other lane's concurrent updates are kept."""
    decode, encode = em.library_function("kc_f16_decode"), em.library_function("kc_f16_encode")
    return [
        f"fn {name}(pos: i32, value: f32) -> f32 {{",
        f"    let word = &{em.buffers[p.name]}[pos >> 1u];",
        "    let shift = u32(pos & 1i) * 16u;",
        "    var old = atomicLoad(word);",
        "    var before: f32;",
        "    loop {",
        f"        before = {decode}(extractBits(old, shift, 16u));",
        f"        let updated = insertBits(old, {encode}(before + value), shift, 16u);",
        "        let swap = atomicCompareExchangeWeak(word, old, updated);",
        "        if (swap.exchanged) {",
        "            break;",
        "        }",
        "        old = swap.old_value;",
        "    }",
        "    return before;",
        "}",
    ]
