"""C++ semantics the targets do not give for free, run on both targets and on the IR
interpreter and compared with what CUDA computes: references that bind once, reference
parameters that alias, IEEE special values where the compiler (or the driver) can see a
constant operand, and assignable expressions that C++ allows.

Rule: each case is a CuPy kernel, its arguments and CUDA's result, written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernelc.ir import builtins
from kernelc.ir.passes.fold import MATH_FOLD
from tests.support.interp_call import call_elementwise_interpreted, call_elementwise_on
from tests.support.kernel_call import call_elementwise

RUNNERS = ("wgsl", "glsl", "interp")


ONE = np.ones(1, np.int32)

# (operation, preamble, CUDA's y) for `int32 x -> float32 y` run on x = [1]
REFERENCES = {
    "bound once": (
        "float a[4] = {0, 0, 0, 0}; int k = 0; float &r = a[k]; k = 1; r = 9;y = a[0] * 10 + a[1];",
        "",
        90,
    ),
    "bound once through a raw index": (
        "float a[4] = {0, 0, 0, 0}; int k = x - 1; float &r = a[k]; k++; r = 9; r += 1; "
        + "y = a[0] * 10 + a[1];",
        "",
        100,
    ),
    "reference parameter": (
        "float a[4] = {0, 0, 0, 0}; int k = 0; f(a[k], k);y = a[0] * 10 + a[1] + k * 1000;",
        "__device__ void f(float &r, int &k) { k = 1; r = 9; }",
        1090,
    ),
    "two reference parameters, one variable": (
        "float t = 2; g(t, t); y = t;",
        "__device__ void g(float &a, float &b) { a = 3; b = b + 7; }",
        10,
    ),
    "two reference parameters, one element": (
        "float t[2] = {2, 0}; g(t[1], t[1]); y = t[1];",
        "__device__ void g(float &a, float &b) { a = 3; b = b + 7; }",
        10,
    ),
    "a reference and its variable": (
        "float t = 2; float &u = t; g(u, t); y = t;",
        "__device__ void g(float &a, float &b) { a = 3; b = b + 7; a = a * 2; }",
        20,
    ),
    "const reference parameters take any expression": (
        "y = h(x) + h(x * 2.0f) * 10;",
        "__device__ float h(const float &v) { return v + 1; }",
        32,
    ),
    "two complex reference parameters, one variable": (
        "complex<float> t = 2; cg(t, t); y = t.real() + 100 * t.imag();",
        "__device__ void cg(complex<float> &a, complex<float> &b) { a = complex<float>(3, 1); "
        + "b = b + 7; }",
        110,
    ),
    "aliased and plain calls of one function": (
        "float t = 2, s = 2; g(t, t); g(s, t); y = t * 100 + s;",
        "__device__ void g(float &a, float &b) { a = 3; b = b + 7; }",
        1703,
    ),
}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("case", REFERENCES)
def test_references(case, runner):
    operation, preamble, want = REFERENCES[case]
    got = call_elementwise_on(runner, "int32 x", "float32 y", operation, ONE, preamble=preamble)
    assert got[0] == want


@pytest.mark.parametrize("runner", ("wgsl", "interp"))
def test_reference_to_a_raw_element_binds_once(runner):
    arr = np.zeros(4, np.float32)
    call_elementwise_on(
        runner,
        "int32 x",
        "raw float32 arr",
        "if (i == 0) { int k = 0; float &r = arr[k]; k = 1; r = 9; int j = 2; f(arr[j], j); }",
        np.zeros(1, np.int32),
        arr,
        preamble="__device__ void f(float &r, int &k) { k = 3; r = 7; }",
    )
    assert arr.tolist() == [9, 0, 7, 0]


SPECIAL_X = np.array([1, -1, 0, np.inf, -np.inf, np.nan, -0.0, 3], np.float32)

# operation -> CUDA's y as a function of x (NumPy's float32 arithmetic is IEEE's)
KNOWN_OPERANDS = {
    "float z = 0.0f; y = x / z;": lambda x: x / np.float32(0),
    "float z = -0.0f; y = x / z;": lambda x: x / np.float32(-0.0),
    "float z = 0; y = z / x;": lambda x: np.float32(0) / x,
    "float z = 0; y = x * z;": lambda x: x * np.float32(0),
    "float z = 2.0f; y = x / (z - 2.0f);": lambda x: x / np.float32(0),
    "float z = 1.0f; z -= 1.0f; y = x / z;": lambda x: x / np.float32(0),
    "int z = 0; y = x / z;": lambda x: x / np.float32(0),
    "float a[2] = {0, 1}; y = x / a[0] + a[1];": lambda x: x / np.float32(0) + 1,
    "float a[3] = {1}; y = x * a[2];": lambda x: x * np.float32(0),
    "const float z = 0.0f; y = x / z;": lambda x: x / np.float32(0),
    "float z = -0.0f; y = x + z;": lambda x: x + np.float32(-0.0),
    "float z; z = 0.0f; y = x * z - z / x;": lambda x: x * np.float32(0) - np.float32(0) / x,
    "y = x / 0.0f + 0.0f / 0.0f * 0;": lambda x: x / np.float32(0) + np.float32(np.nan),
    "y = 1e38f * 10.0f + x;": lambda x: np.float32(np.inf) + x,
    "y = -(1.0f / 0.0f) * x;": lambda x: np.float32(-np.inf) * x,
    "y = fmodf(1.0f, 0.0f) + x;": lambda x: np.float32(np.nan) + x,
    "y = sqrtf(-1.0f) + x;": lambda x: np.float32(np.nan) + x,
    "y = logf(0.0f) + x;": lambda x: np.float32(-np.inf) + x,
    "y = 1.0f / -0.0f + x;": lambda x: np.float32(-np.inf) + x,
    "y = expf(100.0f) - x;": lambda x: np.float32(np.inf) - x,
    "float big = 3e38f; y = big * 2.0f + x * 0;": lambda x: np.float32(np.inf) + x * 0,
    "y = div(x, 0.0f) + mul(x, 0);": lambda x: x / np.float32(0) + x * np.float32(0),
    "y = x / zero() - x * zero();": lambda x: x / np.float32(0) - x * np.float32(0),
    "y = atanhf(1.0f) + x;": lambda x: np.float32(np.inf) + x,
    "y = atanhf(-1.0f) - x;": lambda x: np.float32(-np.inf) - x,
    "y = sinhf(-1000.0f) + x;": lambda x: np.float32(-np.inf) + x,
    "y = rsqrtf(-0.0f) + x;": lambda x: np.float32(-np.inf) + x,
    "y = fdimf(INFINITY, INFINITY) + x;": lambda x: x + np.float32(0),
    "y = fdimf(-INFINITY, INFINITY) + x;": lambda x: x + np.float32(0),
    "y = hypotf(NAN, INFINITY) + x;": lambda x: np.float32(np.inf) + x,
}


FUNCTIONS = (
    "__device__ float div(float a, float z) { return a / z; }\n"
    "__device__ float mul(float a, int z) { return a * z; }\n"
    "__device__ float zero() { return 0.0f; }"
)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("operation", KNOWN_OPERANDS)
def test_ieee_values_with_known_operands(operation, runner):
    with np.errstate(all="ignore"):
        want = KNOWN_OPERANDS[operation](SPECIAL_X).astype(np.float32)
    preamble = FUNCTIONS if "(x, 0" in operation or "zero()" in operation else ""
    got = call_elementwise_on(
        runner, "float32 x", "float32 y", operation, SPECIAL_X.copy(), preamble=preamble
    )
    np.testing.assert_array_equal(got, want)  # NaN == NaN here, and zeros' signs count
    assert np.array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))


FOLDED_SPECIALS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    np.inf,
    -np.inf,
    np.nan,
    2.0,
    -2.0,
    0.5,
    -0.5,
    1000.0,
    -1000.0,
    1e-30,
    1e30,
    100.0,
    -3.0,
]
SECOND_OPERANDS = [2.0, -0.0, 0.0, np.inf, -3.0, np.nan]
TWO_OPERANDS = {fn for fn, spec in builtins.MATH.items() if spec.arity == 2}


def literal(v: float) -> str:
    if np.isnan(v):
        return "NAN"
    return ("INFINITY" if v > 0 else "(-INFINITY)") if np.isinf(v) else f"({float(v)!r}f)"


# native_* are the shader library's own (their accuracy is the target's, not C's).
FOLDED = sorted(
    f
    for f in set(MATH_FOLD) - {"fma", "ldexp", "f16round", "frexp", "modf"}
    if not f.startswith("native_")
)


@pytest.mark.parametrize("fn", FOLDED, ids=str)
def test_folding_matches_run_time_math(fn):
    """Every math function folded from constants gives what it computes at run time (the
    interpreter, which the executors are tested against): Inf, NaN and zeros' signs too."""
    seconds = SECOND_OPERANDS if fn in TWO_OPERANDS else [None]
    x = np.array(FOLDED_SPECIALS, np.float32)
    for second in seconds:
        tail = "" if second is None else f", {literal(second)}"
        folded_body = " ".join(
            f"if (i == {k}) y = {fn}f({literal(v)}{tail});" for k, v in enumerate(FOLDED_SPECIALS)
        )
        folded = call_elementwise_interpreted(
            "float32 d", "float32 y", folded_body, np.zeros_like(x)
        )
        operation = f"y = {fn}f(x{tail});"
        at_run_time = call_elementwise_interpreted("float32 x", "float32 y", operation, x.copy())
        what = f"{fn}(x{tail})"
        np.testing.assert_allclose(folded, at_run_time, rtol=1e-6, equal_nan=True, err_msg=what)
        if fn not in ("fmin", "fmax"):  # the sign of fmin(0, -0) is the target's choice
            zeros = (folded == 0) & (at_run_time == 0)
            assert (np.signbit(folded) == np.signbit(at_run_time))[zeros].all(), what


