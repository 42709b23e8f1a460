"""The built-in ufuncs as CuPy-style kernel routines: one C body per loop-dtype kind.

Rule: a routine reads `in0`, `in1`, ... (already converted to the loop's input types
`in0_type`, ...) and assigns `out0` (of `out0_type`), like CuPy's `create_ufunc`
routines; the kind key is the loop's first input dtype kind ('b' bool, 'i' signed,
'u' unsigned, 'f' float; '*' any). `BITS` is the width of the loop type as held on the
device. Semantics are NumPy's (floor division, Python-style remainder, NaN-propagating
maximum), not C's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UfuncDef:
    name: str
    nin: int
    routines: dict[str, str]
    numpy_name: str = ""
    nout: int = 1
    preamble: str = ""
    aliases: tuple[str, ...] = field(default=())

    def routine(self, kind: str) -> str:
        for key, body in self.routines.items():
            if kind in key or key == "*":
                return body
        raise TypeError(f"ufunc '{self.name}' has no loop for dtype kind {kind!r}")


def _float1(fn: str) -> dict[str, str]:
    return {"*": f"out0 = {fn}(in0)"}


_FLOOR_DIVIDE_F = """
if (in1 == 0) { out0 = in0 / in1; }
else {
  out0_type m = fmod(in0, in1);
  out0_type d = (in0 - m) / in1;
  if (m != 0 && ((in1 < 0) != (m < 0))) { d -= 1; }
  if (d != 0) { out0_type f = floor(d); if (d - f > 0.5f) { f += 1; } out0 = f; }
  else { out0 = copysign((out0_type)0, in0 / in1); }
}"""
_FLOOR_DIVIDE_I = """
if (in1 == 0) { out0 = 0; }
else {
  out0 = in0 / in1;
  if ((in0 % in1 != 0) && ((in0 < 0) != (in1 < 0))) { out0 = out0 - 1; }
}"""
_REMAINDER_F = """
out0 = fmod(in0, in1);
if (in1 != 0) {
  if (out0 != 0) { if ((in1 < 0) != (out0 < 0)) { out0 += in1; } }
  else { out0 = copysign((out0_type)0, in1); }
}"""
_REMAINDER_I = """
if (in1 == 0) { out0 = 0; }
else {
  out0 = in0 % in1;
  if (out0 != 0 && ((out0 < 0) != (in1 < 0))) { out0 += in1; }
}"""
_POWER_I = """
out0_type r = 1;
out0_type b = in0;
long long e = in1;
if (e < 0) { r = (b == 1) ? 1 : ((b == -1) ? ((e & 1) ? -1 : 1) : 0); }
else { while (e > 0) { if (e & 1) { r = r * b; } b = b * b; e = e >> 1; } }
out0 = r"""
_POWER_U = """
out0_type r = 1;
out0_type b = in0;
unsigned long long e = in1;
while (e > 0) { if (e & 1) { r = r * b; } b = b * b; e = e >> 1; }
out0 = r"""
_GCD = """
in0_type a = in0 < 0 ? -in0 : in0;
in0_type b = in1 < 0 ? -in1 : in1;
while (b != 0) { in0_type t = a % b; a = b; b = t; }
out0 = a"""
_LCM = """
in0_type a = in0 < 0 ? -in0 : in0;
in0_type b = in1 < 0 ? -in1 : in1;
in0_type g = a;
in0_type h = b;
while (h != 0) { in0_type t = g % h; g = h; h = t; }
out0 = g == 0 ? 0 : a / g * b"""
_MAX_F = "out0 = (in0 > in1 || isnan(in0)) ? in0 : in1"
_MIN_F = "out0 = (in0 < in1 || isnan(in0)) ? in0 : in1"
_CLIP_F = """
in0_type t = (in0 > in1 || isnan(in0)) ? in0 : in1;
out0 = (t < in2 || isnan(t)) ? t : in2"""
_CLIP_I = """
in0_type t = in0 > in1 ? in0 : in1;
out0 = t < in2 ? t : in2"""
_LOGADDEXP = """
if (in0 == in1) { out0 = in0 + M_LN2; }
else {
  in0_type d = in0 - in1;
  out0 = d > 0 ? in0 + log1p(exp(-d)) : (d <= 0 ? in1 + log1p(exp(d)) : d);
}"""
_LOGADDEXP2 = """
if (in0 == in1) { out0 = in0 + 1; }
else {
  in0_type d = in0 - in1;
  out0 = d > 0 ? in0 + log1p(exp2(-d)) * M_LOG2E
               : (d <= 0 ? in1 + log1p(exp2(d)) * M_LOG2E : d);
}"""
_SIGN_F = (
    "out0 = isnan(in0) ? in0 : (in0 > 0 ? (out0_type)1 : (in0 < 0 ? (out0_type)-1 : (out0_type)0))"
)
_LSHIFT = "out0 = (in1 < 0 || in1 >= BITS) ? (out0_type)0 : (out0_type)(in0 << in1)"
_RSHIFT_I = "out0 = (in1 < 0 || in1 >= BITS) ? (in0 < 0 ? (out0_type)-1 : (out0_type)0) : (out0_type)(in0 >> in1)"
_RSHIFT_U = "out0 = (in1 >= BITS) ? (out0_type)0 : (out0_type)(in0 >> in1)"

UFUNCS: list[UfuncDef] = [
    # arithmetic
    UfuncDef("add", 2, {"b": "out0 = in0 || in1", "*": "out0 = in0 + in1"}),
    UfuncDef("subtract", 2, {"*": "out0 = in0 - in1"}),
    UfuncDef("multiply", 2, {"b": "out0 = in0 && in1", "*": "out0 = in0 * in1"}),
    UfuncDef("true_divide", 2, {"*": "out0 = in0 / in1"}, "divide", aliases=("divide",)),
    UfuncDef(
        "floor_divide",
        2,
        {
            "f": _FLOOR_DIVIDE_F,
            "i": _FLOOR_DIVIDE_I,
            "ub": "out0 = in1 == 0 ? (out0_type)0 : (out0_type)(in0 / in1)",
        },
    ),
    UfuncDef(
        "remainder",
        2,
        {
            "f": _REMAINDER_F,
            "i": _REMAINDER_I,
            "ub": "out0 = in1 == 0 ? (out0_type)0 : (out0_type)(in0 % in1)",
        },
        aliases=("mod",),
    ),
    UfuncDef(
        "fmod",
        2,
        {
            "f": "out0 = fmod(in0, in1)",
            "*": "out0 = in1 == 0 ? (out0_type)0 : (out0_type)(in0 % in1)",
        },
    ),
    UfuncDef("power", 2, {"f": "out0 = pow(in0, in1)", "i": _POWER_I, "ub": _POWER_U}),
    UfuncDef("float_power", 2, {"*": "out0 = pow(in0, in1)"}),
    UfuncDef("negative", 1, {"*": "out0 = -in0"}),
    UfuncDef("positive", 1, {"*": "out0 = in0"}),
    UfuncDef(
        "absolute",
        1,
        {"f": "out0 = fabs(in0)", "i": "out0 = in0 < 0 ? -in0 : in0", "*": "out0 = in0"},
        aliases=("abs",),
    ),
    UfuncDef("fabs", 1, {"*": "out0 = fabs(in0)"}),
    UfuncDef("sign", 1, {"f": _SIGN_F, "i": "out0 = (in0 > 0) - (in0 < 0)", "*": "out0 = in0 > 0"}),
    UfuncDef("square", 1, {"*": "out0 = in0 * in0"}),
    UfuncDef(
        "reciprocal",
        1,
        {"f": "out0 = 1 / in0", "*": "out0 = in0 == 0 ? (out0_type)0 : (out0_type)(1 / in0)"},
    ),
    UfuncDef("maximum", 2, {"f": _MAX_F, "*": "out0 = in0 > in1 ? in0 : in1"}),
    UfuncDef("minimum", 2, {"f": _MIN_F, "*": "out0 = in0 < in1 ? in0 : in1"}),
    UfuncDef(
        "fmax",
        2,
        {"f": "out0 = (in0 >= in1 || isnan(in1)) ? in0 : in1", "*": "out0 = in0 > in1 ? in0 : in1"},
    ),
    UfuncDef(
        "fmin",
        2,
        {"f": "out0 = (in0 <= in1 || isnan(in1)) ? in0 : in1", "*": "out0 = in0 < in1 ? in0 : in1"},
    ),
    UfuncDef("clip", 3, {"f": _CLIP_F, "*": _CLIP_I}),
    UfuncDef("gcd", 2, {"*": _GCD}),
    UfuncDef("lcm", 2, {"*": _LCM}),
    # exponents, logarithms, roots
    *(
        UfuncDef(n, 1, _float1(n))
        for n in ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt"]
    ),
    UfuncDef("logaddexp", 2, {"*": _LOGADDEXP}),
    UfuncDef("logaddexp2", 2, {"*": _LOGADDEXP2}),
    # trigonometry
    *(UfuncDef(n, 1, _float1(n)) for n in ["sin", "cos", "tan", "sinh", "cosh", "tanh"]),
    *(
        UfuncDef("arc" + n, 1, _float1("a" + n))
        for n in ["sin", "cos", "tan", "sinh", "cosh", "tanh"]
    ),
    UfuncDef("arctan2", 2, {"*": "out0 = atan2(in0, in1)"}),
    UfuncDef("hypot", 2, {"*": "out0 = hypot(in0, in1)"}),
    UfuncDef("deg2rad", 1, {"*": "out0 = in0 * (out0_type)(M_PI / 180.0)"}, aliases=("radians",)),
    UfuncDef("rad2deg", 1, {"*": "out0 = in0 * (out0_type)(180.0 / M_PI)"}, aliases=("degrees",)),
    # rounding
    *(
        UfuncDef(n, 1, {"f": f"out0 = {n}(in0)", "*": "out0 = in0"})
        for n in ["floor", "ceil", "trunc"]
    ),
    UfuncDef("rint", 1, {"*": "out0 = rint(in0)"}),
    # floating-point classification and manipulation
    UfuncDef("isnan", 1, {"f": "out0 = isnan(in0)", "*": "out0 = false"}),
    UfuncDef("isinf", 1, {"f": "out0 = isinf(in0)", "*": "out0 = false"}),
    UfuncDef("isfinite", 1, {"f": "out0 = isfinite(in0)", "*": "out0 = true"}),
    UfuncDef("signbit", 1, {"f": "out0 = signbit(in0)", "*": "out0 = in0 < 0"}),
    UfuncDef("copysign", 2, {"*": "out0 = copysign(in0, in1)"}),
    UfuncDef(
        "heaviside",
        2,
        {
            "*": "out0 = isnan(in0) ? in0 : (in0 == 0 ? in1 : "
            "(in0 < 0 ? (out0_type)0 : (out0_type)1))"
        },
    ),
    # comparisons and logic
    UfuncDef("greater", 2, {"*": "out0 = in0 > in1"}),
    UfuncDef("greater_equal", 2, {"*": "out0 = in0 >= in1"}),
    UfuncDef("less", 2, {"*": "out0 = in0 < in1"}),
    UfuncDef("less_equal", 2, {"*": "out0 = in0 <= in1"}),
    UfuncDef("equal", 2, {"*": "out0 = in0 == in1"}),
    UfuncDef("not_equal", 2, {"*": "out0 = in0 != in1"}),
    UfuncDef("logical_and", 2, {"*": "out0 = (in0 != 0) && (in1 != 0)"}),
    UfuncDef("logical_or", 2, {"*": "out0 = (in0 != 0) || (in1 != 0)"}),
    UfuncDef("logical_xor", 2, {"*": "out0 = (in0 != 0) != (in1 != 0)"}),
    UfuncDef("logical_not", 1, {"*": "out0 = !(in0 != 0)"}),
    # bits
    UfuncDef("bitwise_and", 2, {"*": "out0 = in0 & in1"}),
    UfuncDef("bitwise_or", 2, {"*": "out0 = in0 | in1"}),
    UfuncDef("bitwise_xor", 2, {"*": "out0 = in0 ^ in1"}),
    UfuncDef("invert", 1, {"b": "out0 = !in0", "*": "out0 = ~in0"}, aliases=("bitwise_not",)),
    UfuncDef("left_shift", 2, {"*": _LSHIFT}),
    UfuncDef("right_shift", 2, {"i": _RSHIFT_I, "*": _RSHIFT_U}),
]
