"""Complex operations as C routines over the components, in NumPy's formulas.

Rule: a routine reads `in0r, in0i, in1r, in1i` (the operands' real and imaginary parts,
already converted to the component type `T`: float for complex64, double for
complex128) and assigns `out0r, out0i` (a complex result) or `out0` (a real or bool
result). Helpers are the templates of kernelc/lib/complex.cu, shared with kernel text's
`complex<T>`, joined to the preamble of a routine that calls any (only the ones it
reaches are compiled). Where NumPy's own loop is a formula
(multiply, Smith's division, reciprocal, integer powers by squaring, the lexicographic
comparisons, `abs` as larger * sqrt(1 + ratio^2)), the routine is that formula, so under
the exact 64-bit policy complex128 gives NumPy's bits (docs/dtypes.md says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kernelc.lib import COMPLEX_SOURCE, read_source


@dataclass(frozen=True)
class ComplexOp:
    """One complex routine: `result` is "complex", "real" (of the component type) or
    "bool"."""

    nin: int
    body: str
    result: str = "complex"
    helpers: tuple[str, ...] = ()


def _ordering(op: str) -> ComplexOp:
    """NumPy's lexicographic order: real parts first (unless an imaginary part is NaN),
    then imaginary parts."""
    strict = op[0]
    text = (
        f"(in0r {strict} in1r && !isnan(in0i) && !isnan(in1i)) || (in0r == in1r && in0i {op} in1i)"
    )
    return ComplexOp(2, f"out0 = {text}", "bool")


OPS: dict[str, ComplexOp] = {
    "add": ComplexOp(2, "out0r = in0r + in1r;\nout0i = in0i + in1i"),
    "subtract": ComplexOp(2, "out0r = in0r - in1r;\nout0i = in0i - in1i"),
    "multiply": ComplexOp(2, "cx_mul(in0r, in0i, in1r, in1i, out0r, out0i)", helpers=("cx_mul",)),
    "true_divide": ComplexOp(
        2, "cx_div(in0r, in0i, in1r, in1i, out0r, out0i)", helpers=("cx_div",)
    ),
    # (a, b, exp(b * log(a))): `_complex.launch` computes the third operand
    "power": ComplexOp(
        3, "cx_pow(in0r, in0i, in1r, in1i, in2r, in2i, out0r, out0i)", helpers=("cx_pow",)
    ),
    "negative": ComplexOp(1, "out0r = -in0r;\nout0i = -in0i"),
    "positive": ComplexOp(1, "out0r = in0r;\nout0i = in0i"),
    "conjugate": ComplexOp(1, "out0r = in0r;\nout0i = -in0i"),
    "square": ComplexOp(1, "cx_mul(in0r, in0i, in0r, in0i, out0r, out0i)", helpers=("cx_mul",)),
    # NumPy's reciprocal: Smith's scaling by the larger part.
    "reciprocal": ComplexOp(
        1,
        """
if (fabs(in0i) <= fabs(in0r)) {
  T r = in0i / in0r;
  T d = in0r + in0i * r;
  out0r = 1 / d;
  out0i = -r / d;
} else {
  T r = in0r / in0i;
  T d = in0r * r + in0i;
  out0r = r / d;
  out0i = -1 / d;
}""",
    ),
    "exp": ComplexOp(1, "cx_exp(in0r, in0i, out0r, out0i)", helpers=("cx_exp",)),
    "log": ComplexOp(1, "cx_log(in0r, in0i, out0r, out0i)", helpers=("cx_log",)),
    "sqrt": ComplexOp(1, "cx_sqrt(in0r, in0i, out0r, out0i)", helpers=("cx_sqrt",)),
    # the four real products of a complex matmul: (rr - ii) + i (ri + ir)
    "product_parts": ComplexOp(4, "out0r = in0r - in1r;\nout0i = in2r + in3r"),
    "where": ComplexOp(3, "out0r = in0r != 0 ? in1r : in2r;\nout0i = in0r != 0 ? in1i : in2i"),
    "real": ComplexOp(1, "out0 = in0r", "real"),
    "absolute": ComplexOp(1, "out0 = cx_abs(in0r, in0i)", "real", ("cx_abs",)),
    "angle": ComplexOp(1, "out0 = atan2(in0i, in0r)", "real"),
    "equal": ComplexOp(2, "out0 = in0r == in1r && in0i == in1i", "bool"),
    "not_equal": ComplexOp(2, "out0 = in0r != in1r || in0i != in1i", "bool"),
    "less": _ordering("<"),
    "less_equal": _ordering("<="),
    "greater": _ordering(">"),
    "greater_equal": _ordering(">="),
    "isnan": ComplexOp(1, "out0 = isnan(in0r) || isnan(in0i)", "bool"),
    "isinf": ComplexOp(1, "out0 = isinf(in0r) || isinf(in0i)", "bool"),
    "isfinite": ComplexOp(1, "out0 = isfinite(in0r) && isfinite(in0i)", "bool"),
    "nonzero": ComplexOp(1, "out0 = in0r != 0 || in0i != 0", "bool"),
    "logical_not": ComplexOp(1, "out0 = in0r == 0 && in0i == 0", "bool"),
}


def preamble(op: ComplexOp) -> str:
    """The helper templates when `op` calls any (only the ones it reaches are compiled)."""
    return _helpers() if op.helpers else ""


@cache
def _helpers() -> str:
    return read_source(COMPLEX_SOURCE)
