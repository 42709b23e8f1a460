"""The WGSL printer: one compute entry point over storage buffers (docs/abi.md).

Rule: the input is a kernel legalised by `lower_array_access(kernel, "wgsl")`; this module
only spells it. Everything target-neutral lives in `kernelc.emit.base`.
"""

from __future__ import annotations

from kernelc.abi.contract import (
    ABI_VERSION,
    BASE,
    SIZE,
    WORKGROUP_SIZE,
    Binding,
    ComputeLaunch,
    Contract,
)
from kernelc.abi.layout import WGSL_STORAGE, held_type, packed_layout
from kernelc.emit.base import MATH_COMMON, Emitter, Prec, Printed, assigned_names, positive
from kernelc.emit_wgsl import atomics, packed
from kernelc.emit_wgsl.primitives import PRIMITIVES
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    WIDE,
    DType,
    bool_,
    float16,
    float32,
    int32,
    uint32,
    words64,
    words128,
)

_KINDS = {"i": "i32", "u": "u32", "f": "f32"}


def _bare_less_than(text: str) -> bool:
    """Whether `text` has a `<` outside brackets that may open a template list."""
    depth = 0
    for k, c in enumerate(text):
        depth += (c in "([") - (c in ")]")
        if c == "<" and depth == 0 and text[k + 1 : k + 2] not in ("<", "=") and text[k - 1] != "<":
            return True
    return False


