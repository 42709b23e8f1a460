"""The differential corpus: CuPy ElementwiseKernels with NumPy references of their CUDA
semantics. Reading it top to bottom shows what kernelc supports.

Rule: each entry is a complete CuPy kernel (the constructor's strings), how it is called
(`inputs`: the call's arguments, from a seeded generator; inputs, then any given outputs),
and `reference`: what CUDA would compute from the same arguments (given outputs arrive as
copies holding their old contents). Integers and bools compare exactly, floats within
`rtol`/`atol`. A kernel runs on every target in `targets`; on the others it must be
refused with `UnsupportedOnTarget`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kernelc.scan.sources import read_cu
from tests.compiler.csem import (
    HALVES,
    SPECIAL_FLOATS,
    N,
    bools,
    c_round,
    cdiv,
    cmod,
    f32,
    floats,
    fmax,
    fmin,
    full,
    i32,
    ints,
    nonzero_ints,
    shl,
    trunc_i32,
    u32,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRANSCENDENTAL = {"rtol": 2e-5, "atol": 2e-6}  # GPU exp/log/sin are a few ULP off, not exact


@dataclass(frozen=True)
class Kernel:
    name: str
    in_params: str
    out_params: str
    operation: str
    inputs: Callable[[np.random.Generator], tuple]
    reference: Callable[..., object]
    preamble: str = ""
    loop_prep: str = ""
    after_loop: str = ""
    size: int | None = None
    rtol: float = 1e-6
    atol: float = 0.0
    targets: tuple[str, ...] = ("wgsl", "glsl")
    shows: str = ""  # the constructs / semantics this kernel is here for

    def args(self) -> tuple:
        """The call's arguments, the same on every run (seeded by the kernel's name)."""
        return self.inputs(np.random.default_rng(zlib.crc32(self.name.encode())))

    def translate_kwargs(self) -> dict:
        """`translate_elementwise` keywords for the call `args()` makes (what the CuPy-like
        call derives: placeholder dtypes, loop ndim, scalar inputs, raw layouts)."""
        params = [
            (item.split(), k < len(self.in_params.split(",")))
            for k, item in enumerate((self.in_params + "," + self.out_params).split(","))
        ]
        args = self.args()
        types, scalars, raw, shapes = {}, [], {}, []
        for (words, _is_in), arg in zip(params, args):
            *keywords, type_, name = words
            if not isinstance(arg, np.ndarray):
                scalars.append(name)
                continue
            if len(type_) == 1:
                types.setdefault(type_, arg.dtype.name)
            if "raw" in keywords:
                raw[name] = (arg.ndim, bool(arg.flags.c_contiguous))
            else:
                shapes.append(arg.shape)
        ndim = len(np.broadcast_shapes(*shapes)) if shapes else 1
        return {
            "name": self.name,
            "preamble": self.preamble,
            "loop_prep": self.loop_prep,
            "after_loop": self.after_loop,
            "types": types,
            "ndim": ndim,
            "scalars": tuple(scalars),
            "raw": raw,
        }


CORPUS: list[Kernel] = []


def add(*args, **kwargs) -> Kernel:
    kernel = Kernel(*args, **kwargs)
    assert kernel.name not in {k.name for k in CORPUS}, kernel.name
    CORPUS.append(kernel)
    return kernel


def example(file: str, inputs, reference, **kwargs) -> Kernel:
    """A kernel from `examples/*.cu`, kept in sync with the file."""
    kdef = read_cu(file, (EXAMPLES / file).read_text())
    return add(
        kdef.name,
        kdef.in_params,
        kdef.out_params,
        kdef.operation,
        inputs,
        reference,
        preamble=kdef.preamble,
        loop_prep=kdef.loop_prep,
        after_loop=kdef.after_loop,
        **kwargs,
    )


def _grid(rows: int, cols: int):
    cx, cy = np.meshgrid(np.linspace(-2.2, 0.8, cols), np.linspace(-1.3, 1.3, rows))
    return f32(cx), f32(cy)


def _mandelbrot(cx, cy, max_iter):
    zr, zi = np.zeros_like(cx), np.zeros_like(cy)
    count = np.zeros(cx.shape, np.int32)
    for _ in range(int(max_iter)):
        live = zr * zr + zi * zi <= np.float32(4)
        t = np.where(live, zr * zr - zi * zi + cx, zr)
        zi = np.where(live, np.float32(2) * zr * zi + cy, zi)
        zr = t
        count += live
    return count


def _smooth_clip(x, lo, hi):
    v = np.clip(x, lo, hi)
    return v + f32(0.1) * np.tanh((v - f32(0.5) * (lo + hi)) / f32(0.1))


# ================================================================== examples/*.cu

example(
    "squared_diff.cu",
    lambda r: (floats(r), floats(r)),
    lambda x, y: (x - y) * (x - y),
    shows="a placeholder type bound by the arrays, one-expression operation",
)

example(
    "mandelbrot.cu",
    lambda r: (*_grid(40, 60), 60),
    _mandelbrot,
    shows="while loop with a runtime bound (scalar max_iter), 2-D loop shape",
)

example(
    "smooth_clip.cu",
    lambda r: (floats(r, lo=-2, hi=3), np.float32(-0.5), 1.5),
    lambda x, lo, hi: _smooth_clip(x, f32(lo), f32(hi)),
    **TRANSCENDENTAL,
    shows="#define, template function, reference parameter, tanhf, float scalars",
)

# ================================================================== arithmetic semantics

add(
    "int_div_mod_negative",
    "int32 a, int32 b",
    "int32 q, int32 r",
    "q = a / b;\nr = a % b;",
    lambda r: (
        ints(r, lo=-100, hi=100, special=(-7, 7, -7, 7, -2147483648, 0)),
        nonzero_ints(r, special=(2, -2, -2, 2, -1, 5)),
    ),
    lambda a, b: (cdiv(a, b), cmod(a, b)),
    shows="C truncating / and % (-7/2 == -3, -7%2 == -1), INT_MIN / -1",
)

add(
    "int32_wraparound",
    "int32 x",
    "int32 y, int32 z, int32 w",
    "y = x * 65536 * 65536 + x;\nz = x * 1103515245 + 12345;\nw = INT_MAX + x;",
    lambda r: (ints(r, lo=1, hi=100000, special=(1, 2, 3, 65535)),),
    lambda x: (
        i32(x),
        i32(x.astype(np.int64) * 1103515245 + 12345),
        i32(2**31 - 1 + x.astype(np.int64)),
    ),
    shows="int32 overflow wraps (two's complement), INT_MAX",
)


def _xorshift(x):
    return x ^ (x >> np.uint32(15))


add(
    "uint32_arithmetic",
    "uint32 a, uint32 b",
    "uint32 h, uint32 d, uint32 m, uint32 w",
    """
