"""Complex operations as C routines over the components, in NumPy's formulas.

Rule: a routine reads `in0r, in0i, in1r, in1i` (the operands' real and imaginary parts,
already converted to the component type `T`: float for complex64, double for
complex128) and assigns `out0r, out0i` (a complex result) or `out0` (a real or bool
result). Helpers are C functions over `T`, each written once here and joined into a
kernel's preamble only when its routine reaches it. Where NumPy's own loop is a formula
(multiply, Smith's division, reciprocal, integer powers by squaring, the lexicographic
comparisons, `abs` as larger * sqrt(1 + ratio^2)), the routine is that formula, so under
the exact 64-bit policy complex128 gives NumPy's bits (docs/dtypes.md says which).
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> (helpers it calls, C source)
HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    "cx_mul": (
        (),
        """
__device__ void cx_mul(T ar, T ai, T br, T bi, T &rr, T &ri) {
  rr = ar * br - ai * bi;
  ri = ar * bi + ai * br;
}""",
    ),
    # Smith's algorithm, as NumPy divides (a zero divisor divides by |br| and |bi|, both 0).
    "cx_div": (
        (),
        """
__device__ void cx_div(T ar, T ai, T br, T bi, T &rr, T &ri) {
  T abr = fabs(br);
  T abi = fabs(bi);
  if (abr >= abi) {
    if (abr == 0 && abi == 0) {
      rr = ar / abr;
      ri = ai / abi;
    } else {
      T rat = bi / br;
      T scl = (T)1 / (br + bi * rat);
      rr = (ar + ai * rat) * scl;
      ri = (ai - ar * rat) * scl;
    }
  } else {
    T rat = br / bi;
    T scl = (T)1 / (bi + br * rat);
    rr = (ar * rat + ai) * scl;
    ri = (ai * rat - ar) * scl;
  }
}""",
    ),
    # NumPy's hypot of the parts: the larger times sqrt(1 + (smaller / larger)^2).
    "cx_abs": (
        (),
        """
__device__ T cx_abs(T re, T im) {
  T x = fabs(re);
  T y = fabs(im);
  T r;
  if (isinf(x) || isinf(y)) {
    r = (T)INFINITY;
  } else if (isnan(x) || isnan(y)) {
    r = x + y;
  } else {
    T big = x > y ? x : y;
    T small = x > y ? y : x;
    if (big == 0) {
      r = big;
    } else {
      T q = small / big;
      r = big * sqrt((T)1 + q * q);
    }
  }
  return r;
}""",
    ),
    "cx_exp": (
        (),
        """
__device__ void cx_exp(T re, T im, T &rr, T &ri) {
  if (im == 0) {
    rr = exp(re);
    ri = im;
  } else {
    T e = exp(re);
    rr = e * cos(im);
    ri = e * sin(im);
  }
}""",
    ),
    "cx_log": (
        ("cx_abs",),
        """
__device__ void cx_log(T re, T im, T &rr, T &ri) {
  rr = log(cx_abs(re, im));
  ri = atan2(im, re);
}""",
    ),
    # The principal root through t = sqrt((|x| + |z|) / 2); parts past 1e37 are scaled by
    # 1/4 (exactly) so that |x| + |z| cannot overflow.
    "cx_sqrt": (
        ("cx_abs",),
        """
__device__ void cx_sqrt(T re, T im, T &rr, T &ri) {
  if (re == 0 && im == 0) {
    rr = 0;
    ri = im;
  } else if (isinf(im)) {
    rr = (T)INFINITY;
    ri = im;
  } else if (isinf(re) && !isnan(im)) {
    if (re > 0) {
      rr = re;
      ri = copysign((T)0, im);
    } else {
      rr = 0;
      ri = copysign((T)INFINITY, im);
    }
  } else {
    T x = re;
    T y = im;
    T s = 1;
    if (fabs(x) > (T)1e37 || fabs(y) > (T)1e37) {
      x = x * (T)0.25;
      y = y * (T)0.25;
      s = 2;
    }
    T t = sqrt((fabs(x) + cx_abs(x, y)) * (T)0.5);
    if (x >= 0) {
      rr = s * t;
      ri = s * (y / (2 * t));
    } else {
      rr = s * (fabs(y) / (2 * t));
      ri = s * copysign(t, y);
    }
  }
}""",
    ),
    # NumPy's power: 1 for a zero exponent, 0 or NaN for a zero base, integer exponents
    # below 100 by repeated squaring (then 1 / result for negative ones), else
    # exp(b * log(a)): `g`, computed before by the log, multiply and exp routines (one
    # program holding all of them takes minutes to compile for complex128's emulation).
    "cx_pow": (
        ("cx_mul", "cx_div"),
        """
__device__ void cx_pow(T ar, T ai, T br, T bi, T gr, T gi, T &rr, T &ri) {
  if (br == 0 && bi == 0) {
    rr = 1;
    ri = 0;
  } else if (ar == 0 && ai == 0) {
    rr = br > 0 ? (T)0 : (T)NAN;
    ri = br > 0 ? (T)0 : (T)NAN;
  } else if (bi == 0 && br == trunc(br) && fabs(br) < 100) {
    int n = (int)fabs(br);
    if (n == 1) {
      rr = ar;
      ri = ai;
    } else if (n == 2) {
      cx_mul(ar, ai, ar, ai, rr, ri);
    } else if (n == 3) {
      T sr;
      T si;
      cx_mul(ar, ai, ar, ai, sr, si);
      cx_mul(ar, ai, sr, si, rr, ri);
    } else {
      T pr = ar;
      T pi = ai;
      T qr = 1;
      T qi = 0;
      int mask = 1;
      for (int k = 0; k < 8; k++) {
        if ((n & mask) != 0) {
          cx_mul(qr, qi, pr, pi, qr, qi);
        }
        mask = mask << 1;
        if (n < mask) {
          break;
        }
        cx_mul(pr, pi, pr, pi, pr, pi);
      }
      rr = qr;
      ri = qi;
    }
    if (br < 0) {
      cx_div((T)1, (T)0, rr, ri, rr, ri);
    }
  } else {
    rr = gr;
    ri = gi;
  }
}""",
    ),
}


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
    """The helper functions `op` reaches, each after the helpers it calls."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dep in HELPERS[name][0]:
            visit(dep)
        order.append(name)

    for name in op.helpers:
        visit(name)
    return "\n".join(HELPERS[name][1] for name in order)