class WgslEmitter(Emitter):
    TARGET = "wgsl"
    TYPE_MAP = {
        bool_: "bool",
        int32: "i32",
        uint32: "u32",
        float32: "f32",
        words64: "vec2<u32>",
        words128: "vec4<u32>",
    }
    INT_LITERAL = "{}i"
    UINT_LITERAL = "{}u"
    INT_MIN = "i32(-2147483648)"  # an abstract integer converted: `-2147483648i` overflows
    FLOAT_SUFFIX = "f"
    MATH = {**MATH_COMMON, "rsqrt": "inverseSqrt", "rint": "round"}  # WGSL round: to even
    CAST = {
        ("b", "i"): "i32",
        ("b", "u"): "u32",
        ("b", "f"): "f32",
        ("i", "u"): "u32",  # keeps the bits
        ("u", "i"): "i32",
        ("i", "f"): "f32",
        ("u", "f"): "f32",
        ("f", "i"): "kc_f2i",  # truncate, saturate, NaN -> 0
        ("f", "u"): "kc_f2u",
    }
    BITCAST = {(s, d): f"bitcast<{_KINDS[d]}>" for s in _KINDS for d in _KINDS if s != d}
    PRIMITIVES = PRIMITIVES
    CONST_HAZARDS = True
    MAIN_LOCALS = ("wg", "lid", "nwg", "gid", "i")

    def __init__(self, kernel: ir.Kernel):
        super().__init__(kernel)
        self.buffers: dict[str, str] = {}
        self.atomics = atomics.atomic_params(kernel)
        self.packed: dict[str, tuple[str, str | None]] = {}  # param -> (load fn, store fn)
        self.packed_atomic_add: dict[str, str] = {}  # float16 param -> its atomicAdd fn

    def temp(self, base: str) -> str:
        """A compiler temporary's name in the current scope."""
        return self.scope.namer.fresh(base, compiler=True)

    # -- expressions

    def local(self, name: str) -> Printed:
        if name in self.scope.refs:
            return Printed(f"*{self.local_name(name)}", Prec.UNARY)
        return super().local(name)

    def shift_count(self, count: ir.Expr, printed: Printed) -> Printed:
        """WGSL shifts by a u32; a constant count of 32 or more is a creation error, and
        run-time counts are taken modulo 32, so constants are reduced the same way."""
        if isinstance(count, ir.Const):
            return self.const(int(count.value) & 31, uint32)
        if count.dtype is int32:
            return self.call("u32", [printed])
        return printed

    def native_division(self, e: ir.Binary) -> bool:
        """WGSL's `/` and `%` truncate like C; only a zero divisor differs (x / 0 is x)."""
        return positive(e.rhs) or (isinstance(e.rhs, ir.Const) and e.rhs.value != 0)

    def infix(self, op: ir.BinaryOp, lhs: Printed, rhs: Printed) -> Printed:
        """WGSL reads `a < b >> c` as the template `a<b>` followed by `> c`: a `<` whose
        right operand has a `>` gets that operand in parentheses."""
        if op is ir.BinaryOp.LT and ">" in rhs.text and rhs.prec != Prec.PRIMARY:
            rhs = Printed(f"({rhs.text})", Prec.PRIMARY, rhs.const)
        return super().infix(op, lhs, rhs)

    def join_args(self, texts: list[str]) -> str:
        """In `f(b < c, d > e)` WGSL reads `b < c, d >` as a template list: an argument
        with a bare `<` is parenthesised when others follow it."""
        guarded = [f"({t})" if _bare_less_than(t) else t for t in texts[:-1]]
        return ", ".join(guarded + texts[-1:])

    def float_ne(self, lhs: Printed, rhs: Printed) -> Printed:
        """naga spells `!=` as an ordered comparison (false for NaN); `!(a == b)` is IEEE's."""
        return self.prefix("!", self.infix(ir.BinaryOp.EQ, lhs, rhs))

    def select(self, e: ir.Select) -> Printed:
        args = [self.expr(e.if_false), self.expr(e.if_true), self.expr(e.cond)]
        return self.call("select", args)

    def buffer(self, name: str, dt: DType, previous: bool) -> str:
        p = self.param(name)
        if previous or p.kind is ir.ParamKind.SCALAR or p.value_dtype is not dt:
            raise self.ice(f"buffer access to '{name}' does not match its parameter")
        if name in self.packed and name in self.atomics and p.dtype is not float16:
            raise self.ice(f"atomic on packed '{name}'")
        return self.buffers[name]

    def buffer_load(self, e: ir.BufferLoad) -> Printed:
        if e.param in self.packed:
            self.buffer(e.param, e.dtype, e.previous)
            return Printed(f"{self.packed[e.param][0]}({self.text(e.pos)})", Prec.PRIMARY)
        element = f"{self.buffer(e.param, e.dtype, e.previous)}[{self.text(e.pos)}]"
        if e.param in self.atomics:
            return Printed(atomics.load(self, "&" + element, e.dtype), Prec.PRIMARY)
        load = Printed(element, Prec.PRIMARY)
        if e.dtype is bool_:  # stored as a 0/1 u32
            return self.infix(ir.BinaryOp.NE, load, self.const(0, uint32))
        return load

    def word_load(self, e: ir.WordLoad) -> Printed:
        word = f"{self.words(e.param, e.previous)}[{self.word_pos(e.pos, e.word)}]"
        return Printed(f"atomicLoad(&{word})" if e.param in self.atomics else word, Prec.PRIMARY)

    def words(self, name: str, previous: bool) -> str:
        p = self.param(name)
        if previous or p.kind is ir.ParamKind.SCALAR or p.dtype not in WIDE:
            raise self.ice(f"word access to '{name}' does not match its parameter")
        return self.buffers[name]

    def word_pos(self, pos: ir.Expr, word: int) -> str:
        """The u32 index of word `word` of element `pos` (contract: low word first)."""
        index = self.infix(
            ir.BinaryOp.MUL, self.call("u32", [self.expr(pos)]), self.const(2, uint32)
        )
        if word:
            index = self.infix(ir.BinaryOp.ADD, index, self.const(word, uint32))
        return index.text

    # -- statements

    def word_store(self, s: ir.WordStore) -> None:
        if not self.param(s.param).is_output:
            raise self.ice(f"store to input '{s.param}'")
        buf = self.words(s.param, False)
        for word, value in enumerate((s.low, s.high)):
            ref = f"{buf}[{self.word_pos(s.pos, word)}]"
            if s.param in self.atomics:
                self.out.line(f"atomicStore(&{ref}, {self.text(value)});")
            else:
                self.out.line(f"{ref} = {self.text(value)};")

    def lvalue(self, name: str) -> str:
        return self.local(name).text

    def ref_arg(self, a: ir.Expr) -> str:
        if isinstance(a, ir.Local) and a.name in self.scope.refs:
            return self.local_name(a.name)  # already a pointer
        return "&" + super().ref_arg(a)

    def scalar_decl(self, s: ir.Declare, name: str, init: str) -> str:
        """`let` for locals never assigned after their declaration, else `var`."""
        kind = "var" if s.name in self.scope.assigned else "let"
        return f"{kind} {name}: {self.type_name(s.dtype)} = {init};"

    def array_decl(self, s: ir.Declare, name: str, items: list[str] | None) -> str:
        t = f"array<{self.type_name(s.dtype)}, {s.length}>"
        return (
            f"var {name}: {t};"
            if items is None
            else f"var {name}: {t} = {t}({self.join_args(items)});"
        )

    def loop(self, s: ir.Loop) -> None:
        self.out.line("loop {")
        with self.out.indented():
            self.stmts(s.body)
            if s.continuing:
                self.out.line("continuing {")
                with self.out.indented():
                    self.stmts(s.continuing)
                self.out.line("}")
        self.out.line("}")

    def buffer_store(self, s: ir.BufferStore) -> None:
        p = self.param(s.param)
        if not p.is_output:
            raise self.ice(f"store to input '{s.param}'")
        element = f"{self.buffer(s.param, s.value.dtype, False)}[{self.text(s.pos)}]"
        value = self.expr(s.value)
        if p.name in self.packed:
            self.out.line(f"{self.packed[p.name][1]}({self.text(s.pos)}, {value.text});")
            return
        if p.name in self.atomics:
            self.out.line(atomics.store(self, "&" + element, p.dtype, value.text))
            return
        if p.dtype is bool_:
            value = self.call("select", [self.const(0, uint32), self.const(1, uint32), value])
        self.out.line(f"{element} = {value.text};")

    def atomic(self, s: ir.Atomic) -> None:
        atomics.emit_atomic(self, s)

    # -- functions

    def function_head(self, f: ir.Function) -> str:
        """Parameters are immutable in WGSL: one that the body assigns is received under a
        `kc_in_` name and copied into a `var` by `function_prologue`."""
        assigned = assigned_names(f.body, self.funcs)
        self.param_copies: list[tuple[ir.FuncParam, str]] = []
        params = []
        for p in f.params:
            t = self.type_name(p.dtype)
            if p.is_ref:
                params.append(f"{self.bind(p.name)}: ptr<function, {t}>")
            elif p.name in assigned:
                received = self.scope.namer.fresh("kc_in_" + p.name, compiler=True)
                self.param_copies.append((p, received))
                params.append(f"{received}: {t}")
            else:
                params.append(f"{self.bind(p.name)}: {t}")
        ret = "" if f.return_dtype is None else f" -> {self.type_name(f.return_dtype)}"
        return f"fn {self.func_names[f.name]}({', '.join(params)}){ret}"

    def function_prologue(self, f: ir.Function) -> None:
        for p, received in self.param_copies:
            self.out.line(f"var {self.bind(p.name)}: {self.type_name(p.dtype)} = {received};")

    # -- the program

    def declare_globals(self) -> None:
        for p in self.kernel.arrays:
            self.buffers[p.name] = self.globals.fresh("b_" + p.name)
        for p in packed.packed_params(self.kernel):
            load = self.globals.fresh("kc_load_" + p.name, compiler=True)
            store = self.globals.fresh("kc_store_" + p.name, compiler=True) if p.is_output else None
            self.packed[p.name] = (load, store)
            if p.name in self.atomics:  # __half atomicAdd
                self.packed_atomic_add[p.name] = self.globals.fresh(
                    "kc_atomic_add_" + p.name, compiler=True
                )

    def header(self) -> str:
        lines = [f"// kernel {self.kernel.name}: generated by kernelc (ABI {ABI_VERSION})", ""]
        lines.append("struct KcParams {")
        lines += [f"    {m.name}: {held_type(m.type)}," for m in self.uniforms]
        lines += ["}", "", "@group(0) @binding(0) var<uniform> u: KcParams;"]
        for k, p in enumerate(self.kernel.arrays, start=1):
            access = "read_write" if p.is_output else "read"
            element = WGSL_STORAGE[p.dtype]
            if p.name in self.packed and p.is_output:
                element = "atomic<u32>"
            elif p.name in self.atomics:
                element = f"atomic<{atomics.element_type(p.dtype)}>"
            storage = f"var<storage, {access}> {self.buffers[p.name]}: array<{element}>;"
            lines.append(f"@group(0) @binding({k}) {storage}")
        for p in packed.packed_params(self.kernel):
            load, store = self.packed[p.name]
            lines += ["", *packed.load_function(self, p, load)]
            if store is not None:
                lines += ["", *packed.store_function(self, p, store)]
            if p.name in self.packed_atomic_add:
                lines += ["", *atomics.half_add_function(self, p, self.packed_atomic_add[p.name])]
        return "\n".join(lines) + "\n"

    def main(self) -> str:
        self.main_scope()
        w = self.out
        w.line(f"@compute @workgroup_size({WORKGROUP_SIZE})")
        w.line("fn main(")
        with w.indented():
            w.line("@builtin(workgroup_id) wg: vec3<u32>,")
            w.line("@builtin(local_invocation_id) lid: vec3<u32>,")
            w.line("@builtin(num_workgroups) nwg: vec3<u32>,")
        w.line(") {")
        with w.indented():
            base = self.uniform(BASE).text  # the launch's first element
            w.line(f"let gid = u32({base}) + (wg.y * nwg.x + wg.x) * {WORKGROUP_SIZE}u + lid.x;")
            w.line(f"if (gid >= u32({self.uniform(SIZE).text})) {{")
            with w.indented():
                w.line("return;")
            w.line("}")
            w.line("let i = i32(gid);")
            self.stmts(self.kernel_body())
        w.line("}")
        return w.text()

    def abi(self) -> Contract:
        fields = self.contract_fields()
        return Contract(
            **fields,
            entry_point="main",
            bindings=(
                Binding(binding=0, resource="uniform", size=fields["uniform_size"]),
                *(self.binding(k, p) for k, p in enumerate(self.kernel.arrays, start=1)),
            ),
            launch=ComputeLaunch(),
        )

    def binding(self, k: int, p: ir.Param) -> Binding:
        """The storage binding of array parameter `p` (element i of a 64-bit one: u32
        words 2i (low) and 2i + 1)."""
        return Binding(
            binding=k,
            resource="storage",
            param=p.name,
            access="read_write" if p.is_output else "read",
            element=WGSL_STORAGE[p.dtype],
            packed=packed_layout(p.dtype) if p.name in self.packed else None,
            words_of=p.dtype.name if p.dtype in WIDE else None,
        )