unsigned int x = a * 2654435761u;
x ^= x >> 15;
h = x;
d = a / (b | 1u);
m = a % (b | 1u);
w = (0u - 1u) - b;
""",
    lambda r: (
        ints(r, lo=0, hi=2**32, dtype=np.uint32, special=(0, 1, 4294967295)),
        ints(r, lo=0, hi=2**32, dtype=np.uint32, special=(0, 7, 4294967295)),
    ),
    lambda a, b: (
        _xorshift(u32(a.astype(np.int64) * 2654435761)),
        a // (b | np.uint32(1)),
        a % (b | np.uint32(1)),
        u32(4294967295 - b.astype(np.int64)),
    ),
    shows="uint32 wraparound (0u - 1u == 4294967295u), logical >>, unsigned / and %",
)

add(
    "signed_unsigned_mix",
    "int32 a, uint32 u",
    "bool lt, uint32 s, int32 d",
    "lt = a < u;\ns = a + u;\nd = a / 2u;",
    lambda r: (
        ints(r, lo=-50, hi=50, special=(-1, 0, 1)),
        ints(r, lo=0, hi=100, dtype=np.uint32, special=(1, 1, 0)),
    ),
    lambda a, u: (u32(a) < u, u32(a.astype(np.int64) + u), i32(u32(a) // np.uint32(2))),
    shows="usual arithmetic conversions: int meets unsigned -> unsigned (-1 < 1u is false)",
)

add(
    "shifts",
    "int32 a, uint32 u, int32 s",
    "int32 l, int32 rs, uint32 ul, uint32 ur",
    "l = a << (s & 31);\nrs = a >> (s & 31);\nul = u << (s & 31);\nur = u >> (s & 31);",
    lambda r: (
        ints(r, lo=-(2**31), hi=2**31, special=(-1, -8, 1)),
        ints(r, lo=0, hi=2**32, dtype=np.uint32),
        ints(r, lo=-40, hi=40),
    ),
    lambda a, u, s: (shl(a, s & 31), a >> (s & 31), shl(u, s & 31), u >> u32(s & 31)),
    shows="<< drops bits, >> is arithmetic on int and logical on unsigned",
)

add(
    "float_to_int",
    "float32 x",
    "int32 a, int32 b, int32 c, int32 d",
    "a = (int)x;\nb = static_cast<int>(x);\nc = int(x * 2.0f);\nd = (int)-2.7f + (int)(-x);",
    lambda r: (floats(r, lo=-1000, hi=1000, special=(-2.7, 2.7, -0.5, -1.0, 1e9)),),
    lambda x: (trunc_i32(x), trunc_i32(x), trunc_i32(x * f32(2)), -2 + trunc_i32(-x)),
    shows="float -> int conversion truncates toward zero ((int)-2.7f == -2)",
)

add(
    "int_float_mix",
    "int32 a, float32 x",
    "float32 y, int32 z, float32 w",
    "y = a / 2 + x;\nz = a * 2.5f;\nw = a / 2.0f;",
    lambda r: (ints(r, lo=-100, hi=100, special=(-7, 7, -3, 3)), floats(r)),
    lambda a, x: (f32(cdiv(a, 2)) + x, trunc_i32(f32(a) * f32(2.5)), f32(a) / f32(2)),
    shows="int division before conversion, implicit float -> int on assignment",
)

add(
    "round_vs_rint",
    "float32 x",
    "float32 r, float32 e, float32 f, float32 c",
    "r = roundf(x);\ne = rint(x);\nf = floorf(x);\nc = ceil(x);",
    lambda r: (floats(r, lo=-100, hi=100, special=HALVES),),
    lambda x: (c_round(x), np.rint(x), np.floor(x), np.ceil(x)),
    shows="round: half away from zero; rint: half to even (2.5 -> 3 vs 2); floor, ceil",
)

add(
    "fmod_trunc_copysign",
    "float32 x, float32 y",
    "float32 m, float32 t, float32 c, float32 a",
    "m = fmodf(x, y);\nt = trunc(x);\nc = copysignf(x, y);\na = fabs(x) + fabsf(y);",
    lambda r: (
        floats(r, special=(-7.5, 7.5, -7.5, 5.25, -0.0)),
        floats(r, lo=0.5, hi=4) * f32(np.where(np.arange(N) % 2, 1, -1)),
    ),
    lambda x, y: (np.fmod(x, y), np.trunc(x), np.copysign(x, y), np.abs(x) + np.abs(y)),
    rtol=1e-5,
    atol=1e-6,
    shows="fmod follows the dividend's sign (fmod(-7.5, 2) == -1.5), trunc, copysign",
)

add(
    "nan_inf_inputs",
    "float32 x",
    "bool n, bool inf, bool fin, float32 y",
    "n = isnan(x);\ninf = isinf(x);\nfin = isfinite(x);\ny = isnan(x) ? -1.0f : x * 2.0f;",
    lambda r: (floats(r, special=SPECIAL_FLOATS * 3),),
    lambda x: (np.isnan(x), np.isinf(x), np.isfinite(x), np.where(np.isnan(x), f32(-1), x * 2)),
    shows="isnan/isinf/isfinite on real NaN/Inf inputs",
)

add(
    "nan_comparisons",
    "float32 x, float32 y",
    "bool ne, bool self_ne, bool eq, bool ordered",
    "ne = x != y;\nself_ne = x != x;\neq = x == y;\nordered = x < y || x >= y;",
    lambda r: (
        floats(r, special=(np.nan, 1.0, np.nan, 1.0, np.inf)),
        floats(r, special=(1.0, np.nan, np.nan, 1.0, np.inf)),
    ),
    lambda x, y: (~(x == y), np.isnan(x), x == y, ~(np.isnan(x) | np.isnan(y))),
    shows="comparisons with a NaN operand: != is true, ==, <, >= are false (x != x is a NaN test)",
)

add(
    "nan_select",
    "float32 x, float32 y",
    "float32 hi, float32 lo",
    "hi = x > y ? x : y;\nlo = x < y ? x : y;",
    lambda r: (
        floats(r, special=(1.0, np.nan, np.nan, -2.0)),
        floats(r, special=(np.nan, 1.0, np.nan, np.inf)),
    ),
    lambda x, y: (np.where(x > y, x, y), np.where(x < y, x, y)),
    shows="a hand-written max/min with ?: keeps C's NaN behaviour (the false arm when "
    "unordered), unlike fmaxf",
)

add(
    "nan_if_select",
    "float32 x, float32 y",
    "float32 hi, float32 lo",
    "if (x > y) hi = x; else hi = y;\nif (y <= x) { lo = y; } else { lo = x; }",
    lambda r: (
        floats(r, special=(1.0, np.nan, np.nan, -2.0, 2.0)),
        floats(r, special=(np.nan, 1.0, np.nan, np.inf, 2.0)),
    ),
    lambda x, y: (np.where(x > y, x, y), np.where(y <= x, y, x)),
    shows="the same max/min written with if/else (which drivers also flatten into a "
    "select) keeps C's NaN behaviour",
)

add(
    "inf_arithmetic",
    "float32 x, float32 y",
    "float32 a, float32 b, float32 c, float32 d",
    "a = 1.0f / x;\nb = x * y;\nc = x + CUDART_INF_F;\nd = x / x;",
    lambda r: (
        floats(r, special=SPECIAL_FLOATS),
        floats(r, special=(1.0, 0.0, 0.0, np.inf, np.inf, -np.inf, np.nan)),
    ),
    lambda x, y: (f32(1) / x, x * y, x + f32(np.inf), x / x),
    shows="IEEE inf/NaN propagation: 1/0 == inf, 1/-0 == -inf, inf*0 == NaN, -inf+inf == NaN, "
    "0/0 == NaN",
)

add(
    "inf_times_literal_zero",
    "float32 x",
    "float32 z, float32 d",
    "z = x * 0.0f;\nd = x - x;",
    lambda r: (floats(r, special=SPECIAL_FLOATS),),
    lambda x: (x * f32(0), x - x),
    shows="x * 0.0f and x - x are NaN for x = inf or NaN",
)

add(
    "min_max_nan",
    "float32 x, float32 y",
    "float32 a, float32 b, float32 c, float32 d",
    "a = fminf(x, y);\nb = fmaxf(x, y);\nc = min(x, y);\nd = max(x, y);",
    lambda r: (
        floats(r, special=(np.nan, 1.0, np.nan, -np.inf, 2.0)),
        floats(r, special=(1.0, np.nan, np.nan, 3.0, np.inf)),
    ),
    lambda x, y: (fmin(x, y), fmax(x, y), fmin(x, y), fmax(x, y)),
    shows="fminf/fmaxf and min/max on floats: a NaN operand yields the other operand",
)

add(
    "min_max_abs",
    "int32 a, int32 b, float32 x",
    "int32 lo, int32 hi, int32 ab, float32 fa",
    "lo = min(a, b);\nhi = max(a, b);\nab = abs(a) + abs(-3);\nfa = abs(x) - max(x, 0.0f);",
    lambda r: (ints(r), ints(r), floats(r)),
    lambda a, b, x: (
        np.minimum(a, b),
        np.maximum(a, b),
        np.abs(a) + 3,
        np.abs(x) - np.maximum(x, f32(0)),
    ),
    shows="min/max/abs on int and float (the overload follows the argument types)",
)

add(
    "float_compound",
    "float32 x, float32 y",
    "float32 z",
    "float f = x;\nf += 1.5f;\nf -= y;\nf *= 2.0f;\nf /= 4.0f;\nz = f;",
    lambda r: (floats(r), floats(r)),
    lambda x, y: ((x + f32(1.5) - y) * f32(2)) / f32(4),
    shows="compound assignment on floats",
)


def _int_compound(a, b):
    v = cmod(cdiv((a + 7 - b) * 3, b), 50)
    return (((shl(v, 2) >> 1) & 0x7FF) | 0x100) ^ b


add(
    "int_compound",
    "int32 a, int32 b",
    "int32 y",
    """
