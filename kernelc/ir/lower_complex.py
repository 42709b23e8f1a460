"""Lowering of CuPy's `complex<T>` (thrust::complex): complex values as pairs of parts.

Rule: the IR stays scalar. A complex expression lowers to a `CExpr`, its real and
imaginary parts as IR expressions of `part_type` (float32, or float64 under the exact
policy for complex<double>); a complex local is two locals `name__re`, `name__im`; a
complex parameter is loaded and stored by `component`. Real operands join as (x, 0), as
NumPy converts them, and every routine is a template of kernelc/lib/complex.cu (the one
copy the runtime's complex ufuncs use too) instantiated over the part type, so results
are NumPy's formulas; under the exact policy complex<double> is exact float64 for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kernelc import frontend
from kernelc.errors import KernelTypeError
from kernelc.frontend import ast
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    COMPONENT,
    DType,
    bool_,
    complex64,
    complex128,
    float32,
    float64,
    part_type,
)
from kernelc.ir.passes.fold import fold_expr
from kernelc.ir.typing import cast, convert
from kernelc.lib import COMPLEX_SOURCE, read_source

B = ir.BinaryOp
U = ir.UnaryOp
PARTS = ("__re", "__im")  # IR name suffixes of a complex local's parts
COMPLEX_TEMPLATES = frozenset({"complex", "thrust::complex"})

# Routines of one complex argument returning a complex value: name -> template.
UNARY = {
    "exp": "cx_exp",
    "log": "cx_log",
    "sqrt": "cx_sqrt",
    "sinh": "cx_sinh",
    "cosh": "cx_cosh",
    "tanh": "cx_tanh",
}
# sin z = -i sinh(iz), cos z = cosh(iz), tan z = -i tanh(iz): through the hyperbolic ones.
ROTATED = {"sin": "cx_sinh", "cos": "cx_cosh", "tan": "cx_tanh"}
REAL_RESULTS = ("real", "imag", "abs", "arg", "norm")
PREDICATES = ("isnan", "isinf", "isfinite")
# Names that mean a complex routine when an argument is complex (or always, COMPLEX_ONLY).
FUNCTIONS = frozenset(
    {*UNARY, *ROTATED, *REAL_RESULTS, *PREDICATES, "conj", "log10", "pow", "polar", "proj"}
)
COMPLEX_ONLY = frozenset({"real", "imag", "arg", "norm", "conj", "polar", "proj"})


@dataclass(frozen=True, slots=True)
class CExpr:
    """A complex value while lowering: parts `re`, `im` of `part_type(dtype)`."""

    re: ir.Expr
    im: ir.Expr
    dtype: DType  # complex64 or complex128


@cache
def routines() -> dict[str, ast.FunctionDef]:
    """The templates of kernelc/lib/complex.cu by name (parsed once)."""
    src = frontend.parse_elementwise(
        "", "", "", "kernelc_complex", preamble=read_source(COMPLEX_SOURCE)
    )
    return {f.name: f for f in src.preamble.items if isinstance(f, ast.FunctionDef)}


def complex_of(part: DType) -> DType:
    return complex128 if part is float64 else complex64


def is_complex_type(d: DType | None) -> bool:
    return d is not None and d.kind == "c"


class ComplexLowering:
    """Mixin for `Lowerer`: complex values (needs `out`, `scopes`, `fail`, `instantiate`)."""

    # ------------------------------------------------------------------ values

    def complex_value(self, value, ctype: DType, span) -> CExpr:
        """`value` (complex or real) converted to complex type `ctype`."""
        part = part_type(ctype)
        if isinstance(value, CExpr):
            return CExpr(cast(value.re, part), cast(value.im, part), ctype)
        self.require_real_number(value, span)
        return CExpr(convert(value, COMPONENT[ctype]), ir.Const(0.0, part), ctype)

    def require_real_number(self, value: ir.Expr, span) -> None:
        if value.dtype.kind not in "biuf":
            self.fail(KernelTypeError, "a complex part must be a number", span)

    def real_value(self, value, ctype: DType, span) -> ir.Expr:
        """`value` stored into a real object of `ctype`: a complex one is an error, as in
        CUDA (thrust::complex converts to no real type)."""
        if isinstance(value, CExpr):
            self.fail(
                KernelTypeError,
                f"no conversion from '{value.dtype.c_name}' to '{ctype.c_name}'",
                span,
                notes=("take a real number out of it with real(z), imag(z), abs(z) or arg(z)",),
            )
        return convert(value, ctype)

    def convert_value(self, value, ctype: DType, span):
        """The value stored into an object of C type `ctype` (complex or real)."""
        if is_complex_type(ctype):
            return self.complex_value(value, ctype, span)
        return self.real_value(value, ctype, span)

    def complex_name(self, base: str) -> str:
        """A fresh IR name whose part names are fresh too."""
        used = self.scopes.used_names
        name = self.scopes.fresh(base)
        while any(name + part in used for part in PARTS):
            name = self.scopes.fresh(base)
        used.update(name + part for part in PARTS)
        return name

    def complex_temp(self, value: CExpr, base: str) -> CExpr:
        name = self.complex_name(base)
        self.declare_complex(name, value)
        return self.complex_local(name, value.dtype)

    def declare_complex(self, name: str, value: CExpr | None, dtype: DType | None = None) -> None:
        part = part_type(dtype or value.dtype)
        for suffix, init in zip(PARTS, (None, None) if value is None else (value.re, value.im)):
            self.out.append(ir.Declare(name + suffix, part, init))

    @staticmethod
    def complex_local(name: str, dtype: DType) -> CExpr:
        part = part_type(dtype)
        return CExpr(ir.Local(name + PARTS[0], part), ir.Local(name + PARTS[1], part), dtype)

    def assign_complex(self, name: str, value: CExpr) -> None:
        """name = value, both parts read before either is written (`z = conj(z) * z`)."""
        re, im = value.re, value.im
        if not isinstance(im, ir.Const):
            im = self.temp(im, "kc_t")
        self.out.append(ir.Assign(name + PARTS[0], re))
        self.out.append(ir.Assign(name + PARTS[1], im))

    def complex_param(self, param: ir.Param) -> CExpr:
        """A complex scalar parameter's value."""
        parts = (ir.ScalarArg(param.name, param.value_dtype, c) for c in (0, 1))
        return CExpr(*parts, param.c_dtype)

    def require_no_complex(self, value, what: str, span) -> None:
        if isinstance(value, CExpr):
            self.fail(KernelTypeError, f"{what} of a complex value is not defined", span)

    # ------------------------------------------------------------------ operators

    def complex_arith(self, op: B, lhs, rhs, span):
        """A binary operator with a complex operand: + - * / == != (reals join as (x, 0))."""
        dtype = self.common_complex(lhs, rhs)
        a, b = self.complex_value(lhs, dtype, span), self.complex_value(rhs, dtype, span)
        part = part_type(dtype)
        match op:
            case B.ADD | B.SUB:
                return CExpr(
                    *(fold_expr(ir.Binary(op, x, y, part)) for x, y in _pairs(a, b)), dtype
                )
            case B.MUL:
                return self.complex_routine("cx_mul", (a, b), span)
            case B.DIV:
                return self.complex_routine("cx_div", (a, b), span)
            case B.EQ | B.NE:
                each, join = (B.EQ, B.LAND) if op is B.EQ else (B.NE, B.LOR)
                re, im = (fold_expr(ir.Binary(each, x, y, bool_)) for x, y in _pairs(a, b))
                return fold_expr(ir.Binary(join, re, im, bool_))
        spelled = {v: k for k, v in _SPELLED.items()}.get(op, op.value)
        self.fail(KernelTypeError, f"invalid operands to binary '{spelled}' (complex)", span)

    def common_complex(self, *values) -> DType:
        """complex<double> when any operand is complex<double> or a double, else
        complex<float> (thrust's promotion; integers join complex<float>)."""
        wide = any(
            (v.dtype is complex128) if isinstance(v, CExpr) else (v.dtype is float64)
            for v in values
        )
        return complex128 if wide else complex64

    def complex_unary(self, op: str, value: CExpr, span):
        if op == "+":
            return value
        if op == "-":
            return CExpr(
                *(fold_expr(ir.Unary(U.NEG, x, x.dtype)) for x in (value.re, value.im)), value.dtype
            )
        self.fail(KernelTypeError, f"invalid operand to unary '{op}' (complex)", span)

    def complex_select(self, cond: ir.Expr, t, f, span) -> CExpr:
        dtype = self.common_complex(t, f)
        a, b = self.complex_value(t, dtype, span), self.complex_value(f, dtype, span)
        part = part_type(dtype)
        return CExpr(*(fold_expr(ir.Select(cond, x, y, part)) for x, y in _pairs(a, b)), dtype)

    def complex_conditional(self, cond: ir.Expr, t_side, f_side, span) -> CExpr:
        """`c ? a : b` with a complex arm: a select of parts, or (an arm with side
        effects) an `If` assigning a complex temporary."""
        (t, t_stmts), (f, f_stmts) = t_side, f_side
        if not t_stmts and not f_stmts:
            return self.complex_select(cond, t, f, span)
        dtype = self.common_complex(t, f)
        name = self.complex_name("kc_t")
        self.declare_complex(name, None, dtype)
        branches = []
        for value, stmts in (t_side, f_side):
            saved, self.out = self.out, list(stmts)
            self.assign_complex(name, self.complex_value(value, dtype, span))
            branches.append(tuple(self.out))
            self.out = saved
        self.out.append(ir.If(cond, *branches))
        return self.complex_local(name, dtype)

    # ------------------------------------------------------------------ functions

    def complex_member(self, value, member: str, span) -> ir.Expr:
        """`z.real()`, `z.imag()`."""
        if not isinstance(value, CExpr):
            self.fail(
                KernelTypeError,
                f"member reference '{member}()' on a value of type '{value.dtype.c_name}', "
                "which is not complex",
                span,
            )
        return value.re if member == "real" else value.im

    def complex_call(self, name: str, args: list, span):
        """A complex math function (`real`, `abs`, `exp`, `pow`, ...) of lowered `args`."""
        arity = 2 if name in ("pow", "polar") else 1
        if len(args) != arity and not (name == "polar" and len(args) == 1):
            self.fail(
                KernelTypeError,
                f"'{name}' takes {arity} argument{'s' if arity > 1 else ''}, {len(args)} given",
                span,
            )
        if name == "polar":
            return self.polar(args, span)
        if name == "pow":
            dtype = self.common_complex(*args)
            a, b = (self.complex_value(x, dtype, span) for x in args)
            return self.complex_routine("cx_pow_general", (a, b), span)
        z = self.complex_value(args[0], self.common_complex(args[0]), span)
        return self.complex_function(name, z, span)

    def complex_function(self, name: str, z: CExpr, span):
        part = z.re.dtype
        match name:
            case "real" | "imag":
                return z.re if name == "real" else z.im
            case "abs":
                return self.complex_routine("cx_abs", (z,), span)
            case "arg":
                return fold_expr(ir.Math("atan2", (z.im, z.re), part))
            case "norm":
                sq = (fold_expr(ir.Binary(B.MUL, x, x, part)) for x in (z.re, z.im))
                return fold_expr(ir.Binary(B.ADD, *sq, part))
            case "conj" | "proj":  # proj: z itself for finite z (CuPy's), so only conj is new
                if name == "proj":
                    return z
                return CExpr(z.re, fold_expr(ir.Unary(U.NEG, z.im, part)), z.dtype)
            case "isnan" | "isinf":
                each = (fold_expr(ir.Math(name, (x,), bool_)) for x in (z.re, z.im))
                return fold_expr(ir.Binary(B.LOR, *each, bool_))
            case "isfinite":
                each = (fold_expr(ir.Math(name, (x,), bool_)) for x in (z.re, z.im))
                return fold_expr(ir.Binary(B.LAND, *each, bool_))
            case "log10":
                w = self.complex_routine("cx_log", (z,), span)
                ln10 = ir.Const(2.302585092994046, part)
                return CExpr(
                    *(fold_expr(ir.Binary(B.DIV, x, ln10, part)) for x in (w.re, w.im)), z.dtype
                )
        if name in ROTATED:  # f(x + iy) from g(-y + ix) = u + iv: sin, tan -> v - iu; cos -> u + iv
            neg = fold_expr(ir.Unary(U.NEG, z.im, part))
            w = self.complex_routine(ROTATED[name], (CExpr(neg, z.re, z.dtype),), span)
            if name == "cos":
                return w
            return CExpr(w.im, fold_expr(ir.Unary(U.NEG, w.re, part)), z.dtype)
        return self.complex_routine(UNARY[name], (z,), span)

    def polar(self, args: list, span) -> CExpr:
        """polar(r, theta) = r (cos theta + i sin theta)."""
        for a in args:
            self.require_no_complex(a, "polar", span)
        part = float64 if any(a.dtype is float64 for a in args) else float32
        r, t = (self.temp(cast(a, part), "kc_t") for a in (*args, ir.Const(0.0, part))[:2])
        parts = (
            fold_expr(ir.Binary(B.MUL, r, ir.Math(f, (t,), part), part)) for f in ("cos", "sin")
        )
        return CExpr(*parts, complex_of(part))

    def complex_routine(self, template: str, args: tuple[CExpr, ...], span):
        """A call of complex.cu's `template` over the parts of `args`: a complex result
        (through its two reference parameters) or, for `cx_abs`, a real one."""
        part = args[0].re.dtype
        fdef = routines()[template]
        saved = self.function_defs
        self.function_defs = {**saved, **{k: [f] for k, f in routines().items()}}
        try:  # (the routines call each other by name)
            function = self.instantiate(fdef, {fdef.template_params[0]: part}, span)
        finally:
            self.function_defs = saved
        values = tuple(x for a in args for x in (a.re, a.im))
        if function.return_dtype is not None:
            result = self.scopes.fresh("kc_r")
            self.out.append(ir.Declare(result, part))
            self.out.append(ir.Call(function.name, values, result))
            return ir.Local(result, part)
        result = self.complex_result(args[0].dtype)
        self.out.append(ir.Call(function.name, (*values, result.re, result.im)))
        return result

    def complex_result(self, dtype: DType) -> CExpr:
        """A fresh complex local for a call to store its complex result into."""
        name = self.complex_name("kc_z")
        self.declare_complex(name, None, dtype)
        return self.complex_local(name, dtype)


_SPELLED = {
    "<": B.LT,
    "<=": B.LE,
    ">": B.GT,
    ">=": B.GE,
    "%": B.REM,
    "&": B.AND,
    "|": B.OR,
    "^": B.XOR,
}


def _pairs(a: CExpr, b: CExpr):
    return ((a.re, b.re), (a.im, b.im))
