"""The GLSL ES 3.00 printer: one fragment shader per kernel, inputs as textures read with
`texelFetch`, outputs as render targets (docs/abi.md).

Rule: the input is a kernel legalised by `lower_array_access(kernel, "glsl")`; this module
only spells it. Everything target-neutral lives in `kernelc.emit.base`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.abi import contract as abi
from kernelc.abi.contract import ABI_VERSION, OUT_WIDTH, SIZE, Contract, FragmentLaunch
from kernelc.abi.layout import GLSL_FORMAT, WORD_TYPES
from kernelc.emit.base import (
    MATH_COMMON,
    Emitter,
    Prec,
    Printed,
    falls_through,
    non_negative,
    positive,
)
from kernelc.emit_glsl.primitives import PRIMITIVES
from kernelc.errors import UnsupportedOnTarget
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    WIDE,
    DType,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    words64,
    words128,
)
from kernelc.lib.shaders import device_shader
from kernelc.targets import GLSL

MAX_OUTPUTS = GLSL.max_outputs
MAX_TEXTURES = GLSL.texture_units
MAX_WIDTH = GLSL.texture_width

VERTEX_SHADER = device_shader("vertex.glsl")

# What a texel (and a render target's `out`) holds, by storage dtype: bool is a 0/1 uint,
# 8/16-bit formats give the 32-bit kind (R8UI reads as uint, R16F as float).
_TEXEL = {
    bool_: uint32,
    int8: int32,
    int16: int32,
    int32: int32,
    uint8: uint32,
    uint16: uint32,
    uint32: uint32,
    float16: float32,
    float32: float32,
    int64: uint32,
    uint64: uint32,
    float64: uint32,
}
_CHANNELS = ("r", "g")  # of a 64-bit element's RG32UI texel: low word, high word
ORDERED = frozenset({ir.BinaryOp.LT, ir.BinaryOp.LE, ir.BinaryOp.GT, ir.BinaryOp.GE})
_SAMPLER = {float32: "sampler2D", int32: "isampler2D", uint32: "usampler2D"}
_STORED = {float32: "float", int32: "int", uint32: "uint", bool_: "uint"}
# A uniform member's declared type (a 64-bit scalar's words are uints).
_MEMBER_TYPE = {"f32": "float", "i32": "int", "u32": "uint"} | dict.fromkeys(WORD_TYPES, "uint")


@dataclass(frozen=True, slots=True)
class Texture:
    param: ir.Param
    name: str
    contents: str  # "array" or "previous"


@dataclass
class LoopFrame:
    """A loop being printed: GLSL has no `continuing`, so its statements are printed once
    (on first need) and the lines copied before each `continue` and at the body's end."""

    continuing: tuple[ir.Stmt, ...]
    lines: list[tuple[int, str]] | None = None