int v = a;
v += 7;
v -= b;
v *= 3;
v /= b;
v %= 50;
v <<= 2;
v >>= 1;
v &= 0x7ff;
v |= 0x100;
v ^= b;
y = v;
""",
    lambda r: (ints(r, lo=-500, hi=500), nonzero_ints(r)),
    lambda a, b: _int_compound(a, b),
    shows="every integer compound assignment: += -= *= /= %= <<= >>= &= |= ^=",
)

add(
    "operators",
    "int32 a, int32 b",
    "int32 bits, int32 cmp, int32 logic",
    """
bits = ((a & b) | (a ^ ~b)) + (-a) + (+b) + (a << 3) + (a >> 2);
cmp = (a < b) + (a <= b) * 2 + (a > b) * 4 + (a >= b) * 8 + (a == b) * 16 + (a != b) * 32;
int k = 0;
bool t = (a > 0) && (++k > 0);
bool u = (a > 0) || (++k > 0);
logic = !a + (a && b) * 2 + (a || b) * 4 + t * 8 + u * 16 + k * 32;
""",
    lambda r: (ints(r, lo=-20, hi=20), ints(r, lo=-20, hi=20)),
    lambda a, b: (
        ((a & b) | (a ^ ~b)) + (-a) + b + shl(a, 3) + (a >> 2),
        (a < b) + (a <= b) * 2 + (a > b) * 4 + (a >= b) * 8 + (a == b) * 16 + (a != b) * 32,
        (a == 0) + ((a != 0) & (b != 0)) * 2 + ((a != 0) | (b != 0)) * 4 + (a > 0) * 8 + 16 + 32,
    ),
    shows="every C operator; && and || short-circuit (the ++k on the right runs only "
    "when needed: k == 1 either way)",
)


def _inc_dec_float(x):
    g = (x + f32(1)) - f32(1)  # g++; --g; rounds through x + 1
    return g + (g + f32(1))  # f = g++; f += g;


add(
    "inc_dec",
    "int32 a, float32 x",
    "int32 y, int32 z, float32 f",
    """
