"""The built-in math functions by meaning, and the C spellings that reach them.

Rule: names in `MATH` are semantic (CUDA's results); each emitter maps every one of them
or polyfills it. `C_NAMES` maps what a kernel writes (`expf`, `__expf`, `fminf`) onto them.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.ir import bits
from kernelc.ir.dtypes import DType, bool_, int32


@dataclass(frozen=True, slots=True)
class Builtin:
    arity: int
    kind: str  # 'float': args and result float32; 'pred': float args, bool result;
    # 'int': float args, int32 result ('ilogb', 'frexp_exp'); 'generic': args promoted
    # together, result of that type ('abs', 'min', 'max'); 'bits': CUDA's integer
    # intrinsics, operand and result types in `bits.SIGNATURES`

    def result(self, operand: DType) -> DType:
        """The result type of a call whose (converted) operands have type `operand`."""
        return {"pred": bool_, "int": int32}.get(self.kind, operand)


_FLOAT1 = """exp exp2 exp10 log log2 log10 sqrt rsqrt sin cos tan asin acos atan sinh cosh tanh
asinh acosh atanh floor ceil trunc round rint fabs log1p expm1 cbrt rcbrt erf erfc erfinv erfcinv
erfcx normcdf normcdfinv lgamma tgamma sinpi cospi logb""".split()
# `ldexp(x, n)`: n is an int in C; as a float it is exact wherever the result is finite.
_FLOAT2 = "atan2 pow fmod fmin fmax copysign fdim hypot ldexp remainder nextafter".split()
_FLOAT3 = ["fma"]
# Bessel functions (kernelc/lib/bessel.cu, float64_bessel.cu). `jn(n, x)`, `yn(n, x)`: n is
# an int in C, the first operand; as a float it is exact for every order that matters.
_BESSEL1 = "j0 j1 y0 y1 cyl_bessel_i0 cyl_bessel_i1".split()
_BESSEL2 = ["jn", "yn"]
_PRED = "isnan isinf isfinite signbit".split()
# `frexp(x, &e)`: the significand in [0.5, 1) is `frexp`, the exponent `frexp_exp` (an int;
# 0 for zero, Inf and NaN), so each is a function of x alone (see POINTER_RESULTS).
_INT1 = ["frexp_exp", "ilogb"]
# `modf(x, &i)`: the fractional part is `modf`, the integer part `trunc`; `remquo(x, y, &q)`:
# `remainder`, and the quotient's sign and low 3 bits `remquo_quo` (an int).

MATH: dict[str, Builtin] = {
    **{n: Builtin(1, "float") for n in _FLOAT1},
    **{n: Builtin(2, "float") for n in _FLOAT2},
    **{n: Builtin(3, "float") for n in _FLOAT3},
    **{n: Builtin(1, "float") for n in _BESSEL1},
    **{n: Builtin(2, "float") for n in _BESSEL2},
    **{n: Builtin(1, "pred") for n in _PRED},
    "frexp": Builtin(1, "float"),
    "modf": Builtin(1, "float"),
    "remquo_quo": Builtin(2, "int"),
    **{n: Builtin(1, "int") for n in _INT1},
    **{fn: Builtin(len(sig[0]), "bits") for fn, sig in bits.SIGNATURES.items()},
    "abs": Builtin(1, "generic"),
    "min": Builtin(2, "generic"),
    "max": Builtin(2, "generic"),
    # Not a C function: the conversion to float16 (CuPy's half) on every store, as f32.
    "f16round": Builtin(1, "float"),
    # The targets' own approximations, for the shader library (kernelc/lib) only: their
    # accuracy, and the result of native_min/max for a NaN operand, are the target's.
    "native_exp": Builtin(1, "float"),
    "native_exp2": Builtin(1, "float"),
    "native_log": Builtin(1, "float"),
    "native_log2": Builtin(1, "float"),
    "native_min": Builtin(2, "float"),
    "native_max": Builtin(2, "float"),
}

# C spellings: plain, the `f` forms, and the fast `__xxxf` intrinsics (computed exactly).
C_NAMES: dict[str, str] = {}
for _n in [*_FLOAT1, *_FLOAT2, *_FLOAT3, *_BESSEL1, *_BESSEL2, "ilogb"]:
    C_NAMES[_n] = C_NAMES[_n + "f"] = _n
for _n in _PRED + ["abs", "min", "max"]:
    C_NAMES[_n] = _n
C_NAMES.update(
    {
        "fabsf": "fabs",
        "nearbyint": "rint",  # rounds to nearest even, as rint (no inexact flag in shaders)
        "nearbyintf": "rint",
        "__expf": "exp",
        "__exp10f": "exp10",
        "__logf": "log",
        "__log2f": "log2",
        "__log10f": "log10",
        "__sinf": "sin",
        "__cosf": "cos",
        "__tanf": "tan",
        "__powf": "pow",
        "__fmaf_rn": "fma",
        "scalbn": "ldexp",
        "scalbnf": "ldexp",
        "__fsqrt_rn": "sqrt",
        "__frsqrt_rn": "rsqrt",
        "labs": "abs",
        "llabs": "abs",
        "llmin": "min",
        "llmax": "max",
        "umin": "min",
        "umax": "max",
        "isnanf": "isnan",
        "isinff": "isinf",
    }
)
# The C spellings of the native approximations (OpenCL's names), accepted in library code only.
NATIVE_NAMES: dict[str, str] = {
    "native_expf": "native_exp",
    "native_exp2f": "native_exp2",
    "native_logf": "native_log",
    "native_log2f": "native_log2",
    "native_fminf": "native_min",
    "native_fmaxf": "native_max",
}
NATIVE = frozenset(NATIVE_NAMES.values())  # what these give (accuracy, NaN) is the target's
# Functions returning through pointers, which shaders do not have. Those in POINTER_BUILTINS
# take `&lvalue` arguments and become a store of one built-in per pointer (and the call's
# value): {C name: (value or None, built-in stored through each pointer)}; the rest are
# refused with the advice here.
POINTER_BUILTINS = {
    "sincos": (None, ("sin", "cos")),
    "sincospi": (None, ("sinpi", "cospi")),
    "frexp": ("frexp", ("frexp_exp",)),
    "modf": ("modf", ("trunc",)),
    "remquo": ("remainder", ("remquo_quo",)),
}
POINTER_BUILTINS.update({n + "f": v for n, v in POINTER_BUILTINS.items()})
POINTER_RESULTS = {"lgamma_r": "lgamma()", "lgammaf_r": "lgammaf()"}
# Arithmetic intrinsics that lowering writes as the operator: name -> (BinaryOp value,
# double operands). CUDA's `_rn` forms round to nearest, as the targets do; `__fdividef`
# is plain division. `__frcp_rn(x)` and `__drcp_rn(x)` are 1 / x.
ARITHMETIC_INTRINSICS = {
    f"__{p}{op}_rn": (op, p == "d") for p in ("f", "d") for op in ("add", "sub", "mul", "div")
}
ARITHMETIC_INTRINSICS.update({"__fdividef": ("div", False), "fdividef": ("div", False)})
RECIPROCALS = {"__frcp_rn": False, "__drcp_rn": True}
# `lrint(x)`, `llround(x)`, ...: the built-in's value converted to long / long long.
INTEGER_ROUNDINGS = {
    f"{width}{fn}{suffix}": (fn, "long long" if width == "ll" else "long")
    for width in ("l", "ll")
    for fn in ("rint", "round")
    for suffix in ("", "f")
}

# Constants from math.h, math_constants.h and CUDA headers: name -> (value, is_float_type).
CONSTANTS: dict[str, tuple[float, bool]] = {
    "M_PI": (3.14159265358979323846, False),
    "M_PI_2": (1.57079632679489661923, False),
    "M_PI_4": (0.78539816339744830962, False),
    "M_1_PI": (0.31830988618379067154, False),
    "M_2_PI": (0.63661977236758134308, False),
    "M_2_SQRTPI": (1.12837916709551257390, False),
    "M_E": (2.7182818284590452354, False),
    "M_LOG2E": (1.4426950408889634074, False),
    "M_LOG10E": (0.43429448190325182765, False),
    "M_LN2": (0.69314718055994530942, False),
    "M_LN10": (2.30258509299404568402, False),
    "M_SQRT2": (1.41421356237309504880, False),
    "M_SQRT1_2": (0.70710678118654752440, False),
    "INFINITY": (float("inf"), True),
    "NAN": (float("nan"), True),
    "HUGE_VALF": (float("inf"), True),
    "HUGE_VAL": (float("inf"), False),
    "CUDART_INF_F": (float("inf"), True),
    "CUDART_NAN_F": (float("nan"), True),
    "CUDART_INF": (float("inf"), False),
    "CUDART_NAN": (float("nan"), False),
    "CUDART_PI_F": (3.14159265358979323846, True),
    "CUDART_PI": (3.14159265358979323846, False),
    "CUDART_PIO2_F": (1.57079632679489661923, True),
    "CUDART_SQRT_2PI_F": (2.50662827463100050242, True),
    "CUDART_SQRT_HALF_F": (0.70710678118654752440, True),
    "CUDART_LN2_F": (0.69314718055994530942, True),
    "FLT_MAX": (3.4028234663852886e38, True),
    "FLT_MIN": (1.1754943508222875e-38, True),
    "FLT_EPSILON": (1.1920928955078125e-07, True),
}
INT_CONSTANTS: dict[str, tuple[int, str]] = {
    "INT_MAX": (2**31 - 1, "int32"),
    "INT_MIN": (-(2**31), "int32"),
    "UINT_MAX": (2**32 - 1, "uint32"),
}