class GlslEmitter(Emitter):
    TARGET = "glsl"
    TYPE_MAP = {
        bool_: "bool",
        int32: "int",
        uint32: "uint",
        float32: "float",
        words64: "uvec2",
        words128: "uvec4",
    }
    INT_LITERAL = "{}"
    UINT_LITERAL = "{}u"
    INT_MIN = "(-2147483647 - 1)"  # 2147483648 is not an int literal
    FLOAT_SUFFIX = ""
    MATH = {**MATH_COMMON, "rsqrt": "inversesqrt", "rint": "roundEven"}
    CAST = {
        ("b", "i"): "int",
        ("b", "u"): "uint",
        ("b", "f"): "float",
        ("i", "u"): "uint",  # keeps the bits
        ("u", "i"): "int",
        ("i", "f"): "float",
        ("u", "f"): "float",
        ("f", "i"): "kc_f2i",  # truncate, saturate, NaN -> 0 (int(f) is undefined outside)
        ("f", "u"): "kc_f2u",
    }
    BITCAST = {
        ("f", "i"): "floatBitsToInt",
        ("f", "u"): "floatBitsToUint",
        ("i", "f"): "intBitsToFloat",
        ("u", "f"): "uintBitsToFloat",
        ("i", "u"): "uint",
        ("u", "i"): "int",
    }
    PRIMITIVES = PRIMITIVES

    def __init__(self, kernel: ir.Kernel, group: tuple[str, ...] | None = None):
        """`group`: the outputs this shader renders (an output group, see `groups.py`);
        None renders them all. The others are computed into locals and dropped."""
        super().__init__(kernel)
        self.textures: dict[tuple[str, bool], Texture] = {}  # (param, previous)
        self.outputs: dict[str, str] = {}
        self.group = group
        self.widths: dict[str, str] = {}  # texture -> hoisted width local (in main)
        self.loops: list[LoopFrame] = []

    # -- expressions

    def shift_count(self, count: ir.Expr, printed: Printed) -> Printed:
        """GLSL leaves counts outside 0..31 undefined; reduce them as WGSL does."""
        if isinstance(count, ir.Const):
            return self.const(int(count.value) & 31, count.dtype)
        return self.infix(ir.BinaryOp.AND, printed, self.const(31, count.dtype))

    def native_division(self, e: ir.Binary) -> bool:
        """GLSL leaves `%` of negative operands and `/ 0` undefined; index arithmetic on
        sizes and shapes is non-negative, so it stays native."""
        return positive(e.rhs) and (e.dtype is uint32 or non_negative(e.lhs))

    def binary(self, e: ir.Binary) -> Printed:
        """An ordered comparison of two run-time floats compares with an opaque copy of its
        right operand: Mesa turns `x < y ? x : y` (and the same if/else) into min(x, y),
        which returns x where C returns y = NaN; through the copy, the compared value is
        no longer the selected one. A constant operand is never NaN, so min/max agree."""
        runtime = not isinstance(e.lhs, ir.Const) and not isinstance(e.rhs, ir.Const)
        if e.op in ORDERED and e.lhs.dtype is float32 and runtime:
            return self.infix(e.op, self.expr(e.lhs), self.opaque(self.expr(e.rhs), float32))
        return super().binary(e)

    def select(self, e: ir.Select) -> Printed:
        c, t, f = self.expr(e.cond), self.expr(e.if_true), self.expr(e.if_false)

        def arm(p: Printed) -> str:
            return p.text if p.prec > Prec.SELECT else f"({p.text})"

        return Printed(f"{arm(c)} ? {arm(t)} : {arm(f)}", Prec.SELECT)

    def buffer_load(self, e: ir.BufferLoad) -> Printed:
        tex = self.textures.get((e.param, e.previous))
        if tex is None or tex.param.value_dtype is not e.dtype:
            raise self.ice(f"texture read of '{e.param}' does not match its parameter")
        load = self.texel_fetch(tex, self.expr(e.pos))
        if e.dtype is bool_:  # stored as a 0/1 uint
            return self.infix(ir.BinaryOp.NE, load, self.const(0, uint32))
        if _TEXEL[tex.param.dtype] is not e.dtype:  # uint8/uint16 are computed as int
            return self.call(self.type_name(e.dtype), [load])
        return load

    def texel_fetch(self, tex: Texture, pos: Printed, channels: str = "r") -> Printed:
        width = self.widths.get(tex.name) or f"textureSize({tex.name}, 0).x"
        texel = self.call("kc_texel", [pos, Printed(width, Prec.PRIMARY)])
        return Printed(f"texelFetch({tex.name}, {texel.text}, 0).{channels}", Prec.PRIMARY)

    def word_load(self, e: ir.WordLoad) -> Printed:
        tex = self.textures.get((e.param, e.previous))
        if tex is None or tex.param.dtype not in WIDE:
            raise self.ice(f"word read of '{e.param}' does not match its parameter")
        return self.texel_fetch(tex, self.expr(e.pos), _CHANNELS[e.word])

    def initial_output(self, p: ir.Param) -> str:
        """What an output holds until the body writes it: its old contents where they may
        survive (`reads_old`), else 0, so that no path leaves it undefined."""
        previous = self.textures.get((p.name, True))
        channels = "rg" if p.dtype in WIDE else "r"
        if previous is not None:
            return self.texel_fetch(previous, Printed("i", Prec.PRIMARY), channels).text
        return "uvec2(0u)" if p.dtype in WIDE else self.zero(_TEXEL[p.dtype]).text

    # -- statements

    def scalar_decl(self, s: ir.Declare, name: str, init: str) -> str:
        return f"{self.type_name(s.dtype)} {name} = {init};"

    def array_decl(self, s: ir.Declare, name: str, items: list[str] | None) -> str:
        t, n = self.type_name(s.dtype), s.length
        return (
            f"{t} {name}[{n}];"
            if items is None
            else f"{t} {name}[{n}] = {t}[{n}]({', '.join(items)});"
        )

    def zero_fill(self, name: str, dt: DType, n: int) -> None:
        k = self.scope.namer.fresh("kc_k", compiler=True)
        self.out.line(f"for (int {k} = 0; {k} < {n}; {k}++) {{")
        with self.out.indented():
            self.out.line(f"{name}[{k}] = {self.zero(dt).text};")
        self.out.line("}")

    def loop(self, s: ir.Loop) -> None:
        self.loops.append(LoopFrame(s.continuing))
        self.out.line("for (;;) {")
        with self.out.indented():
            self.stmts(s.body)
            if s.continuing and falls_through(s.body):
                self.out.extend(self.continuing_lines())
        self.out.line("}")
        self.loops.pop()

    def continuing_lines(self) -> list[tuple[int, str]]:
        frame = self.loops[-1]
        if frame.lines is None:
            saved = self.out
            self.out = type(saved)()
            self.stmts(frame.continuing)
            frame.lines, self.out = self.out.lines, saved
        return frame.lines

    def continue_(self) -> None:
        if not self.loops:
            raise self.ice("continue outside a loop")
        self.out.extend(self.continuing_lines())
        self.out.line("continue;")

    def output_store(self, s: ir.OutputStore) -> None:
        if s.param not in self.outputs:
            raise self.ice(f"output store to '{s.param}', which is not an output")
        value = self.expr(s.value)
        stored = _TEXEL[self.param(s.param).dtype]
        if s.value.dtype is not stored:  # bool as 0/1, uint8/uint16 from their int value
            value = self.call(self.type_name(stored), [value])
        self.out.line(f"{self.outputs[s.param]} = {value.text};")

    def output_words(self, s: ir.OutputWords) -> None:
        if s.param not in self.outputs or self.param(s.param).dtype not in WIDE:
            raise self.ice(f"word output to '{s.param}', which is not a 64-bit output")
        low, high = self.text(s.low), self.text(s.high)
        self.out.line(f"{self.outputs[s.param]} = uvec2({low}, {high});")

    # -- functions

    def function_head(self, f: ir.Function) -> str:
        params = []
        for p in f.params:
            qualifier = "inout " if p.is_ref else ""
            params.append(f"{qualifier}{self.type_name(p.dtype)} {self.bind(p.name)}")
        ret = "void" if f.return_dtype is None else self.type_name(f.return_dtype)
        return f"{ret} {self.func_names[f.name]}({', '.join(params)})"

    # -- the program

    def declare_globals(self) -> None:
        for p in self.kernel.arrays:
            if not p.is_output:
                self._texture(p, "t_", "array")
        for p in self.kernel.arrays:
            if p.is_output and p.reads_old:
                self._texture(p, "tp_", "previous")
        for p in self.kernel.arrays:
            if p.is_output:
                self.outputs[p.name] = self.globals.fresh("o_" + p.name)
        self._check_limits()

    def _texture(self, p: ir.Param, prefix: str, contents: str) -> None:
        tex = Texture(p, self.globals.fresh(prefix + p.name), contents)
        self.textures[(p.name, contents == "previous")] = tex

    def _check_limits(self) -> None:
        """At most 4 render targets per shader and 16 textures; the error points at the
        first parameter over the limit when lowering recorded its span
        (`kernel.spans[p.name]`). Elementwise kernels with more outputs are split into
        output groups before they get here; a reduction's final pass cannot be."""
        outputs = [p for p in self.kernel.arrays if p.is_output and self.renders(p.name)]
        inputs = [t.param for t in self.textures.values()]
        if len(outputs) > MAX_OUTPUTS:
            raise self.refuse(
                outputs[MAX_OUTPUTS],
                f"kernel '{self.kernel.name}' has {len(outputs)} outputs: a WebGL2 fragment "
                f"shader writes at most {MAX_OUTPUTS} render targets",
                ("split the kernel, or translate for WGSL",),
            )
        if len(inputs) > MAX_TEXTURES:
            raise self.refuse(
                inputs[MAX_TEXTURES],
                f"kernel '{self.kernel.name}' needs {len(inputs)} textures: WebGL2 "
                f"guarantees {MAX_TEXTURES} texture units per fragment shader",
                ("pass fewer arrays, or translate for WGSL",),
            )

    def renders(self, param: str) -> bool:
        return self.group is None or param in self.group

    def render_targets(self) -> list[tuple[str, str]]:
        """(param, `out` variable) of the outputs this shader renders, in location order."""
        return [(p, name) for p, name in self.outputs.items() if self.renders(p)]

    def refuse(self, p: ir.Param, message: str, notes: tuple[str, ...]) -> UnsupportedOnTarget:
        span = self.kernel.spans.get(p.name)
        return UnsupportedOnTarget(message, span, notes=notes, kernel=self.kernel.name)

    def header(self) -> str:
        lines = [
            "#version 300 es",
            f"// kernel {self.kernel.name}: generated by kernelc (ABI {ABI_VERSION})",
        ]
        kinds = ("float", "int", "sampler2D", "isampler2D", "usampler2D")
        lines += [f"precision highp {t};" for t in kinds]
        lines += ["", "layout(std140) uniform KcParams {"]
        lines += [f"    highp {_MEMBER_TYPE[m.type]} {m.name};" for m in self.uniforms]
        lines += ["} u;", ""]
        for tex in self.textures.values():
            lines.append(f"uniform highp {_SAMPLER[_TEXEL[tex.param.dtype]]} {tex.name};")
        if self.textures:
            lines.append("")
        for k, (param, name) in enumerate(self.render_targets()):
            stored = self.output_type(self.param(param))
            lines.append(f"layout(location = {k}) out highp {stored} {name};")
        return "\n".join(lines).rstrip("\n") + "\n"

    def main(self) -> str:
        self.main_scope()
        w = self.out
        w.line("void main() {")
        with w.indented():
            n, width = self.uniform(SIZE).text, self.uniform(OUT_WIDTH).text
            w.line(f"int i = int(gl_FragCoord.y) * {width} + int(gl_FragCoord.x);")
            w.line(f"if (i >= {n}) {{")
            with w.indented():
                w.line("discard;")
            w.line("}")
            for tex in self.textures.values():
                local = self.scope.namer.fresh(f"kc_w_{tex.name}", compiler=True)
                self.widths[tex.name] = local
                w.line(f"int {local} = textureSize({tex.name}, 0).x;")
            for param, name in self.outputs.items():
                if self.renders(param):
                    w.line(f"{name} = {self.initial_output(self.param(param))};")
                else:  # another group's output: computed, never rendered
                    p = self.param(param)
                    zero = "uvec2(0u)" if p.dtype in WIDE else self.zero(_TEXEL[p.dtype]).text
                    w.line(f"{self.output_type(p)} {name} = {zero};")
            self.stmts(self.kernel_body())
        w.line("}")
        return w.text()

    @staticmethod
    def output_type(p: ir.Param) -> str:
        """A render target's `out` type: a 64-bit element is both words of its texel."""
        return "uvec2" if p.dtype in WIDE else _STORED[_TEXEL[p.dtype]]

    def abi(self) -> Contract:
        return Contract(
            **self.contract_fields(),
            textures=self.texture_records(),
            outputs=self.render_target_records(),
            uniform_block=abi.UniformBlock(name="KcParams", binding=0),
            launch=FragmentLaunch(
                vertex_shader=VERTEX_SHADER,
                max_width=MAX_WIDTH,
                lanes=self.kernel.lanes if self.kernel.lanes > 1 else None,
            ),
        )

    def texture_records(self) -> tuple[abi.Texture, ...]:
        return tuple(
            abi.Texture(
                unit=k,
                name=t.name,
                param=t.param.name,
                format=GLSL_FORMAT[t.param.dtype],
                contents=t.contents,
            )
            for k, t in enumerate(self.textures.values())
        )

    def render_target_records(self) -> tuple[abi.RenderTarget, ...]:
        return tuple(
            abi.RenderTarget(
                location=k, name=name, param=p, format=GLSL_FORMAT[self.param(p).dtype]
            )
            for k, (p, name) in enumerate(self.render_targets())
        )