int t[4] = {10, 20, 30, 40};
int k = 0;
int u = t[k++];
int v = t[++k];
int w = k--;
w += --k;
int m = a;
int p = m++ * 2;
int q = --m + 1;
float g = x;
g++;
--g;
y = u + v * 100 + p;
z = w + q * 10 + k * 1000 + m;
f = g++;
f += g;
""",
    lambda r: (ints(r), floats(r, lo=-100, hi=100)),
    lambda a, x: (10 + 3000 + 2 * a, 2 + (a + 1) * 10 + a, _inc_dec_float(x)),
    shows="++/-- pre and post inside expressions (y = t[k++]), on ints and floats",
)

add(
    "ternary",
    "float32 x",
    "float32 y, int32 c, int32 s",
    """
y = x < -1.0f ? -1.0f : x > 1.0f ? 1.0f : x;
c = x > 0 ? (x > 1 ? 2 : 1) : (x < -1 ? -2 : -1);
int k = 5;
int r = x > 0 ? k++ : k--;
s = r * 100 + k;
""",
    lambda r: (floats(r, lo=-3, hi=3),),
    lambda x: (
        np.clip(x, -1, 1),
        np.where(x > 0, np.where(x > 1, 2, 1), np.where(x < -1, -2, -1)),
        np.where(x > 0, 506, 504),
    ),
    shows="nested ?:, and only the chosen arm is evaluated (k++ vs k--)",
)

# ================================================================== declarations, literals

add(
    "declarations",
    "int32 a",
    "int32 y, float32 f",
    """
int p = 1, q = a + p, r;
r = p + q * 2;
float u = 1.5f, v = u * 2.0f, w;
w = u + v;
const int c = 3;
y = r + c;
f = w * a;
""",
    lambda r: (ints(r),),
    lambda a: (1 + (a + 1) * 2 + 3, f32(4.5) * f32(a)),
    shows="several declarators per declaration, with and without initialisers, const",
)

add(
    "literals",
    "int32 a",
    "int32 h, uint32 u, float32 f, float32 g",
    """
h = 0x1F + 0X10 + a + 'A';
u = 0xFFFFFFFFu - 0x10u + 10u + 0xFFFFFFFF;
f = 1e-3 * a + 2.5e2f + .5f;
g = 1.0 + 3.f + 1E1f;
""",
    lambda r: (ints(r),),
    lambda a: (
        a + 31 + 16 + 65,
        u32(0xFFFFFFFF - 0x10 + 10 + 0xFFFFFFFF),
        f32(1e-3 * a.astype(np.float64) + 250.5),
        full(a.shape, 14.0, np.float32),
    ),
    shows="hex (also unsigned by value), u suffix, char, 1e-3, 2.5e2f, .5f, 1.0 (double "
    "computed as float)",
)

add(
    "constants",
    "float32 x",
    "float32 a, float32 b, bool c, bool d",
    "a = M_PI * x;\nb = x > 0.0f ? INFINITY : -CUDART_INF_F;\nc = isnan(NAN + x);\nd = isinf(b);",
    lambda r: (floats(r),),
    lambda x: (
        f32(np.pi) * x,
        np.where(x > 0, f32(np.inf), f32(-np.inf)),
        np.ones(x.shape, bool),
        np.ones(x.shape, bool),
    ),
    shows="M_PI, INFINITY, NAN, CUDART_INF_F",
)

add(
    "casts",
    "T x, int32 a, uint32 u",
    "float32 f, int32 k, uint32 v, T g",
    """
f = (float)a / 3.0f + float(u);
k = static_cast<int>(x) + int(x * 10.0f) % 7;
v = (unsigned int)a + static_cast<unsigned int>(u >> 1);
g = T(a) * x;
""",
    lambda r: (floats(r, lo=-50, hi=50), ints(r), ints(r, lo=0, hi=1000, dtype=np.uint32)),
    lambda x, a, u: (
        f32(a) / f32(3) + f32(u),
        trunc_i32(x) + cmod(trunc_i32(x * f32(10)), 7),
        u32(a.astype(np.int64) + (u >> np.uint32(1))),
        f32(a) * x,
    ),
    shows="C casts, functional casts float(x)/int(x)/T(x), static_cast",
)

add(
    "double_locals",
    "float32 x",
    "float32 y",
    "double d = (double)x * 0.5;\nd += 1.0;\ny = (float)(d * d);",
    lambda r: (floats(r),),
    lambda x: (x * f32(0.5) + f32(1)) ** 2,
    rtol=1e-5,
    shows="double locals (computed in float32, with a warning)",
)

# ================================================================== control flow

add(
    "if_else_chain",
    "float32 x, int32 k",
    "int32 bucket, float32 y",
    """
if (x < -5.0f) {
    bucket = -2;
} else if (x < 0.0f) {
    bucket = -1;
} else if (x == 0.0f)
    bucket = 0;
else {
    bucket = 1;
    if (x > 5.0f)
        bucket = 2;
}
if (k > 0)
    if (k > 10) y = 2.0f;
    else y = 1.0f;
else
    y = x;
