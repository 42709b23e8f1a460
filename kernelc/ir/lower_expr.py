"""Lowering of C expressions to pure IR expressions plus hoisted statements.

Rule: `expr()` returns an `ir.Expr` without side effects; every side effect (assignment,
`++`, user calls) is appended to the current statement list first, in C's evaluation
order, and `&&`, `||`, `?:` keep their laziness by becoming `If`s when an operand has side
effects.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.errors import (
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    UnsupportedFeatureError,
)
from kernelc.frontend import ast
from kernelc.ir import builtins, exact64
from kernelc.ir import nodes as ir
from kernelc.ir.cvalues import f32
from kernelc.ir.dtypes import bool_, float32, int32, promote, uint32
from kernelc.ir.lower_complex import CExpr, is_complex_type
from kernelc.ir.passes.fold import fold_expr
from kernelc.ir.scope import (
    Alias,
    ConstVar,
    ElementParam,
    GlobalArray,
    LocalVar,
    RawParam,
    ScalarParam,
    SpecialValue,
)
from kernelc.ir.typing import (
    arith_operand,
    cast,
    convert,
    int_literal_type,
    literal_needs_64bit,
    to_bool,
)

B = ir.BinaryOp
U = ir.UnaryOp

BINARY_OPS = {
    "+": B.ADD,
    "-": B.SUB,
    "*": B.MUL,
    "/": B.DIV,
    "%": B.REM,
    "<<": B.SHL,
    ">>": B.SHR,
    "&": B.AND,
    "|": B.OR,
    "^": B.XOR,
    "<": B.LT,
    "<=": B.LE,
    ">": B.GT,
    ">=": B.GE,
    "==": B.EQ,
    "!=": B.NE,
}

CHAIN_SPILL = 32  # terms of a flat operator chain kept in one IR expression

THREAD_BUILTINS = {"threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "laneId"}


# ---------------------------------------------------------------------------- lvalues


@dataclass(frozen=True, slots=True)
class LvLocal:
    var: LocalVar


@dataclass(frozen=True, slots=True)
class LvLocalElem:
    var: LocalVar
    index: ir.Expr


@dataclass(frozen=True, slots=True)
class LvRaw:
    param: ir.Param
    index: ir.Expr
    span: object = None


@dataclass(frozen=True, slots=True)
class LvSelect:
    """`c ? a : b` as an lvalue (C++ allows it when both are lvalues of one type)."""

    cond: ir.Expr
    if_true: object
    if_false: object


def left_spine(e: ast.Binary, joins) -> list[ast.Binary]:
    """The binary nodes down the left edge of `e` whose operator satisfies `joins`,
    outermost first: `a + b + c` gives [(a + b) + c, a + b]."""
    spine = [e]
    while isinstance(spine[-1].lhs, ast.Binary) and joins(spine[-1].lhs.op):
        spine.append(spine[-1].lhs)
    return spine


def comma_operands(e: ast.Binary) -> list[ast.Expr]:
    """`a, b, c` (parsed as `(a, b), c`) -> [a, b, c], without recursion."""
    spine = left_spine(e, lambda op: op == ",")
    return [spine[-1].lhs, *(b.rhs for b in reversed(spine))]


def lvalue_ctype(lv):
    """The C type of the object `lv` designates."""
    match lv:
        case LvLocal(var=v) | LvLocalElem(var=v):
            return v.ctype
        case LvRaw(param=p):
            return p.c_dtype if p.is_complex else p.dtype
        case LvSelect(if_true=a):
            return lvalue_ctype(a)
    raise AssertionError(lv)


class ExprLowering:
    """Mixin: needs `scopes`, `out`, `fail`, `warn`, `temp`, `call_function`, `resolve_type`."""

    # ------------------------------------------------------------------ dispatch

    def expr(self, e: ast.Expr) -> ir.Expr:
        method = getattr(self, "_expr_" + type(e).__name__, None)
        if method is None:
            self.fail(KernelSyntaxError, f"{self._describe(e)} is not a value here", e.span)
        value = method(e)
        if value is None:  # a call of a void function
            self.fail(KernelTypeError, "void value not ignored as it ought to be", e.span)
        return value

    def effect(self, e: ast.Expr) -> None:
        """Evaluate `e` for its side effects only (a void call is fine here)."""
        if isinstance(e, ast.Call):
            self._expr_Call(e)
        elif isinstance(e, ast.Binary) and e.op == ",":
            for x in comma_operands(e):
                self.effect(x)
        else:
            self.expr(e)

    def cond(self, e: ast.Expr) -> ir.Expr:
        value = self.expr(e)
        self.require_no_complex(value, "a truth value", e.span)
        return to_bool(value)

    def pure(self, e: ast.Expr) -> tuple[ir.Expr, list[ir.Stmt]]:
        """Lower `e` into a fresh statement list: (value, the statements it needs)."""
        saved, self.out = self.out, []
        try:
            value = self.expr(e)
            return value, self.out
        finally:
            self.out = saved

    @staticmethod
    def _describe(e: ast.Node) -> str:
        return {"InitList": "a brace-enclosed list", "Member": "a member access"}.get(
            type(e).__name__, "this expression"
        )

    # ------------------------------------------------------------------ leaves

    def _expr_IntLit(self, e: ast.IntLit) -> ir.Expr:
        wide = exact64.int_literal(e.value, e.suffix, e.is_hex)
        if wide is not None:
            return wide
        if literal_needs_64bit(e.value, e.suffix, e.is_hex):
            self.warn_64bit(e.span, "64-bit integer literal")
        dt = int_literal_type(e.value, e.suffix, e.is_hex)
        return fold_expr(ir.Cast(ir.Const(e.value & 0xFFFFFFFF, uint32), dt))

    def _expr_FloatLit(self, e: ast.FloatLit) -> ir.Expr:
        if not e.is_float:
            self.warn_double(e.span)
            return exact64.float_literal(e.value)
        return ir.Const(f32(e.value), float32)

    def _expr_BoolLit(self, e: ast.BoolLit) -> ir.Expr:
        return ir.Const(e.value, bool_)

    def _expr_SizeOf(self, e: ast.SizeOf) -> ir.Expr:
        return ir.Const(self.resolve_type(e.type).itemsize, uint32)

    def _expr_Construct(self, e: ast.Construct) -> ir.Expr:
        """`T()` is T's zero; `complex<T>(re, im)`; other constructors have no meaning for
        scalar types."""
        ctype = self.resolve_type(e.type)
        if is_complex_type(ctype) and len(e.args) in (0, 2):
            parts = [self.expr(a) for a in e.args] or [ir.Const(0, int32)] * 2
            for a, part in zip(e.args, parts):
                self.real_value(part, float32, a.span)  # a part is a real number
            re, im = (self.complex_value(x, ctype, e.span).re for x in parts)
            return CExpr(re, im, ctype)
        if e.args or ctype is None:
            self.fail(
                UnsupportedFeatureError,
                f"constructing '{e.type.name}' from {len(e.args)} arguments is not supported",
                e.span,
            )
        return convert(ir.Const(0, int32), ctype)

    def _expr_Ident(self, e: ast.Ident) -> ir.Expr:
        if e.scope not in ("", "std", "cupy"):
            self.fail(UnsupportedFeatureError, f"'{e.scope}::{e.name}' is not supported", e.span)
        sym = self.scopes.lookup(e.name)
        match sym:
            case LocalVar() if sym.length is not None:
                self.fail(KernelTypeError, f"array '{e.name}' used as a value", e.span)
            case LocalVar() if is_complex_type(sym.ctype):
                return self.complex_local(sym.ir_name, sym.ctype)
            case LocalVar():
                return ir.Local(sym.ir_name, sym.dtype)
            case ElementParam():
                self.use_element(sym)
                if sym.param.is_complex:
                    return self.complex_local(sym.local.ir_name, sym.local.ctype)
                return ir.Local(sym.local.ir_name, sym.local.dtype)
            case ConstVar() | SpecialValue():
                return sym.value
            case ScalarParam() if sym.param.is_complex:
                return self.complex_param(sym.param)
            case ScalarParam():
                return ir.ScalarArg(sym.param.name, sym.param.value_dtype)
            case Alias():
                return self.load(sym.target)
            case RawParam() | GlobalArray():
                self.fail(
                    KernelTypeError,
                    f"array '{e.name}' used as a value",
                    e.span,
                    notes=(f"index it: {e.name}[k]",),
                )
        return self.builtin_name(e)

    def builtin_name(self, e: ast.Ident) -> ir.Expr:
        if e.name in builtins.CONSTANTS:
            value, is_float = builtins.CONSTANTS[e.name]
            if not is_float:
                self.warn_double(e.span)
                return exact64.float_literal(value)
            return ir.Const(f32(value), float32)
        if e.name in builtins.INT_CONSTANTS:
            value, dtype = builtins.INT_CONSTANTS[e.name]
            return ir.Const(value, uint32 if dtype == "uint32" else int32)
        if e.name == "i" and self.in_loop_body:
            return ir.LoopIndex()
        if e.name in ("NULL", "nullptr"):
            self.fail(
                UnsupportedFeatureError,
                f"'{e.name}' is not supported: WebGPU and WebGL have no pointers to memory",
                e.span,
            )
        if e.name in THREAD_BUILTINS:
            self.fail(
                UnsupportedFeatureError,
                f"'{e.name}' is not supported: an elementwise kernel body runs once per "
                "element and has no thread or block identity",
                e.span,
                notes=("use 'i', the element's index",),
            )
        if e.name == "i":
            self.fail(KernelNameError, "'i' is only defined in the operation body", e.span)
        self.fail(KernelNameError, f"use of undeclared identifier '{e.name}'", e.span)

    # ------------------------------------------------------------------ operators

    def _expr_Unary(self, e: ast.Unary) -> ir.Expr:
        if e.op in ("++", "--"):
            return self.increment(e.operand, e.op, prefix=True, span=e.span)
        if e.op in ("&", "*"):
            what = "address-of '&'" if e.op == "&" else "pointer dereference '*'"
            self.fail(
                UnsupportedFeatureError,
                f"{what} is not supported: WebGPU and WebGL have no pointers to memory",
                e.span,
            )
        value = self.expr(e.operand)
        if isinstance(value, CExpr):
            return self.complex_unary(e.op, value, e.span)
        if e.op == "!":
            return fold_expr(ir.Unary(U.NOT, to_bool(value), bool_))
        value = arith_operand(value)
        if e.op == "+":
            return value
        if e.op == "~":
            self.require_int(value, "~", e.span)
            return fold_expr(ir.Unary(U.BITNOT, value, value.dtype))
        return fold_expr(ir.Unary(U.NEG, value, value.dtype))

    def _expr_Postfix(self, e: ast.Postfix) -> ir.Expr:
        return self.increment(e.operand, e.op, prefix=False, span=e.span)

    def increment(self, target: ast.Expr, op: str, *, prefix: bool, span) -> ir.Expr:
        if prefix:
            return self.load(self.increment_lvalue(target, op, span))
        lv = self.lvalue(target)
        old = self.temp(self.load(lv), "kc_t")
        step = ir.Const(1, int32)
        self.store(lv, self.arith(B.ADD if op == "++" else B.SUB, old, step, span), span)
        return old

    def increment_lvalue(self, target: ast.Expr, op: str, span):
        """`++x` / `--x`: the store, then `x` itself (an lvalue in C++)."""
        lv = self.lvalue(target)
        step = ir.Const(1, int32)
        self.store(lv, self.arith(B.ADD if op == "++" else B.SUB, self.load(lv), step, span), span)
        return lv

    def _expr_Binary(self, e: ast.Binary) -> ir.Expr:
        if e.op == ",":
            *effects, last = comma_operands(e)
            for x in effects:
                self.effect(x)
            return self.expr(last)
        if e.op in ("&&", "||"):
            return self.logical(e)
        # A flat chain `a + b - c * d ...` is a left-deep tree: walk its spine iteratively
        # (a 3,000-term sum must not recurse 3,000 deep), C's evaluation order kept.
        spine = left_spine(e, lambda op: op not in (",", "&&", "||"))
        value = self.expr(spine[-1].lhs)
        for k, b in enumerate(reversed(spine), 1):
            value = self.arith(BINARY_OPS[b.op], value, self.expr(b.rhs), b.span)
            value = self.chain_spill(value, k)
        return value

    def chain_spill(self, value: ir.Expr, k: int) -> ir.Expr:
        """Every `CHAIN_SPILL` terms of a chain the partial result goes to a temporary, so
        no IR expression (and no printed one) is deeper than that."""
        if k % CHAIN_SPILL or isinstance(value, (ir.Const, ir.Local)):
            return value
        return self.temp(value, "kc_s")

    def arith(self, op: B, lhs: ir.Expr, rhs: ir.Expr, span) -> ir.Expr:
        """A C binary operator on two lowered operands, with the usual conversions."""
        if isinstance(lhs, CExpr) or isinstance(rhs, CExpr):
            return self.complex_arith(op, lhs, rhs, span)
        if op in ir.SHIFTS:
            lhs, rhs = arith_operand(lhs), arith_operand(rhs)
            self.require_int(lhs, "<<" if op is B.SHL else ">>", span)
            self.require_int(rhs, "<<" if op is B.SHL else ">>", span)
            return fold_expr(ir.Binary(op, lhs, rhs, lhs.dtype))
        lhs, rhs = exact64.demote_literal(lhs, rhs)
        common = promote(lhs.dtype, rhs.dtype)
        lhs, rhs = cast(lhs, common), cast(rhs, common)
        if op in ir.COMPARISONS:
            return fold_expr(ir.Binary(op, lhs, rhs, bool_))
        if op in (B.REM, B.AND, B.OR, B.XOR) and common.is_float:
            spelled = {B.REM: "%", B.AND: "&", B.OR: "|", B.XOR: "^"}[op]
            notes = ("use fmodf(a, b) for a floating-point remainder",) if op is B.REM else ()
            self.fail(
                KernelTypeError,
                f"invalid operands to binary '{spelled}' (float)",
                span,
                notes=notes,
            )
        return fold_expr(ir.Binary(op, lhs, rhs, common))

    def logical(self, e: ast.Binary) -> ir.Expr:
        spine = left_spine(e, lambda op: op in ("&&", "||"))
        value = self.cond(spine[-1].lhs)
        for k, b in enumerate(reversed(spine), 1):
            value = self.chain_spill(self.logical_step(value, b), k)
        return value

    def logical_step(self, lhs: ir.Expr, e: ast.Binary) -> ir.Expr:
        """`lhs && e.rhs` / `lhs || e.rhs`, the right side evaluated only when needed."""
        rhs, stmts = self.pure(e.rhs)
        self.require_no_complex(rhs, "a truth value", e.rhs.span)
        rhs = to_bool(rhs)
        op = B.LAND if e.op == "&&" else B.LOR
        if not stmts:
            return fold_expr(ir.Binary(op, lhs, rhs, bool_))
        t = self.temp(lhs, "kc_t")
        guard = t if op is B.LAND else ir.Unary(U.NOT, t, bool_)
        self.out.append(ir.If(guard, (*stmts, ir.Assign(t.name, rhs))))
        return t

    def _expr_Conditional(self, e: ast.Conditional) -> ir.Expr:
        c = self.cond(e.cond)
        t, t_stmts = self.pure(e.if_true)
        f, f_stmts = self.pure(e.if_false)
        if isinstance(t, CExpr) or isinstance(f, CExpr):
            return self.complex_conditional(c, (t, t_stmts), (f, f_stmts), e.span)
        if t.dtype is not f.dtype:
            common = promote(t.dtype, f.dtype)
            t, f = cast(t, common), cast(f, common)
        if not t_stmts and not f_stmts:
            return fold_expr(ir.Select(c, t, f, t.dtype))
        name = self.scopes.fresh("kc_t")
        self.out.append(ir.Declare(name, t.dtype))
        self.out.append(ir.If(c, (*t_stmts, ir.Assign(name, t)), (*f_stmts, ir.Assign(name, f))))
        return ir.Local(name, t.dtype)

    def _expr_Assign(self, e: ast.Assign) -> ir.Expr:
        return self.load(self.assign_lvalue(e))

    def assign_lvalue(self, e: ast.Assign):
        """`x = v`, `x op= v`: the store, then `x` itself (an lvalue in C++)."""
        lv = self.lvalue(e.target)
        value = self.expr(e.value)
        if e.op != "=":
            value = self.arith(BINARY_OPS[e.op[:-1]], self.load(lv), value, e.span)
        self.store(lv, value, e.span)
        return lv

    def _expr_Cast(self, e: ast.Cast) -> ir.Expr:
        ctype = self.resolve_type(e.type)
        if ctype is None:
            self.expr(e.operand)
            self.fail(KernelTypeError, "a cast to void has no value", e.span)
        return self.convert_value(self.expr(e.operand), ctype, e.span)

    def _expr_Member(self, e: ast.Member) -> ir.Expr:
        base = e.base.name if isinstance(e.base, ast.Ident) else None
        if base in THREAD_BUILTINS:
            self.builtin_name(e.base)
        sym = self.scopes.lookup(base) if base else None
        if e.name == "ndim" and isinstance(sym, RawParam):
            return ir.Const(sym.param.ndim, int32)
        if e.name == "ndim" and base in self.indexers:
            return ir.Const(self.indexers[base][1], int32)
        self.fail(UnsupportedFeatureError, f"member '{e.name}' is not supported here", e.span)

    # ------------------------------------------------------------------ indexing

    def _expr_Index(self, e: ast.Index) -> ir.Expr:
        special = self.special_index(e)
        if special is not None:
            return special
        return self.load(self.lvalue(e))

    def special_index(self, e: ast.Index) -> ir.Expr | None:
        """`_ind.get()[d]`, `x.shape()[d]`, `x.strides()[d]`."""
        call = e.base
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Member)):
            return None
        member, owner = call.func.name, call.func.base
        if not isinstance(owner, ast.Ident) or call.args:
            return None
        axis = self.const_int(e.index, "an axis")
        if owner.name == "_ind" and member == "get" and "_ind" in self.indexers:
            self.check_axis(axis, self.ndim, "the loop", e.index.span)
            return ir.LoopCoord(axis)
        sym = self.scopes.lookup(owner.name)
        if isinstance(sym, RawParam) and member in ("shape", "strides"):
            self.check_axis(axis, sym.param.ndim, f"'{owner.name}'", e.index.span)
            if member == "shape":
                return ir.ArrayInfo(sym.param.name, "shape", axis)
            stride = ir.ArrayInfo(sym.param.name, "stride", axis)  # complex: in components
            per_stride = sym.param.c_dtype.itemsize // (2 if sym.param.is_complex else 1)
            size = ir.Const(per_stride, int32)  # as sizeof(T) says
            return ir.Binary(B.MUL, stride, size, int32)  # CuPy's strides are in bytes
        return None

    def check_axis(self, axis: int, ndim: int, what: str, span) -> None:
        if not 0 <= axis < ndim:
            self.fail(
                KernelTypeError,
                f"axis {axis} is out of range: {what} has {ndim} "
                f"dimension{'s' if ndim != 1 else ''}",
                span,
            )

    def const_int(self, e: ast.Expr, what: str) -> int:
        value, stmts = self.pure(e)
        if stmts or not isinstance(value, ir.Const) or value.dtype.is_float:
            self.fail(KernelTypeError, f"{what} must be an integer constant", e.span)
        return int(value.value)

    def index_value(self, e: ast.Expr) -> ir.Expr:
        value = self.expr(e)
        if value.dtype.kind not in "biu":
            self.fail(KernelTypeError, "array subscript is not an integer", e.span)
        return cast(value, int32)

    # ------------------------------------------------------------------ lvalues

    def lvalue(self, e: ast.Expr):
        if isinstance(e, ast.Ident):
            return self.lvalue_name(e)
        if isinstance(e, ast.Index) and isinstance(e.base, ast.Ident):
            return self.lvalue_index(e)
        if isinstance(e, ast.Index):
            self.expr(e.base)  # reports pointer casts and the like with their own message
            self.fail(UnsupportedFeatureError, "only named arrays can be indexed", e.span)
        if isinstance(e, ast.Assign):
            return self.bound(self.assign_lvalue(e))
        if isinstance(e, ast.Unary) and e.op in ("++", "--"):
            return self.bound(self.increment_lvalue(e.operand, e.op, e.span))
        if isinstance(e, ast.Binary) and e.op == ",":
            self.effect(e.lhs)
            return self.lvalue(e.rhs)
        if isinstance(e, ast.Conditional):
            return self.conditional_lvalue(e)
        if isinstance(e, ast.Unary) and e.op == "*":
            self.expr(e)  # reports the pointer error
        self.fail(KernelTypeError, "expression is not assignable", e.span)

    def conditional_lvalue(self, e: ast.Conditional) -> LvSelect:
        cond = self.temp(self.cond(e.cond), "kc_c")
        sides = []
        for side in (e.if_true, e.if_false):
            saved, self.out = self.out, []
            lv = self.bound(self.lvalue(side))
            if any(not isinstance(s, ir.Declare) for s in self.out):
                message = "an assigned '?:' whose operands have side effects is not supported"
                self.fail(UnsupportedFeatureError, message, side.span)
            saved.extend(self.out)  # only index temporaries: safe to compute on both sides
            self.out = saved
            sides.append(lv)
        if is_complex_type(lvalue_ctype(sides[0])):
            message = "an assigned '?:' of complex values is not supported"
            self.fail(UnsupportedFeatureError, message, e.span)
        if lvalue_ctype(sides[0]) is not lvalue_ctype(sides[1]):
            message = "the operands of an assigned '?:' must have the same type"
            self.fail(KernelTypeError, message, e.span)
        return LvSelect(cond, *sides)

    def lvalue_name(self, e: ast.Ident):
        sym = self.scopes.lookup(e.name)
        match sym:
            case LocalVar() if sym.length is None:
                return LvLocal(sym)
            case ElementParam() if not sym.param.is_output:
                self.fail(
                    KernelTypeError,
                    f"cannot assign to input '{e.name}'",
                    e.span,
                    notes=("inputs are const references in CuPy kernels",),
                )
            case ElementParam():
                self.use_element(sym)
                return LvLocal(sym.local)
            case Alias():
                return sym.target
            case ScalarParam():
                self.fail(
                    KernelTypeError,
                    f"cannot assign to scalar parameter '{e.name}'",
                    e.span,
                    notes=("scalar arguments are passed as const values",),
                )
            case ConstVar() | SpecialValue():
                self.fail(
                    KernelTypeError, f"cannot assign to read-only variable '{e.name}'", e.span
                )
        self.expr(e)  # raises the right error for unknown names and arrays
        self.fail(KernelTypeError, "expression is not assignable", e.span)

    def lvalue_index(self, e: ast.Index):
        sym = self.scopes.lookup(e.base.name)
        match sym:
            case LocalVar() if sym.length is not None:
                return LvLocalElem(sym, self.stable(self.local_index(e, sym.length)))
            case GlobalArray():
                local = self.materialise(e.base.name, sym)
                return LvLocalElem(local, self.stable(self.local_index(e, local.length)))
            case RawParam():
                return LvRaw(sym.param, self.stable(self.raw_index(sym.param, e.index)), e.span)
            case ElementParam():
                self.fail(
                    KernelTypeError,
                    f"'{e.base.name}' is one element here, not an array",
                    e.span,
                    notes=(f"declare it 'raw' to index it: raw T {e.base.name}",),
                )
        self.expr(e.base)
        self.fail(KernelTypeError, f"'{e.base.name}' is not an array", e.span)

    def local_index(self, e: ast.Index, length: int) -> ir.Expr:
        """The index into a local array of `length` elements. A constant one past either
        end is an error: C leaves it undefined, and WGSL and GLSL reject the shader."""
        index = self.index_value(e.index)
        if isinstance(index, ir.Const) and not 0 <= index.value < length:
            self.fail(
                KernelTypeError,
                f"index {index.value} is out of bounds of '{e.base.name}', an array of "
                f"{length} element{'s' if length != 1 else ''}",
                e.index.span,
            )
        return index

    def raw_index(self, param: ir.Param, index: ast.Expr) -> ir.Expr:
        """A raw array's flat C-order index from `x[k]`, `x[{a, b}]` or `x[idx]`."""
        if isinstance(index, ast.InitList):
            coords = [self.index_value(item) for item in index.items]
            return self.flatten(param, coords, index.span)
        if isinstance(index, ast.Ident):
            sym = self.scopes.lookup(index.name)
            if isinstance(sym, LocalVar) and sym.length is not None:
                coords = [
                    ir.LocalElem(sym.ir_name, ir.Const(d, int32), sym.dtype)
                    for d in range(sym.length)
                ]
                return self.flatten(param, [cast(c, int32) for c in coords], index.span)
        return self.index_value(index)

    def flatten(self, param: ir.Param, coords: list[ir.Expr], span) -> ir.Expr:
        if len(coords) != param.ndim:
            self.fail(
                KernelTypeError,
                f"'{param.name}' has {param.ndim} dimensions but {len(coords)} indices were given",
                span,
            )
        flat = coords[0]
        for d in range(1, len(coords)):
            extent = ir.ArrayInfo(param.name, "shape", d)
            flat = ir.Binary(B.ADD, ir.Binary(B.MUL, flat, extent, int32), coords[d], int32)
        return flat

    def stable(self, index: ir.Expr) -> ir.Expr:
        """An index evaluated once: constants and locals as they are, else a temporary."""
        if isinstance(index, (ir.Const, ir.Local, ir.LoopIndex)):
            return index
        return self.temp(index, "kc_k")

    def bound(self, lv):
        """`lv` with its element index fixed now: a C++ reference binds to the object the
        lvalue designates when it is bound, so a later change of the index variable must
        not move it (`float &r = a[k]; k = 1;` still refers to `a[old k]`)."""
        match lv:
            case LvLocalElem(var=v, index=ir.Local() as k):
                return LvLocalElem(v, self.temp(k, "kc_k"))
            case LvSelect(cond=c, if_true=a, if_false=b):
                return LvSelect(c, self.bound(a), self.bound(b))
            case LvRaw(param=p, index=ir.Local() as k, span=span):
                return LvRaw(p, self.temp(k, "kc_k"), span)
        return lv

    def load(self, lv) -> ir.Expr:
        match lv:
            case LvLocal(var=v) if is_complex_type(v.ctype):
                return self.complex_local(v.ir_name, v.ctype)
            case LvRaw(param=p, index=k) if p.is_complex:
                parts = (ir.RawLoad(p.name, k, p.value_dtype, c) for c in (0, 1))
                return CExpr(*parts, p.c_dtype)
            case LvLocal(var=v):
                return ir.Local(v.ir_name, v.dtype)
            case LvLocalElem(var=v, index=k):
                return ir.LocalElem(v.ir_name, k, v.dtype)
            case LvRaw(param=p, index=k):
                return ir.RawLoad(p.name, k, p.value_dtype)
            case LvSelect(cond=c, if_true=a, if_false=b):
                name = self.scopes.fresh("kc_t")
                dtype = self.load(a).dtype
                self.out.append(ir.Declare(name, dtype))
                then, else_ = (ir.Assign(name, self.load(a)),), (ir.Assign(name, self.load(b)),)
                self.out.append(ir.If(c, then, else_))
                return ir.Local(name, dtype)
        raise AssertionError(lv)

    def store(self, lv, value: ir.Expr, span) -> None:
        match lv:
            case LvLocal(var=v) if v.readonly:
                self.fail(KernelTypeError, f"cannot assign to read-only '{v.ir_name}'", span)
            case LvLocal(var=v) if is_complex_type(v.ctype):
                self.assign_complex(v.ir_name, self.complex_value(value, v.ctype, span))
            case LvLocal(var=v):
                self.out.append(ir.Assign(v.ir_name, self.real_value(value, v.ctype, span)))
            case LvLocalElem(var=v) if v.readonly:
                self.fail(KernelTypeError, f"cannot assign to read-only '{v.ir_name}'", span)
            case LvLocalElem(var=v, index=k):
                value = self.real_value(value, v.ctype, span)
                self.out.append(ir.AssignElem(v.ir_name, k, value))
            case LvRaw(param=p, index=k):
                if not p.is_output:
                    self.fail(
                        KernelTypeError,
                        f"cannot assign to input '{p.name}'",
                        span,
                        notes=("inputs are const in CuPy kernels",),
                    )
                self.raw_written.add(p.name)
                if p.is_complex:
                    z = self.complex_value(value, p.c_dtype, span)
                    for c, x in enumerate((z.re, self.temp(z.im, "kc_t"))):
                        self.out.append(ir.RawStore(p.name, k, x, span=span, component=c))
                    return
                value = self.real_value(value, p.dtype, span)
                self.out.append(ir.RawStore(p.name, k, value, span=span))
            case LvSelect(cond=c, if_true=a, if_false=b):
                if not isinstance(value, (ir.Const, ir.Local, CExpr)):
                    value = self.temp(value, "kc_v")
                pending, branches = self.out, []
                for side in (a, b):
                    self.out = []
                    self.store(side, value, span)
                    branches.append(tuple(self.out))
                self.out = pending
                self.out.append(ir.If(c, *branches))

    def require_int(self, value: ir.Expr, op: str, span) -> None:
        if value.dtype.kind not in "biu":
            kind = "complex" if value.dtype.kind == "c" else "float"
            self.fail(KernelTypeError, f"invalid operand to '{op}' ({kind})", span)
