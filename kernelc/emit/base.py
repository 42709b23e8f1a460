"""Shared machinery of the WGSL and GLSL emitters: names, text, primitives, and the C-like
expression and statement printer both targets specialise.

Rule: a target is a subclass that fills class-level tables (`TYPE_MAP`, `MATH`, `CAST`,
`BITCAST`, literal spellings, `PRIMITIVES`) and a few hooks; the walk over the IR,
parenthesisation, naming and primitive bookkeeping live here once. Library functions
(`kernelc.lib`) arrive linked into the kernel and are printed like any other function. A node that no table or hook handles raises
`InternalCompilerError`; there is no silent fallback.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import ClassVar

from kernelc.abi.contract import (
    REDUCE_SIZE,
    SIZE,
    Contract,
    UniformMember,
    ValueKey,
    array_key,
    loop_shape,
    reduce_shape,
    scalar_value,
)
from kernelc.abi.layout import declared_uniforms, param_records, uniform_size, word_of
from kernelc.emit.text import (
    HelperLibrary,
    Namer,
    Writer,
    f32_digits,
    f32_value,
    reserved_words,
    sanitize,
)
from kernelc.errors import InternalCompilerError
from kernelc.ir import builtins
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType, bool_, float32, int32, uint32
from kernelc.ir.visit import function_facts, walk

__all__ = ["Emitter", "HelperLibrary", "Namer", "Prec", "Printed", "Writer", "sanitize"]

SMALL_ARRAY = 16  # arrays up to this length are initialised with one constructor

# ---------------------------------------------------------------------------- expressions


class Prec(IntEnum):
    """Binding strength of a printed expression (higher binds tighter)."""

    TOP = 0
    SELECT = 2  # GLSL `c ? t : f`
    LOR = 3
    LAND = 4
    BOR = 5
    BXOR = 6
    BAND = 7
    CMP = 8  # the six comparisons: one level, never chained
    SHIFT = 9
    ADD = 10
    MUL = 11
    UNARY = 12
    PRIMARY = 13


B = ir.BinaryOp
BIN_PREC = {
    B.ADD: Prec.ADD,
    B.SUB: Prec.ADD,
    B.MUL: Prec.MUL,
    B.DIV: Prec.MUL,
    B.REM: Prec.MUL,
    B.SHL: Prec.SHIFT,
    B.SHR: Prec.SHIFT,
    B.AND: Prec.BAND,
    B.OR: Prec.BOR,
    B.XOR: Prec.BXOR,
    B.LAND: Prec.LAND,
    B.LOR: Prec.LOR,
    **{op: Prec.CMP for op in ir.COMPARISONS},
}
BIN_SPELLING = {
    B.ADD: "+",
    B.SUB: "-",
    B.MUL: "*",
    B.DIV: "/",
    B.REM: "%",
    B.SHL: "<<",
    B.SHR: ">>",
    B.AND: "&",
    B.OR: "|",
    B.XOR: "^",
    B.LT: "<",
    B.LE: "<=",
    B.GT: ">",
    B.GE: ">=",
    B.EQ: "==",
    B.NE: "!=",
    B.LAND: "&&",
    B.LOR: "||",
}
# `&`, `|`, `^` on bool: both operands are pure, so the logical forms mean the same.
BOOL_BITWISE = {B.AND: B.LAND, B.OR: B.LOR, B.XOR: B.NE}
# Operations that may overflow, divide by zero or leave a domain: on constant operands
# WGSL evaluates them at shader creation and rejects the shader.
CONST_HAZARD_OPS = frozenset({B.ADD, B.SUB, B.MUL, B.DIV, B.REM, B.SHL, B.SHR})


@dataclass(frozen=True, slots=True)
class Printed:
    """A printed expression: text, binding strength, whether the target would see a
    constant expression, and the binary operator at its root (for chains)."""

    text: str
    prec: Prec
    const: bool = False
    op: ir.BinaryOp | None = None


def operand_fits(op: ir.BinaryOp, left: bool, child: Printed) -> bool:
    """Whether `child` may stand unparenthesised as an operand of `op`. The rules are
    WGSL's grammar (stricter than C: shift and bitwise operands are unary expressions,
    comparisons never chain, `&&`/`||` never mix with each other or with bitwise ops);
    they are valid C precedence too, and read clearly."""
    level = BIN_PREC[op]
    if level in (Prec.ADD, Prec.MUL):
        return child.prec > level or (left and child.prec == level)
    if level == Prec.SHIFT:
        return child.prec >= Prec.UNARY
    if level == Prec.CMP:
        return child.prec >= Prec.SHIFT
    if left and child.op is op:
        return True
    return child.prec >= (Prec.UNARY if level in (Prec.BAND, Prec.BOR, Prec.BXOR) else Prec.CMP)


def paren(p: Printed, fits: bool) -> str:
    return p.text if fits else f"({p.text})"


# Built-in math by meaning -> the target's native function; `fn.kind` keys the generic ones
# by operand kind; "" means the operand itself. Targets add the entries that differ. A
# built-in without an entry is computed by the shader library (`kernelc.lib.link`).
MATH_COMMON: dict[str, str] = {
    **{n: n for n in "sqrt sin cos tan floor ceil trunc".split()},
    **{"native_" + n: n for n in ("exp", "exp2", "log", "log2", "min", "max")},
    "fabs": "abs",
    "abs.f": "abs",
    "abs.i": "abs",
    "abs.u": "",
    "min.i": "min",
    "min.u": "min",
    "max.i": "max",
    "max.u": "max",
}


# ---------------------------------------------------------------------------- analyses


def breaks_out(stmts: tuple[ir.Stmt, ...]) -> bool:
    """Whether a `Break` in `stmts` leaves the loop they belong to (not a nested one)."""
    for s in stmts:
        if isinstance(s, ir.Break):
            return True
        if isinstance(s, ir.If) and (breaks_out(s.then) or breaks_out(s.else_)):
            return True
    return False


def falls_through(stmts: tuple[ir.Stmt, ...]) -> bool:
    """Whether control can reach the end of `stmts`."""
    for s in stmts:
        match s:
            case ir.Return() | ir.Break() | ir.Continue():
                return False
            case ir.If(then=then, else_=else_) if not (falls_through(then) or falls_through(else_)):
                return False
            case ir.Loop(body=body) if not breaks_out(body):
                return False
    return True


def call_order(functions: tuple[ir.Function, ...]) -> list[ir.Function]:
    """The functions, each after every function it calls or library function it uses
    (stable; recursion is an ICE)."""
    by_name: dict[str, ir.Function] = {}
    for f in functions:
        if f.name in by_name:
            raise InternalCompilerError(f"function '{f.name}' defined twice")
        by_name[f.name] = f
    order: list[ir.Function] = []
    state: dict[str, str] = {}

    def visit(f: ir.Function) -> None:
        if state.get(f.name) == "active":
            raise InternalCompilerError(f"function '{f.name}' is recursive")
        if f.name in state:
            return
        state[f.name] = "active"
        for callee in function_facts(f)[0]:
            if callee not in by_name:
                raise InternalCompilerError(f"call of undefined function '{callee}'")
            visit(by_name[callee])
        state[f.name] = "done"
        order.append(f)

    for f in functions:
        visit(f)
    return order


def is_int_to_float(x: ir.Expr) -> bool:
    """A run-time integer converted to float (a driver may know the integer is 0)."""
    return (
        isinstance(x, ir.Cast)
        and x.dtype is float32
        and x.operand.dtype.is_int
        and not isinstance(x.operand, ir.Const)
    )


def assigned_names(stmts: tuple[ir.Stmt, ...], funcs: dict[str, ir.Function]) -> set[str]:
    """Locals that `stmts` write: assignments, call and atomic results, by-reference
    arguments."""
    out: set[str] = set()
    for n in walk(stmts):
        match n:
            case ir.Assign(name=name) | ir.AssignElem(name=name):
                out.add(name)
            case ir.Atomic(result=result) if result:
                out.add(result)
            case ir.Call(func=func, args=args, result=result):
                out.update([result] if result else [])
                params = funcs[func].params if func in funcs else ()
                out.update(a.name for p, a in zip(params, args) if p.is_ref and hasattr(a, "name"))
    return out


def positive(e: ir.Expr) -> bool:
    """Known > 0 wherever it is evaluated: a loop or array extent is 0 only when no element
    runs (or none may be indexed)."""
    match e:
        case ir.Const(value=v):
            return v > 0
        case ir.LoopSize() | ir.LoopShape() | ir.ReduceSize() | ir.ReduceShape():
            return True
        case ir.ArrayInfo(what="size" | "shape"):
            return True
        case ir.Cast(operand=v, dtype=d) if d in (int32, uint32) and v.dtype in (int32, uint32):
            return positive(v)  # a positive int32 keeps its value as either
    return False


def non_negative(e: ir.Expr) -> bool:
    match e:
        case ir.Const(value=v):
            return v >= 0
        case ir.LoopIndex() | ir.ReduceIndex():
            return True
        case ir.Binary(op=B.DIV | B.REM, lhs=lhs, rhs=rhs):
            return non_negative(lhs) and positive(rhs)
    return e.dtype is uint32 or positive(e)


RED_INDEX = "kc_red_j"  # the local holding `ReduceIndex` (J) in the reduction shells
# Printed library functions: (emitter class, id, names met, callees) -> (function, text, primitives)
_PRINTED: dict[tuple, tuple[ir.Function, str, frozenset[str]]] = {}


# ---------------------------------------------------------------------------- the printer


@dataclass
class Scope:
    """The locals of the function (or kernel body, `function` None) being printed."""

    namer: Namer
    function: ir.Function | None = None
    names: dict[str, str] = field(default_factory=dict)
    refs: frozenset[str] = frozenset()
    assigned: frozenset[str] = frozenset()  # locals written after their declaration
    loop_index: str | None = None


class Emitter:
    """Prints one legalised kernel; targets subclass it (see the module docstring)."""

    TARGET: ClassVar[str]
    TYPE_MAP: ClassVar[dict[DType, str]]
    INT_LITERAL: ClassVar[str]  # format of an int32 literal
    UINT_LITERAL: ClassVar[str]
    INT_MIN: ClassVar[str]  # -2**31 cannot be a literal
    FLOAT_SUFFIX: ClassVar[str]
    BINARY_OP: ClassVar[dict[ir.BinaryOp, str]] = BIN_SPELLING
    MATH: ClassVar[dict[str, str]]
    CAST: ClassVar[dict[tuple[str, str], str]]  # (from kind, to kind) -> function
    BITCAST: ClassVar[dict[tuple[str, str], str]]
    PRIMITIVES: ClassVar[HelperLibrary]
    CONST_HAZARDS: ClassVar[bool] = False  # constant-only operations may be rejected
    MAIN_LOCALS: ClassVar[tuple[str, ...]] = ("i",)  # the entry point's own names
    SHELL: ClassVar[str] = "elementwise"  # whose uniform block (abi.layout.declared_uniforms)
    in_library = False  # printing a shader-library function (its constants stay literal)

    def __init__(self, kernel: ir.Kernel):
        self.kernel = kernel
        self.out = Writer()
        self.primitives_used: set[str] = set()
        self.globals = Namer(reserved_words() | self.PRIMITIVES.names)
        self.funcs = {f.name: f for f in kernel.functions}
        self.func_names: dict[str, str] = {}
        self.scope = Scope(self.globals.child())
        # The declared block, each member under its printed name (never a reserved word).
        names = Namer(reserved_words())
        self.uniforms: tuple[UniformMember, ...] = tuple(
            replace(m, name=names.fresh(m.name, compiler=True))
            for m in declared_uniforms(kernel, self.TARGET, self.SHELL)
        )
        self.members = {(m.key, word_of(m)): m.name for m in self.uniforms}
        self.uniform_instance = "u"

    # -- errors and bookkeeping

    def unhandled(self, node: object) -> InternalCompilerError:
        return InternalCompilerError(f"emit_{self.TARGET}: unhandled {type(node).__name__}")

    def ice(self, message: str) -> InternalCompilerError:
        return InternalCompilerError(f"emit_{self.TARGET}: {message}")

    def use(self, primitive: str) -> None:
        if primitive not in self.PRIMITIVES.names:
            raise self.ice(f"no primitive {primitive}")
        self.primitives_used.add(primitive)

    def library_function(self, name: str) -> str:
        """The printed name of linked library function `name` (one the emitter calls
        itself must be among the target's `library_roots`)."""
        if name not in self.funcs:
            raise self.ice(f"library function {name} is not linked")
        return self.func_names[name]

    def type_name(self, dt: DType) -> str:
        if dt not in self.TYPE_MAP:
            raise self.ice(f"dtype {dt.name} is not a computation type")
        return self.TYPE_MAP[dt]

    def param(self, name: str) -> ir.Param:
        try:
            return self.kernel.param(name)
        except KeyError:
            raise self.ice(f"unknown parameter '{name}'") from None

    # -- expressions

    def text(self, e: ir.Expr) -> str:
        return self.expr(e).text

    def expr(self, e: ir.Expr) -> Printed:
        match e:
            case ir.Const(value=value, dtype=dt):
                return self.const(value, dt)
            case ir.Local(name=name):
                return self.local(name)
            case ir.LocalElem(name=name, index=index):
                return Printed(f"{self.local_name(name)}[{self.text(index)}]", Prec.PRIMARY)
            case ir.ScalarArg():
                return self.scalar_arg(e)
            case ir.LoopIndex():
                if self.scope.loop_index is None:
                    raise self.ice("LoopIndex outside the kernel body")
                return Printed(self.scope.loop_index, Prec.PRIMARY)
            case ir.LoopSize():
                return self.uniform(SIZE)
            case ir.LoopShape(axis=axis):
                return self.uniform(loop_shape(axis))
            case ir.ReduceIndex():
                return self.local(RED_INDEX)  # J, a local of the reduction shell
            case ir.ReduceSize():
                return self.uniform(REDUCE_SIZE)
            case ir.ReduceShape(axis=axis):
                return self.uniform(reduce_shape(axis))
            case ir.ArrayInfo(param=p, what=what, axis=axis):
                return self.uniform(array_key(p, what, axis))
            case ir.BufferLoad():
                return self.buffer_load(e)
            case ir.WordLoad():
                return self.word_load(e)
            case ir.ScalarWord(param=p, word=word, component=c):
                return self.uniform(scalar_value(p, c), word)
            case ir.Words(words=words):
                return self.call(self.type_name(e.dtype), [self.expr(w) for w in words])
            case ir.WordOf(operand=x, word=word):
                return Printed(f"{self.expr(x).text}.{'xyzw'[word]}", Prec.PRIMARY)
            case ir.Unary():
                return self.unary(e)
            case ir.Binary():
                return self.binary(e)
            case ir.Cast():
                return self.cast(e)
            case ir.Bitcast():
                return self.bitcast(e)
            case ir.Select():
                return self.select(e)
            case ir.Math():
                return self.math(e)
            case ir.LibCall():
                return self.lib_call(e)
        raise self.unhandled(e)

    def const(self, value: int | float | bool, dt: DType) -> Printed:
        if dt is bool_:
            return Printed("true" if value else "false", Prec.PRIMARY, const=True)
        if dt is float32:
            return self.float_const(float(value))
        lo, hi = (-(2**31), 2**31) if dt is int32 else (0, 2**32)
        if dt not in (int32, uint32) or not lo <= value < hi or isinstance(value, float):
            raise self.ice(f"constant {value!r} does not fit {dt.name}")
        if value == -(2**31):
            return Printed(self.INT_MIN, Prec.PRIMARY, const=True)
        spelled = (self.INT_LITERAL if dt is int32 else self.UINT_LITERAL).format(value)
        return Printed(spelled, Prec.UNARY if value < 0 else Prec.PRIMARY, const=True)

    def float_const(self, v: float) -> Printed:
        v = f32_value(v)
        if math.isnan(v):
            return self.call("kc_nan", [])
        if math.isinf(v):
            inf = self.call("kc_inf", [])
            return inf if v > 0 else Printed(f"-{inf.text}", Prec.UNARY)
        s = f32_digits(v) + self.FLOAT_SUFFIX
        return Printed(s, Prec.UNARY if s.startswith("-") else Prec.PRIMARY, const=True)

    def stored_value(self, value: ir.Expr) -> Printed:
        """A value stored in a variable (or passed to a parameter, or returned). A float
        constant goes through an opaque identity: once stored the compiler no longer sees
        it at its uses, but the driver does, and drivers fold `x / z`, `x * z`, `z - 2.0`
        with a known `z` without IEEE's Inf, NaN and signed zeros (`float z = 0.0f;
        y = x / z;` must give Inf, as in CUDA)."""
        if not (isinstance(value, ir.Const) and value.dtype is float32) or self.in_library:
            return self.expr(value)  # the library is written knowing its constants
        if value.value == 0:
            zero = self.call("kc_zero", [])
            return self.prefix("-", zero) if math.copysign(1.0, value.value) < 0 else zero
        printed = self.expr(value)
        return self.opaque(printed, float32) if printed.const else printed

    def zero(self, dt: DType) -> Printed:
        return self.const(0.0 if dt is float32 else (False if dt is bool_ else 0), dt)

    def local_name(self, name: str) -> str:
        if name not in self.scope.names:
            raise self.ice(f"undeclared local '{name}'")
        return self.scope.names[name]

    def local(self, name: str) -> Printed:
        return Printed(self.local_name(name), Prec.PRIMARY)

    def uniform(self, key: ValueKey, word: int | None = None) -> Printed:
        """The member holding `key` (of a 64-bit scalar: its word `word`)."""
        name = self.members.get((key, word))
        if name is None:
            raise self.ice(f"no uniform member for {key} in this kernel's block")
        return Printed(f"{self.uniform_instance}.{name}", Prec.PRIMARY)

    def scalar_arg(self, e: ir.ScalarArg) -> Printed:
        p = self.param(e.param)
        if p.kind is not ir.ParamKind.SCALAR or p.value_dtype is not e.dtype:
            raise self.ice(f"ScalarArg of '{e.param}' does not match its parameter")
        member = self.uniform(scalar_value(p.name, e.component))
        if p.dtype is bool_:  # held as a 0/1 u32
            return self.infix(B.NE, member, self.const(0, uint32))
        return member

    def call(self, name: str, args: list[Printed], dts: tuple = (), hazard=False) -> Printed:
        """`name(args)`; `kc_` names are primitives. With `hazard`, constant arguments are
        hidden from the target's constant evaluation (see `opaque`)."""
        if name.startswith("kc_"):
            self.use(name)
            const = False
        else:
            const = all(a.const for a in args)
            if const and hazard and self.CONST_HAZARDS and args:
                args, const = [self.opaque(args[0], dts[0]), *args[1:]], False
        return Printed(f"{name}({self.join_args([a.text for a in args])})", Prec.PRIMARY, const)

    def join_args(self, texts: list[str]) -> str:
        """An argument list (a target may need to protect some arguments)."""
        return ", ".join(texts)

    def lib_call(self, e: ir.LibCall) -> Printed:
        """A linked library function, called like any user function (never a constant
        expression to the target)."""
        f = self.funcs.get(e.func)
        if f is None or len(f.params) != len(e.args):
            raise self.ice(f"library call of '{e.func}' does not match a function")
        args = ", ".join(self.text(a) for a in e.args)
        return Printed(f"{self.func_names[e.func]}({args})", Prec.PRIMARY)

    def opaque(self, p: Printed, dt: DType) -> Printed:
        """`p` through an identity primitive that neither WGSL's constant evaluation nor a
        driver's algebraic simplification can see through."""
        return self.call(f"kc_opaque_{self.type_name(dt)}", [p])

    def infix(self, op: ir.BinaryOp, lhs: Printed, rhs: Printed) -> Printed:
        text = (
            f"{paren(lhs, operand_fits(op, True, lhs))} {self.BINARY_OP[op]} "
            f"{paren(rhs, operand_fits(op, False, rhs))}"
        )
        return Printed(text, BIN_PREC[op], lhs.const and rhs.const, op)

    def prefix(self, sign: str, x: Printed) -> Printed:
        return Printed(f"{sign}{paren(x, x.prec == Prec.PRIMARY)}", Prec.UNARY, x.const)

    def unary(self, e: ir.Unary) -> Printed:
        x, dt = self.expr(e.operand), e.dtype
        match e.op:
            case ir.UnaryOp.NOT if dt is bool_:
                return self.prefix("!", x)
            case ir.UnaryOp.BITNOT if dt.is_int:
                return self.prefix("~", x)
            case ir.UnaryOp.NEG if dt is uint32:  # WGSL has no unary minus on u32
                return self.infix(B.SUB, self.const(0, uint32), x)
            case ir.UnaryOp.NEG if dt in (int32, float32):
                if x.const and self.CONST_HAZARDS:
                    x = self.opaque(x, dt)
                return self.prefix("-", x)
        raise self.ice(f"unary {e.op.name} on {dt.name}")

    def binary(self, e: ir.Binary) -> Printed:
        op = e.op
        if e.lhs.dtype is bool_ and op in BOOL_BITWISE:
            op = BOOL_BITWISE[op]
        if op is B.REM and e.dtype.is_float:
            raise self.ice("REM on float (fmod is a Math call)")
        if e.lhs.dtype is float32 and op in (B.EQ, B.NE):
            return self.float_equality(op, e)
        lhs, rhs = self.operand(e, e.lhs), self.operand(e, e.rhs)
        if op in ir.SHIFTS:
            rhs = self.shift_count(e.rhs, rhs)
        elif op in (B.DIV, B.REM) and e.dtype.is_int:
            special = self.int_division(e, lhs, rhs)
            if special is not None:
                return special
        if self.CONST_HAZARDS and lhs.const and rhs.const and op in CONST_HAZARD_OPS:
            lhs = self.opaque(lhs, e.lhs.dtype)
        elif op is B.SUB and e.dtype is float32 and e.lhs == e.rhs:
            rhs = self.opaque(rhs, float32)  # drivers fold x - x to 0, wrong for Inf/NaN
        return self.infix(op, lhs, rhs)

    def operand(self, e: ir.Binary, x: ir.Expr) -> Printed:
        """A zero operand of float arithmetic is made a run-time value: drivers fold
        `x * 0.0`, `0.0 / x`, `x / 0.0` and `x + 0.0`, wrongly for Inf, NaN and signed
        zeros (`-0.0 + 0.0` is `+0.0`)."""
        if self.in_library:  # the library is written knowing its operands
            return self.expr(x)
        zero = isinstance(x, ir.Const) and x.dtype is float32 and x.value == 0
        if zero and e.op in (B.MUL, B.DIV, B.ADD, B.SUB):
            zero = self.call("kc_zero", [])
            return self.prefix("-", zero) if math.copysign(1.0, x.value) < 0 else zero
        if e.op in (B.MUL, B.DIV) and e.dtype is float32 and is_int_to_float(x):
            return self.opaque(self.expr(x), float32)  # the int may be a constant in a local
        return self.expr(x)

    def float_equality(self, op: ir.BinaryOp, e: ir.Binary) -> Printed:
        """`!=` is IEEE's unordered comparison, which `float_ne` spells for the target;
        `x != x` arrives as the library's isnan (a target may assume no NaN)."""
        if e.lhs == e.rhs:
            raise self.ice("x != x reached the emitter (linking spells it isnan)")
        lhs, rhs = self.expr(e.lhs), self.expr(e.rhs)
        return self.infix(B.EQ, lhs, rhs) if op is B.EQ else self.float_ne(lhs, rhs)

    def float_ne(self, lhs: Printed, rhs: Printed) -> Printed:
        return self.infix(B.NE, lhs, rhs)

    def shift_count(self, count: ir.Expr, printed: Printed) -> Printed:
        raise NotImplementedError

    def int_division(self, e: ir.Binary, lhs: Printed, rhs: Printed) -> Printed | None:
        """C's integer `/` and `%` (the IR's: x / 0 is -1, x % 0 is x) through primitives,
        or None where the target's operator is known to agree (`native_division`)."""
        if self.native_division(e):
            return None
        name = {B.DIV: "div", B.REM: "mod"}[e.op]
        return self.call(f"kc_{'i' if e.dtype is int32 else 'u'}{name}", [lhs, rhs])

    def native_division(self, e: ir.Binary) -> bool:
        raise NotImplementedError

    def cast(self, e: ir.Cast) -> Printed:
        src, dst = e.operand.dtype, e.dtype
        x = self.expr(e.operand)
        if src is dst:
            return x
        if dst is bool_:  # C: != 0 (NaN is true)
            zero = self.zero(src)
            return self.float_ne(x, zero) if src is float32 else self.infix(B.NE, x, zero)
        name = self.CAST.get((src.kind, dst.kind))
        if name is None:
            raise self.ice(f"cast {src.name} -> {dst.name}")
        return self.call(name, [x])

    def bitcast(self, e: ir.Bitcast) -> Printed:
        src, dst = e.operand.dtype, e.dtype
        x = self.expr(e.operand)
        if src is dst:
            return x
        name = self.BITCAST.get((src.kind, dst.kind))
        if name is None:
            raise self.ice(f"bitcast {src.name} -> {dst.name}")
        return self.call(name, [x], (src,), hazard=dst is float32)

    def select(self, e: ir.Select) -> Printed:
        raise NotImplementedError

    def math(self, e: ir.Math) -> Printed:
        spec = builtins.MATH.get(e.fn)
        if spec is None or len(e.args) != spec.arity:
            raise self.ice(f"math function {e.fn}/{len(e.args)}")
        key = f"{e.fn}.{e.dtype.kind}" if spec.kind == "generic" else e.fn
        if key not in self.MATH:
            raise self.ice(f"math function {key} is not native here and was not linked")
        args = [self.expr(a) for a in e.args]
        name = self.MATH[key]
        if not name:
            return args[0]
        return self.call(name, args, tuple(a.dtype for a in e.args), hazard=True)

    def buffer_load(self, e: ir.BufferLoad) -> Printed:
        raise NotImplementedError

    def word_load(self, e: ir.WordLoad) -> Printed:
        raise self.unhandled(e)

    # -- statements

    def stmts(self, stmts: tuple[ir.Stmt, ...]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ir.Stmt) -> None:
        match s:
            case ir.Declare():
                self.declare(s)
            case ir.Assign(name=name, value=value):
                self.out.line(f"{self.lvalue(name)} = {self.stored_value(value).text};")
            case ir.AssignElem(name=name, index=index, value=value):
                element = f"{self.local_name(name)}[{self.text(index)}]"
                self.out.line(f"{element} = {self.stored_value(value).text};")
            case ir.BufferStore():
                self.buffer_store(s)
            case ir.OutputStore():
                self.output_store(s)
            case ir.WordStore():
                self.word_store(s)
            case ir.OutputWords():
                self.output_words(s)
            case ir.If():
                self.if_(s)
            case ir.Loop():
                self.loop(s)
            case ir.Break():
                self.out.line("break;")
            case ir.Continue():
                self.continue_()
            case ir.Return():
                self.return_(s)
            case ir.Call():
                self.call_stmt(s)
            case ir.Atomic():
                self.atomic(s)
            case _:
                raise self.unhandled(s)

    @contextmanager
    def reprinted(self):
        """A block printing statements already printed in this function: the locals it
        declares get fresh target names and go out of scope with it."""
        names = dict(self.scope.names)
        try:
            yield
        finally:
            self.scope.names = names

    def bind(self, name: str) -> str:
        """Give the IR local `name` its target name in the current scope."""
        if name in self.scope.names:
            raise self.ice(f"local '{name}' declared twice")
        target = self.scope.namer.fresh(name, compiler=name.startswith("kc_"))
        self.scope.names[name] = target
        return target

    def lvalue(self, name: str) -> str:
        return self.local_name(name)

    def declare(self, s: ir.Declare) -> None:
        name = self.bind(s.name)
        if s.length is None:
            if isinstance(s.init, tuple):
                raise self.ice(f"scalar '{s.name}' with an array initialiser")
            init = self.zero(s.dtype) if s.init is None else self.stored_value(s.init)
            self.out.line(self.scalar_decl(s, name, init.text))
            return
        init = () if s.init is None else s.init
        if not isinstance(init, tuple) or len(init) > s.length or s.length < 1:
            raise self.ice(f"array '{s.name}': bad length or initialiser")
        items = [self.stored_value(x).text for x in init]
        if len(items) == s.length or s.length <= SMALL_ARRAY:
            pad = self.stored_value(ir.Const(0.0, float32)) if init and s.dtype is float32 else None
            items += [(pad or self.zero(s.dtype)).text] * (s.length - len(items))
            self.out.line(self.array_decl(s, name, items))
            return
        self.out.line(self.array_decl(s, name, None))
        self.zero_fill(name, s.dtype, s.length)
        for k, item in enumerate(items):
            self.out.line(f"{name}[{k}] = {item};")

    def scalar_decl(self, s: ir.Declare, name: str, init: str) -> str:
        raise NotImplementedError

    def array_decl(self, s: ir.Declare, name: str, items: list[str] | None) -> str:
        """The declaration line; `items` None: declared without initialiser."""
        raise NotImplementedError

    def zero_fill(self, name: str, dt: DType, n: int) -> None:
        """Zero a declared array (WGSL `var`s start zeroed)."""

    def if_(self, s: ir.If) -> None:
        self.out.line(f"if ({self.text(s.cond)}) {{")
        while True:
            with self.out.indented():
                self.stmts(s.then)
            if len(s.else_) == 1 and isinstance(s.else_[0], ir.If):
                s = s.else_[0]
                self.out.line(f"}} else if ({self.text(s.cond)}) {{")
                continue
            if s.else_:
                self.out.line("} else {")
                with self.out.indented():
                    self.stmts(s.else_)
            self.out.line("}")
            return

    def loop(self, s: ir.Loop) -> None:
        raise NotImplementedError

    def continue_(self) -> None:
        self.out.line("continue;")

    def return_(self, s: ir.Return) -> None:
        f = self.scope.function
        wants_value = f is not None and f.return_dtype is not None
        if (s.value is not None) != wants_value:
            raise self.ice("return value does not match the function's return type")
        if s.value is None:
            self.out.line("return;")
        else:  # a returned constant is a stored one once the driver inlines the call
            self.out.line(f"return {self.stored_value(s.value).text};")

    def call_stmt(self, s: ir.Call) -> None:
        f = self.funcs.get(s.func)
        if f is None or len(f.params) != len(s.args):
            raise self.ice(f"call of '{s.func}' does not match a function")
        args = [
            self.ref_arg(a) if p.is_ref else self.stored_value(a).text  # a parameter stores it
            for p, a in zip(f.params, s.args)
        ]
        call = f"{self.func_names[s.func]}({self.join_args(args)})"
        self.out.line(f"{self.lvalue(s.result)} = {call};" if s.result else f"{call};")

    def ref_arg(self, a: ir.Expr) -> str:
        if not isinstance(a, (ir.Local, ir.LocalElem)):
            raise self.ice("by-reference argument is not a local")
        return self.text(a)

    def buffer_store(self, s: ir.BufferStore) -> None:
        raise self.unhandled(s)

    def atomic(self, s: ir.Atomic) -> None:
        raise self.unhandled(s)

    def output_store(self, s: ir.OutputStore) -> None:
        raise self.unhandled(s)

    def word_store(self, s: ir.WordStore) -> None:
        raise self.unhandled(s)

    def output_words(self, s: ir.OutputWords) -> None:
        raise self.unhandled(s)

    # -- functions and the whole program

    def kernel_body(self) -> tuple[ir.Stmt, ...]:
        """What one invocation runs for element `LoopIndex()`."""
        if self.kernel.reduction is not None:  # printed by a shell (kernelc/emit/reduction.py)
            raise self.ice("a reduction kernel given to an elementwise emitter")
        return self.kernel.body

    def check_legalised(self) -> None:
        high_level = (ir.ElemLoad, ir.ElemStore, ir.RawLoad, ir.RawStore, ir.LoopCoord)
        bodies = (self.kernel_body(), *(f.body for f in self.kernel.functions if not f.library))
        for body in bodies:
            for n in walk(body):
                if isinstance(n, high_level):
                    raise self.ice(f"{type(n).__name__} reached the emitter (not legalised)")

    def function(self, f: ir.Function) -> str:
        """The function's text. A library function's is printed once per emitter class and
        reused (with the primitives it uses) while the global names its locals would meet
        are the same: it is the same function object in every kernel."""
        if not f.library:
            return self.print_function(f)
        callees, locals_ = function_facts(f)
        met = self.globals.met_by(frozenset(sanitize(n, compiler=True) for n in locals_))
        callees = tuple(self.func_names.get(c) for c in callees)
        key = (type(self), id(f), met, callees)
        cached = _PRINTED.get(key)
        if cached is None or cached[0] is not f:
            used, self.primitives_used = self.primitives_used, set()
            cached = _PRINTED[key] = (f, self.print_function(f), frozenset(self.primitives_used))
            self.primitives_used = used
        self.primitives_used |= cached[2]
        return cached[1]

    def print_function(self, f: ir.Function) -> str:
        self.in_library = f.library
        try:
            return self._print_function(f)
        finally:
            self.in_library = False

    def _print_function(self, f: ir.Function) -> str:
        self.out = Writer()
        refs = frozenset(p.name for p in f.params if p.is_ref)
        assigned = frozenset(assigned_names(f.body, self.funcs))
        self.scope = Scope(self.globals.child(), f, refs=refs, assigned=assigned)
        self.out.line(self.function_head(f) + " {")
        with self.out.indented():
            self.function_prologue(f)
            self.stmts(f.body)
            if f.return_dtype is not None and not (f.body and isinstance(f.body[-1], ir.Return)):
                self.out.line(f"return {self.zero(f.return_dtype).text};")  # C: undefined
        self.out.line("}")
        return self.out.text()

    def function_head(self, f: ir.Function) -> str:
        raise NotImplementedError

    def function_prologue(self, f: ir.Function) -> None:
        pass

    def emit(self) -> tuple[str, Contract]:
        self.check_legalised()
        for name in ("KcParams", "u", "main", *self.MAIN_LOCALS):
            self.globals.claim(name)
        self.declare_globals()
        order = call_order(self.kernel.functions)
        for f in order:
            self.func_names[f.name] = self.globals.fresh(f.name, compiler=f.name.startswith("kc_"))
        parts = [self.function(f) for f in order]
        parts.append(self.main())
        parts = [self.header(), self.PRIMITIVES.render(self.primitives_used), *parts]
        return "\n".join(p for p in parts if p), self.abi()

    def declare_globals(self) -> None:
        raise NotImplementedError

    def header(self) -> str:
        raise NotImplementedError

    def main(self) -> str:
        raise NotImplementedError

    def abi(self) -> Contract:
        raise NotImplementedError

    def main_scope(self) -> None:
        """Start the kernel body's scope (its fixed names were claimed as globals, so no
        function or local can take them)."""
        self.out = Writer()
        assigned = frozenset(assigned_names(self.kernel_body(), self.funcs))
        self.scope = Scope(self.globals.child(), assigned=assigned)
        self.scope.loop_index = "i"

    def contract_fields(self) -> dict:
        """The contract fields every program of this emitter has (`Contract`'s keywords)."""
        kind = "elementwise" if self.kernel.reduction is None else "reduction"
        return {
            "target": self.TARGET,
            "kernel": self.kernel.name,
            "kind": kind,
            "ndim": self.kernel.ndim,
            "params": param_records(self.kernel),
            "uniforms": self.uniforms,
            "uniform_size": uniform_size(self.uniforms),
        }