""",
    lambda r: (
        floats(r, special=(-5.0, 0.0, 5.0, -0.0)),
        ints(r, lo=-5, hi=20, special=(10, 0, 11)),
    ),
    lambda x, k: (
        np.select([x < -5, x < 0, x == 0, x > 5], [-2, -1, 0, 2], 1),
        np.where(k > 0, np.where(k > 10, f32(2), f32(1)), x),
    ),
    shows="if / else if / else chains, blocks and single statements, dangling else",
)

add(
    "runtime_loop",
    "float32 x, int32 n",
    "float32 y",
    "float acc = 0.0f;\nfor (int k = 0; k < n; ++k) {\n    acc += x * (float)k;\n}\ny = acc;",
    lambda r: (floats(r), 7),
    lambda x, n: sum((x * f32(k) for k in range(n)), np.zeros_like(x)),
    shows="for loop bounded by a scalar argument",
)

add(
    "comma_for",
    "int32 n",
    "int32 y",
    "int acc = 0;\nfor (int p = 0, q = n; p < q; ++p, --q)\n    acc += p * q;\ny = acc;",
    lambda r: (ints(r, lo=0, hi=30),),
    lambda n: np.array([sum(p * (v - p) for p in range((v + 1) // 2)) for v in n], np.int32),
    shows="comma operator in the for clauses, two loop variables, per-element bound",
)

add(
    "while_break_continue",
    "int32 a",
    "int32 y",
    """
int v = a, steps = 0;
while (true) {
    if (v == 1) break;
    if (steps >= 200) break;
    steps++;
    if (v % 2 == 0) {
        v /= 2;
        continue;
    }
    v = 3 * v + 1;
}
y = steps;
""",
    lambda r: (ints(r, lo=1, hi=1000),),
    lambda a: np.array([_collatz(v) for v in a], np.int32),
    shows="while (true) with break and continue",
)


def _collatz(v: int) -> int:
    steps = 0
    while v != 1 and steps < 200:
        steps, v = steps + 1, v // 2 if v % 2 == 0 else 3 * v + 1
    return steps


add(
    "do_while",
    "int32 a",
    "int32 y",
    "int d = 0;\nunsigned int v = (unsigned int)a;\ndo {\n    d++;\n    v /= 10u;\n} while (v != 0u);\ny = d;",
    lambda r: (ints(r, lo=0, hi=2**31 - 1, special=(0, 9, 10, 2147483647)),),
    lambda a: np.array([len(str(v)) for v in a], np.int32),
    shows="do/while runs its body at least once (0 has one digit)",
)

add(
    "for_break_continue",
    "float32 x, int32 m",
    "float32 y",
    """
float acc = 0.0f;
for (int k = 0; k < 64; k++) {
    if (k % 2 == 0) continue;
    if (k > m) break;
    acc += x / (float)k;
}
y = acc;
""",
    lambda r: (floats(r), ints(r, lo=0, hi=70)),
    lambda x, m: np.array(
        [
            sum(
                (np.float32(v) / np.float32(k) for k in range(1, min(int(b), 63) + 1, 2)),
                np.float32(0),
            )
            for v, b in zip(x, m)
        ],
        np.float32,
    ),
    rtol=1e-5,
    atol=1e-6,
    shows="constant-count for loop (unrolled on GLSL) with continue and break",
)

add(
    "early_return",
    "float32 x",
    "float32 a, float32 b, int32 c",
    """
a = x;
if (x < 0.0f) return;
b = x * 2.0f;
if (x > 1.0f) {
    c = 1;
    return;
}
c = 2;
""",
    lambda r: (
        floats(r, lo=-2, hi=3),
        full(N, 100, np.float32),
        full(N, 200, np.float32),
        full(N, 300, np.int32),
    ),
    lambda x, a, b, c: (
        x,
        np.where(x < 0, b, x * 2),
        np.where(x < 0, c, np.where(x > 1, 1, 2)).astype(np.int32),
    ),
    shows="return ends the element: outputs written before it keep their values, "
    "unwritten outputs keep their old contents",
)

add(
    "element_break_continue",
    "float32 x",
    "float32 y",
    "if (x < 0.0f) continue;\ny = sqrtf(x);\nif (x > 2.0f) break;\ny += 1.0f;",
    lambda r: (floats(r, lo=-2, hi=4), full(N, -1, np.float32)),
    lambda x, y: np.where(x < 0, y, np.where(x > 2, np.sqrt(np.abs(x)), np.sqrt(np.abs(x)) + 1)),
    shows="top-level continue/break end the element (CuPy's loop), leaving y as it was",
)

# ================================================================== preamble

add(
    "device_functions",
    "float32 x, int32 a",
    "float32 y, int32 s",
    "y = sq(x) + sign_of(a);\ns = sign_of(a) * sign_of(-a) + fact(4);",
    lambda r: (floats(r), ints(r, lo=-3, hi=4)),
    lambda x, a: (x * x + np.sign(a), -np.abs(np.sign(a)) + 24),
    preamble="""
__device__ float sq(float v) { return v * v; }

__device__ int sign_of(int v) {
    if (v > 0) return 1;
    if (v < 0) return -1;
    return 0;
}

__device__ __forceinline__ int fact(int n) {
    int r = 1;
    for (int k = 2; k <= n; ++k) r *= k;
    return r;
}
""",
    shows="__device__ functions with several returns, loops, calls from the operation",
)

add(
    "templates_and_references",
    "float32 x, float32 y, int32 a",
    "float32 lo, float32 hi, int32 n, float32 c",
    """
lo = x;
hi = y;
sort2(lo, hi);
int m = clamp3(a, -5, 5);
bump(m, 100);
n = m;
c = clamp3<float>(x, -0.5f, 0.5f);
""",
    lambda r: (floats(r), floats(r), ints(r, lo=-10, hi=10)),
    lambda x, y, a: (
        np.minimum(x, y),
        np.maximum(x, y),
        np.clip(a, -5, 5) + 100,
        np.clip(x, f32(-0.5), f32(0.5)),
    ),
    preamble="""