# operation -> CUDA's y for x = [1, -1]
ASSIGNABLE = {
    "int k = x; (k += 2) *= 3; y = k;": [9, 3],
    "int k = x; ++(++k); y = k;": [3, 1],
    "int k = x; (k = 5) += x; y = k;": [6, 4],
    "int k = x; --(k -= 2); y = k;": [-2, -4],
    "int p = 0, q = 0; (x > 0 ? p : q) = 5; y = p * 10 + q;": [50, 5],
    "int p = 0, q = 0; (x > 0 ? p : q) += 2; ++(x < 0 ? p : q); y = p * 10 + q;": [21, 12],
    "int a[2] = {0, 0}; (x > 0 ? a[0] : a[1]) = 7; y = a[0] * 10 + a[1];": [70, 7],
    "int p = 0, q = 0; int &r = (x > 0 ? p : q); r = 4; y = p * 10 + q;": [40, 4],
    "int restrict = x; y = restrict * 2;": [2, -2],
}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("operation", ASSIGNABLE)
def test_assignable_expressions(operation, runner):
    got = call_elementwise_on(runner, "int32 x", "int32 y", operation, np.array([1, -1], np.int32))
    assert got.tolist() == ASSIGNABLE[operation]


# Kernels tools/fuzz_kernels.py found the compiler failing on (docs/fuzzing.md).
FUZZ_FINDS = {
    # WGSL read `b < b >> c` as the template `b<b>` and rejected the shader
    "r = max(b >> 8, (int)(b < (b >> (a & 31)))) + (a < (b >> 1)) + (a < b > 0);": lambda a, b: (
        np.maximum(b >> 8, (b < (b >> (a & 31))).astype(np.int32)) + (a < (b >> 1)) + ((a < b) > 0)
    ),
    # ... and `select(x || b < 1, b > 1000, c)` as the template `b<1, b>` (also in arrays)
    "bool bb[2] = {a < 1, b > 2}; r = (abs(b & b) ? (b > 1000) : (-a || (b < 1))) + bb[1] * 2;": (
        lambda a, b: np.where(b != 0, b > 1000, (a != 0) | (b < 1)) + 2 * (b > 2)
    ),
}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("operation", FUZZ_FINDS)
def test_kernels_the_fuzzer_found(operation, runner):
    a = np.array([0, 5, -7, 31, 2**31 - 1, -(2**31)], np.int32)
    b = np.array([3, -9, 1 << 20, -1, 7, 2**30], np.int32)
    got = call_elementwise_on(runner, "int32 a, int32 b", "int32 r", operation, a, b)
    assert got.tolist() == FUZZ_FINDS[operation](a, b).astype(np.int32).tolist()