template <typename U>
__device__ U clamp3(U v, U lo, U hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

__device__ void sort2(float &a, float &b) {
    if (a > b) {
        float t = a;
        a = b;
        b = t;
    }
}

__device__ void bump(int &k, int by) { k += by; }
""",
    shows="template<typename U> deduced and explicit, float& parameters writing an output",
)

add(
    "template_named_like_placeholder",
    "T x, int32 k",
    "T y, int32 m",
    "y = twice(x);\nm = twice(k) + twice<int>(1);",
    lambda r: (floats(r), ints(r)),
    lambda x, k: (x + x, k + k + 2),
    preamble="template <typename T>\n__device__ T twice(T v) { return v + v; }",
    shows="template<typename T> in a kernel whose placeholder is also T (the template "
    "parameter shadows the typedef)",
)

add(
    "macros",
    "float32 x",
    "float32 y, int32 k",
    "y = MAD(x, SCALE, SQR(x + 1.0f));\nk = TWICE(N_ITEMS) + IS_NEG(x);",
    lambda r: (floats(r),),
    lambda x: (x * f32(3) + (x + f32(1)) * (x + f32(1)), 8 + (x < 0)),
    preamble="""
#define SCALE 3.0f
#define N_ITEMS 4
#define MAD(a, b, c) ((a) * (b) + (c))
#define SQR(v) ((v) * (v))
#define TWICE(v) (2 * (v))
#define IS_NEG(v) ((v) < 0 ? 1 : 0)
""",
    rtol=1e-5,
    shows="#define object-like and function-like macros (nested uses)",
)

add(
    "preamble_table",
    "int32 k, float32 x",
    "float32 y",
    "y = WEIGHTS[k & 3] * x + OFFSET;",
    lambda r: (ints(r, lo=0, hi=100), floats(r)),
    lambda k, x: f32([0.5, 1.0, 2.0, 4.0])[k & 3] * x + f32(0.25),
    preamble="__constant__ float WEIGHTS[4] = {0.5f, 1.0f, 2.0f, 4.0f};\n"
    "const float OFFSET = 0.25f;",
    shows="__constant__ table and a const in the preamble",
)

# ================================================================== arrays and indexing


def _local_arrays(x, k):
    w, t = f32([0.25, 0.5, 1.0, 2.0]), f32([1, -2, 3])
    return (w[k & 3] + f32(1)) * x + t[np.abs(k) % 3] + w[(k + 1) & 3]


add(
    "local_arrays",
    "float32 x, int32 k",
    "float32 y",
    """
float w[4] = {0.25f, 0.5f, 1.0f, 2.0f};
int t[3] = {1, -2, 3};
w[k & 3] += 1.0f;
y = w[k & 3] * x + t[abs(k) % 3] + w[(k + 1) & 3];
""",
    lambda r: (floats(r), ints(r)),
    lambda x, k: _local_arrays(x, k),
    shows="local arrays with {...} initialisers, read and written at runtime indices",
)

add(
    "index_and_size",
    "float32 x",
    "int32 y, int32 n",
    "y = i * 2 - 1;\nn = _ind.size();",
    lambda r: (np.zeros((30, 40), np.float32),),
    lambda x: (
        np.arange(x.size, dtype=np.int32).reshape(x.shape) * 2 - 1,
        full(x.shape, x.size, np.int32),
    ),
    shows="i is the C-order flat index of the 2-D loop, _ind.size() its size",
)

add(
    "raw_gather",
    "raw float32 table, int32 k",
    "float32 y, int32 n",
    "y = table[(k * 7 + i) % table.size()];\nn = table.size();",
    lambda r: (floats(r, n=3 * 101)[::3], ints(r, lo=0, hi=1000)),
    lambda table, k: (
        table[(k * 7 + np.arange(k.size)) % table.size],
        full(k.shape, 101, np.int32),
    ),
    shows="raw input indexed by a computed flat index, x.size(); a strided raw view",
)

add(
    "raw_2d",
    "raw T m, int32 r, int32 c",
    "T y, T flat, int32 shp",
    """
int idx[2] = {r, c};
y = m[idx];
flat = m[i % m.size()];
shp = m.shape()[0] * 1000 + m.shape()[1];
""",
    lambda r: (floats(r, n=6 * 7).reshape(7, 6).T, ints(r, lo=0, hi=6), ints(r, lo=0, hi=7)),
    lambda m, r, c: (m[r, c], m.ravel()[np.arange(r.size) % m.size], full(r.shape, 6007, np.int32)),
    shows="2-D raw (transposed, non-contiguous): multi-index x[idx] from a local array, "
    "flat C-order x[k], x.shape()[d]",
)

add(
    "raw_output_at_i",
    "float32 x",
    "raw float32 y",
    "y[i] = x * 2.0f + y.size();",
    lambda r: (floats(r), full(N + 17, -5, np.float32)),
    lambda x, y: np.concatenate([x * 2 + f32(N + 17), y[N:]]),
    shows="a raw output written at element i (both targets), longer than the loop",
)

add(
    "raw_only_size",
    "raw float32 x",
    "raw float32 y",
    "y[i] = x[i] + x[x.size() - 1 - i];",
    lambda r: (floats(r), full(1500, 7, np.float32)),
    lambda x, y: np.concatenate([x[:1000] + x[::-1][:1000], y[1000:]]),
    size=1000,
    shows="all-raw kernel launched with size=: elements of y from n on keep their values",
)

add(
    "scatter_reverse",
    "float32 x",
    "raw float32 y",
    "y[_ind.size() - 1 - i] = x;",
    lambda r: (floats(r), full(N, 0, np.float32)),
    lambda x, y: x[::-1],
    targets=("wgsl",),
    shows="a raw output written at a computed index (scatter): WGSL only",
)

# ================================================================== calling conventions

add(
    "multi_output",
    "float32 x",
    "float32 s, int32 q, bool neg",
    "s = x * x;\nq = (int)floorf(x);\nneg = x < 0;",
    lambda r: (floats(r),),
    lambda x: (x * x, np.floor(x).astype(np.int32), x < 0),
    shows="three outputs of mixed dtypes",
)

add(
    "broadcast_2d",
    "T a, T b",
    "T c",
    "c = a * 10 + b;",
    lambda r: (
        np.arange(3, dtype=np.int32).reshape(3, 1),
        np.arange(4, dtype=np.int32).reshape(1, 4),
    ),
    lambda a, b: a * 10 + b,
    shows="broadcasting (3,1) with (1,4) into a (3,4) loop",
)

add(
    "broadcast_3d",
    "float32 a, float32 b, float32 s",
    "float32 c",
    "c = a - b * s;",
    lambda r: (
        floats(r, n=10).reshape(2, 1, 5),
        floats(r, n=3).reshape(3, 1),
        np.broadcast_to(f32([1.5]), (2, 3, 5)),
    ),
    lambda a, b, s: a - b * s,
    shows="3-D broadcasting, and an explicitly 0-stride input (np.broadcast_to)",
)

add(
    "zero_stride",
    "float32 x, float32 s",
    "float32 y",
    "y = x * s + i;",
    lambda r: (floats(r), np.broadcast_to(f32([3.0]), (N,))),
    lambda x, s: x * s + np.arange(N, dtype=np.float32),
    shows="a 0-stride broadcast input",
)

add(
    "strided_views",
    "float32 a, float32 b, float32 c",
    "float32 y",
    "y = a - 2.0f * b + c;",
    lambda r: (floats(r, n=2 * N)[::2], floats(r, n=N + 1)[1:], floats(r)[::-1]),
    lambda a, b, c: a - f32(2) * b + c,
    shows="step, offset and reversed input views (a[::2], a[1:], a[::-1])",
)

add(
    "transposed",
    "T a, T b",
    "T c",
    "c = a + b * 2;",
    lambda r: (ints(r, n=50 * 40).reshape(50, 40).T, ints(r, n=40 * 50).reshape(40, 50)),
    lambda a, b: a + b * 2,
    shows="a transposed 2-D input view",
)

add(
    "read_output",
    "float32 x",
    "float32 y",
    "y += x;",
    lambda r: (floats(r), floats(r)),
    lambda x, y: y + x,
    shows="an output that is also read (y += x with a given y)",
)

add(
    "strided_output",
    "float32 x",
    "float32 y",
    "y = y * 0.5f + x;",
    lambda r: (floats(r), floats(r, n=2 * N)[::2]),
    lambda x, y: y * f32(0.5) + x,
    shows="a given output that is a strided view (read and written in place)",
)

add(
    "bool_io",
    "bool a, bool b, float32 x",
    "bool c, bool d, int32 n, bool nz",
    "c = (a && !b) || x > 0.5f;\nd = a != b;\nn = a + b + (int)(x > 0);\nnz = x;",
    lambda r: (bools(r), bools(r), floats(r, lo=-1, hi=1, special=(0.0, -0.0, np.nan))),
    lambda a, b, x: ((a & ~b) | (x > 0.5), a != b, a.astype(np.int32) + b + (x > 0), x != 0),
    shows="bool inputs and outputs, bool arithmetic promotes to int, float -> bool (NaN is true)",
)

add(
    "scalars_each_dtype",
    "float32 x, float32 f, int32 k, uint32 u, bool flag",
    "float32 y, uint32 v",
    "y = flag ? x * f + (float)k : x - f;\nv = u + (unsigned int)k;",
    lambda r: (floats(r), np.float32(1.5), -3, np.uint32(4000000000), True),
    lambda x, f, k, u, flag: (x * f32(1.5) + f32(-3), full(x.shape, 3999999997, np.uint32)),
    shows="scalar arguments of each dtype (float32, int32, uint32, bool)",
)

add(
    "scalar_false_flag",
    "float32 x, float32 f, bool flag",
    "float32 y",
    "y = flag ? x * f : x - f;",
    lambda r: (floats(r), 0.25, False),
    lambda x, f, flag: x - f32(0.25),
    shows="a false bool scalar, a Python float converted to float32",
)

add(
    "output_decides_shape",
    "float32 a",
    "float32 y",
    "y = a + i;",
    lambda r: (2.5, full((20, 30), 0, np.float32)),
    lambda a, y: f32(2.5) + np.arange(600, dtype=np.float32).reshape(20, 30),
    shows="only scalar inputs: the given output's shape is the loop shape",
)

add(
    "zero_d",
    "float32 x",
    "float32 y",
    "y = x * 3.0f + 1.0f;",
    lambda r: (np.array(2.0, np.float32),),
    lambda x: x * f32(3) + f32(1),
    shows="a 0-d array: a one-element loop of ndim 0",
)

add(
    "loop_prep_after_loop",
    "float32 x",
    "float32 y, int32 seen",
    "visits++;\ny = x * scale + bias;\nseen = visits;",
    lambda r: (floats(r),),
    lambda x: (x * f32(2) + f32(0.5), full(x.shape, 1, np.int32)),
    loop_prep="float scale = 2.0f, bias = 0.5f;\nint visits = 0;",
    after_loop="visits = 0;\nscale = bias;",
    shows="loop_prep locals visible in the operation; after_loop runs after it",
)

add(
    "after_loop_raw_write",
    "float32 x",
    "float32 y, raw int32 count",
    "visits++;\ny = x + 1.0f;",
    lambda r: (floats(r), full(N, 0, np.float32), full(4, -1, np.int32)),
    lambda x, y, count: (x + f32(1), np.array([1, -1, -1, -1], np.int32)),
    loop_prep="int visits = 0;",
    after_loop="count[0] = visits;",
    targets=("wgsl",),
    shows="after_loop writing a raw output (every element writes count[0] = 1): WGSL only",
)

# ================================================================== math functions

add(
    "math_exp_log",
    "float32 x",
    "float32 a, float32 b, float32 c, float32 d",
    "a = expf(x * 0.5f);\nb = exp2(x) + exp2f(-x);\nc = log(x) + logf(2.0f * x);\nd = log2f(x) + log2(x + 1.0f);",
    lambda r: (floats(r, lo=0.01, hi=20),),
    lambda x: (
        np.exp(x * f32(0.5)),
        np.exp2(x) + np.exp2(-x),
        np.log(x) + np.log(2 * x),
        np.log2(x) + np.log2(x + f32(1)),
    ),
    **TRANSCENDENTAL,
    shows="exp expf exp2 exp2f log logf log2 log2f",
)

add(
    "math_sqrt_pow",
    "float32 x, float32 y",
    "float32 a, float32 b, float32 c, float32 d",
    "a = log10f(x) + log10(x * x);\nb = sqrtf(x) + sqrt(x + 1.0f);\nc = rsqrtf(x) + rsqrt(4.0f * x);\nd = powf(x, y) + pow(2.0f, y);",
    lambda r: (floats(r, lo=0.01, hi=20), floats(r, lo=-3, hi=3)),
    lambda x, y: (
        np.log10(x) + np.log10(x * x),
        np.sqrt(x) + np.sqrt(x + f32(1)),
        f32(1) / np.sqrt(x) + f32(1) / np.sqrt(f32(4) * x),
        np.power(x, y) + np.power(f32(2), y),
    ),
    **TRANSCENDENTAL,
    shows="log10 log10f sqrt sqrtf rsqrt rsqrtf pow powf",
)

add(
    "math_trig",
    "float32 x, float32 y",
    "float32 a, float32 b, float32 c, float32 d",
    "a = sinf(x) + sin(2.0f * x);\nb = cosf(x) + cos(x * 0.5f);\nc = tanf(x * 0.4f) + tan(0.1f);\nd = atan2f(y, x) + atan2(x, y);",
    lambda r: (floats(r, lo=-3, hi=3), floats(r, lo=-3, hi=3, special=(0.0, 1.0, -1.0))),
    lambda x, y: (
        np.sin(x) + np.sin(2 * x),
        np.cos(x) + np.cos(x * f32(0.5)),
        np.tan(x * f32(0.4)) + np.tan(f32(0.1)),
        np.arctan2(y, x) + np.arctan2(x, y),
    ),
    **TRANSCENDENTAL,
    shows="sin cos tan atan2 and their f forms",
)

add(
    "math_inverse_trig",
    "float32 x",
    "float32 a, float32 b, float32 c",
    "a = asinf(x) + asin(-x);\nb = acosf(x) + acos(x * 0.5f);\nc = atanf(x * 4.0f) + atan(x);",
    lambda r: (floats(r, lo=-0.99, hi=0.99, special=(0.0, 0.5, -0.5)),),
    lambda x: (
        np.arcsin(x) + np.arcsin(-x),
        np.arccos(x) + np.arccos(x * f32(0.5)),
        np.arctan(x * f32(4)) + np.arctan(x),
    ),
    **TRANSCENDENTAL,  # the drivers' own asin/acos are ~4e-4 off: kernelc polyfills them
    shows="asin acos atan and their f forms",
)

add(
    "math_hyperbolic",
    "float32 x",
    "float32 a, float32 b, float32 c",
    "a = sinhf(x) + sinh(0.5f * x);\nb = coshf(x) + cosh(x * 0.25f);\nc = tanhf(x) + tanh(3.0f * x);",
    lambda r: (floats(r, lo=-5, hi=5, special=(0.0, 1e-3, -1e-3)),),
    lambda x: (
        np.sinh(x) + np.sinh(f32(0.5) * x),
        np.cosh(x) + np.cosh(x * f32(0.25)),
        np.tanh(x) + np.tanh(f32(3) * x),
    ),
    **TRANSCENDENTAL,
    shows="sinh cosh tanh and their f forms",
)

add(
    "math_fmin_fmax",
    "float32 x, float32 y",
    "float32 a, float32 b, float32 c, float32 d",
    "a = fmin(x, y);\nb = fmax(x, y);\nc = floor(x) + ceilf(y);\nd = truncf(y) + round(x) + rintf(y);",
    lambda r: (floats(r, special=(np.nan, 1.0)), floats(r, special=(2.0, np.nan))),
    lambda x, y: (
        fmin(x, y),
        fmax(x, y),
        np.floor(x) + np.ceil(y),
        np.trunc(y) + c_round(x) + np.rint(y),
    ),
    shows="fmin fmax floor ceilf truncf round rintf",
)

add(
    "math_intrinsics",
    "float32 x",
    "float32 a, float32 b, float32 c, float32 d",
    "a = __expf(x);\nb = __logf(x) * __sinf(x);\nc = __cosf(x) + __powf(x, 1.5f);\nd = __fdividef(x, 3.0f);",
    lambda r: (floats(r, lo=0.05, hi=5),),
    lambda x: (np.exp(x), np.log(x) * np.sin(x), np.cos(x) + np.power(x, f32(1.5)), x / f32(3)),
    rtol=1e-4,
    atol=1e-5,
    shows="fast intrinsics __expf __logf __sinf __cosf __powf __fdividef",
)

add(
    "narrow_storage",
    "int8 a, uint8 b, int16 c, float16 h",
    "int8 p, uint16 q, float16 r",
    "p = a * 2 + b;\nq = c - b;\nr = h * 0.5f + a;",
    lambda r: (
        ints(r, lo=-128, hi=128, special=(127, -128), dtype=np.int8),
        ints(r, lo=0, hi=256, special=(255, 0), dtype=np.uint8),
        ints(r, lo=-32768, hi=32768, special=(-32768, 32767), dtype=np.int16),
        floats(r, lo=-65000, hi=65000, special=(65504, 0.1, 3e-6)).astype(np.float16),
    ),
    lambda a, b, c, h: (
        (a.astype(np.int64) * 2 + b).astype(np.int8),
        (c.astype(np.int64) - b).astype(np.uint16),
        (h.astype(np.float32) * f32(0.5) + a).astype(np.float16),
    ),
    shows="int8/uint8/int16/uint16/float16 arrays: packed words (WGSL), 8/16-bit textures "
    "(GLSL), C wraparound and float16 rounding on store",
)
