"""`complex<T>` in kernel text (thrust::complex, CuPy's complex64/complex128): lowered and
run on the IR interpreter against NumPy, every shader checked by the real compilers (naga
for WGSL, glslangValidator for GLSL) under both 64-bit policies.

Rule: the interpreter computes float64 math with NumPy, so complex128 (exact policy) is
compared to a few ulp of |result|, complex64 to a few float32 ulp; what the GPUs compute
is tested in tests/runtime/test_complex_kernel_calls.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.ir.interp import run_elementwise
from kernelc.pipeline import lower_kernel
from tests.support.validate import glslang_available, validate_glsl, validate_wgsl

C64, C128 = np.dtype("complex64"), np.dtype("complex128")
RNG = np.random.default_rng(7)
N = 64


def cvalues(dtype, n: int = N) -> np.ndarray:
    parts = RNG.standard_normal((2, n)) * 10.0 ** RNG.uniform(-2, 2, (2, n))
    return (parts[0] + 1j * parts[1]).astype(dtype)


def run(
    in_params,
    out_params,
    operation,
    args: dict,
    out: dict,
    *,
    types=None,
    scalars=(),
    raw=None,
    preamble="",
):
    """Lower under the exact policy and run on the interpreter; returns `out` filled."""
    kernel, warnings = lower_kernel(
        in_params,
        out_params,
        operation,
        "k",
        preamble,
        types=types,
        ndim=1,
        scalars=scalars,
        raw=raw,
        exact64=True,
    )
    assert not warnings
    shape = next(
        v.shape for k, v in {**args, **out}.items() if k not in scalars and not (raw or {}).get(k)
    )
    run_elementwise(kernel, {**args, **out}, shape)
    return out


def close(got, want, ulps: float = 8) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    eps = np.finfo(np.asarray(want.real).dtype).eps
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    err = np.abs(got[finite].astype(C128) - want[finite].astype(C128))
    assert (err <= ulps * eps * np.abs(want[finite]) + 1e-300).all(), err.max()


# The brief's kernels, as a user writes them: (in_params, out_params, operation, types).
EXAMPLES = {
    "mixed": (
        "complex64 x, float32 s",
        "complex64 y",
        "y = x * s + conj(x) * complex<float>(0, 1);",
        None,
    ),
    "placeholder": ("T x", "T y", "y = exp(x) / (abs(x) + 1);", {"T": "complex128"}),
    "real_results": (
        "complex128 z",
        "float64 r, float64 a",
        "r = z.real() * abs(z); a = arg(z);",
        None,
    ),
    "thrust": (
        "complex128 x",
        "complex128 y",
        "thrust::complex<double> w = thrust::complex<double>(1.0, 2.0);\n"
        "w += x;\nw *= 2;\ny = pow(w, x) + sqrt(w) + log(w);",
        None,
    ),
}


def test_mixed_operands():
    x, s = cvalues(C64), RNG.standard_normal(N).astype(np.float32)
    y = run(*EXAMPLES["mixed"][:3], {"x": x, "s": s}, {"y": np.zeros(N, C64)})["y"]
    close(y, x * s + np.conj(x) * np.complex64(1j))


def test_placeholder_bound_to_complex128():
    x = cvalues(C128)
    y = run(
        *EXAMPLES["placeholder"][:3], {"x": x}, {"y": np.zeros(N, C128)}, types={"T": "complex128"}
    )
    close(y["y"], np.exp(x) / (np.abs(x) + 1))


def test_real_results():
    z = cvalues(C128)
    out = run(*EXAMPLES["real_results"][:3], {"z": z}, {"r": np.zeros(N), "a": np.zeros(N)})
    close(out["r"], z.real * np.abs(z), 2)
    close(out["a"], np.angle(z), 2)


def test_thrust_spelling_compound_assignment_and_pow():
    x = cvalues(C128) * 0.1
    y = run(*EXAMPLES["thrust"][:3], {"x": x}, {"y": np.zeros(N, C128)})["y"]
    w = ((1 + 2j) + x) * 2
    close(y, w**x + np.sqrt(w) + np.log(w), 64)


FUNCTIONS = {
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "conj": np.conj,
    "-": np.negative,
    "+": np.positive,
}


@pytest.mark.parametrize("dtype", [C64, C128], ids=str)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_functions(fn, dtype):
    x = cvalues(dtype) * 0.5
    op = f"y = {fn}x;" if fn in "+-" else f"y = {fn}(x);"
    y = run("T x", "T y", op, {"x": x}, {"y": np.zeros(N, dtype)}, types={"T": dtype.name})["y"]
    with np.errstate(all="ignore"):
        close(y, FUNCTIONS[fn](x), 64 if fn in ("tan", "tanh", "log10") else 16)


@pytest.mark.parametrize("dtype", [C64, C128], ids=str)
def test_real_functions_and_predicates(dtype):
    x = cvalues(dtype)
    x[:4] = [np.nan, complex(1, np.inf), complex(-np.inf, 0), 0]
    op = (
        "r0 = real(x); r1 = imag(x); r2 = norm(x); r3 = abs(x);"
        "b0 = isnan(x); b1 = isinf(x); b2 = isfinite(x); b3 = x == conj(x); b4 = x != 0;"
    )
    part = np.dtype(dtype.char.lower())
    outs = {f"r{k}": np.zeros(N, part) for k in range(4)} | {
        f"b{k}": np.zeros(N, bool) for k in range(5)
    }
    out_params = (
        ", ".join(f"{part.name} r{k}" for k in range(4))
        + ", "
        + ", ".join(f"bool b{k}" for k in range(5))
    )
    out = run("T x", out_params, op, {"x": x}, outs, types={"T": dtype.name})
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out["r0"], x.real)
        np.testing.assert_array_equal(out["r1"], x.imag)
        close(out["r2"][4:], (x.real**2 + x.imag**2)[4:], 2)
        close(out["r3"], np.abs(x), 2)
        np.testing.assert_array_equal(out["b0"], np.isnan(x))
        np.testing.assert_array_equal(out["b1"], np.isinf(x))
        np.testing.assert_array_equal(out["b2"], np.isfinite(x))
        np.testing.assert_array_equal(out["b3"], x == np.conj(x))
        np.testing.assert_array_equal(out["b4"], x != 0)


def test_scalars_casts_conditionals_and_raw_arrays():
    x, v = cvalues(C64), RNG.standard_normal(N)
    op = (
        "complex<double> w = (complex<double>)x;\n"
        "w = w * s - v;\n"
        "w /= 2;\n"
        "complex<float> f = complex<float>(w);\n"
        "y = v > 0 ? f : -t[_ind.size() - 1 - i];\n"
        "z = polar(abs(w), arg(w)) + complex<double>();"
    )
    out = run(
        "complex64 x, float64 v, complex128 s, raw complex64 t",
        "complex64 y, complex128 z",
        op,
        {"x": x, "v": v, "s": 1.5 - 0.25j, "t": x},
        {"y": np.zeros(N, C64), "z": np.zeros(N, C128)},
        scalars=("s",),
        raw={"t": (1, True)},
    )
    w = (x.astype(C128) * (1.5 - 0.25j) - v) / 2
    close(out["y"], np.where(v > 0, w.astype(C64), -x[::-1]), 4)
    close(out["z"], w, 8)


def test_strides_of_a_raw_complex_array_count_bytes():
    out = run(
        "raw complex128 t",
        "int32 y",
        "y = t.strides()[0];",
        {"t": np.zeros(4, C128)},
        {"y": np.zeros(4, np.int32)},
        raw={"t": (1, True)},
    )
    np.testing.assert_array_equal(out["y"], 16)


# ---------------------------------------------------------------------------- preamble functions

# Complex parameters (by value, by reference, const reference), results and locals of
# `__device__` functions, as the brief writes them.
FUNCTIONS_PREAMBLE = """
__device__ complex<float> rot(complex<float> z, float t) {
    return z * complex<float>(cos(t), sin(t));
}
__device__ void split(complex<double> z, double &re, double &im) { re = z.real(); im = z.imag(); }
__device__ thrust::complex<double> sq(const thrust::complex<double> &z) { return z * z; }
"""
FUNCTION_CALLS = (
    "complex64 x, float32 t",
    "complex64 y, float64 re, float64 im",
    "y = rot(x, t);\nsplit(sq(y) - x, re, im);",
)


def test_complex_parameters_and_results_of_preamble_functions():
    x, t = cvalues(C64), RNG.uniform(-3, 3, N).astype(np.float32)
    outs = {"y": np.zeros(N, C64), "re": np.zeros(N), "im": np.zeros(N)}
    out = run(*FUNCTION_CALLS, {"x": x, "t": t}, outs, preamble=FUNCTIONS_PREAMBLE)
    y = x * (np.cos(t) + 1j * np.sin(t)).astype(C64)
    close(out["y"], y, 4)
    close(out["re"] + 1j * out["im"], out["y"].astype(C128) ** 2 - x, 4)


OVERLOADS_PREAMBLE = """
__device__ float size(complex<float> z) { return abs(z); }
__device__ double size(complex<double> z) { return -abs(z); }
template <typename T> __device__ T halve(T z) { return z / 2; }
template <typename T> __device__ complex<T> twice(complex<T> z) {
    complex<T> w = z;
    w += z;
    return w * halve(T(2));
}
__device__ void swap2(complex<float> &a, complex<float> &b) { complex<float> t = a; a = b; b = t; }
__device__ void bump(complex<float> &a, complex<float> &b) { a += 1; b += 1; }
__device__ complex<double> pick(const complex<double> &z) {
    if (z.real() > 0) return z;
    if (z.imag() > 0) return conj(z);
}
"""
OVERLOAD_CALLS = (
    "complex64 x",
    "complex64 y, complex64 w, complex128 z",
    "complex<float> p = x, q = conj(x);\n"
    "swap2(p, q);\n"
    "bump(p, p);\n"
    "y = twice(p) + halve(q) + size(x);\n"
    "w = y;\n"
    "swap2(w, p);\n"
    "z = size(complex<double>(x)) + pick(x * 2);",
)


def test_overloads_templates_and_references_of_complex_values():
    """Overloads picked by the complex type, complex<T> and T deduced from a complex
    argument, references to complex locals and outputs (one object passed twice), and a
    complex function ending without a return (0 there, with a warning)."""
    x = cvalues(C64)
    kernel, warnings = lower_kernel(*OVERLOAD_CALLS, "k", OVERLOADS_PREAMBLE, ndim=1, exact64=True)
    assert [w.message for w in warnings] == [
        "function 'pick' may end without returning a value (it returns 0 there)"
    ]
    out = {"x": x} | {k: np.zeros(N, C64) for k in "yw"} | {"z": np.zeros(N, C128)}
    run_elementwise(kernel, out, (N,))
    p, q = np.conj(x) + 2, x  # swapped, then p bumped twice through two names
    close(out["y"], 2 * p + q / 2 + np.abs(x), 8)
    close(out["w"], p, 2)
    x2 = x.astype(C128) * 2
    pick = np.where(x2.real > 0, x2, np.where(x2.imag > 0, np.conj(x2), 0))
    close(out["z"], -np.abs(x.astype(C128)) + pick, 4)


# ---------------------------------------------------------------------------- real compilers


SHADERS = [
    *EXAMPLES.values(),
    ("T x, T s", "T y", "y = x / s + sin(x) * tanh(x) - log10(x);", {"T": "complex64"}),
    ("raw complex64 t, complex64 s", "complex64 y", "y = t[i] * s;", None),
    (
        FUNCTION_CALLS[0],
        "complex64 y",
        "double a, b;\nsplit(sq(x), a, b);\ny = rot(x, t) + complex<double>(a, b);",
        None,
        FUNCTIONS_PREAMBLE,
    ),
    (*OVERLOAD_CALLS, None, OVERLOADS_PREAMBLE),
]


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("k", range(len(SHADERS)))
def test_shaders_compile(k, exact):
    in_params, out_params, operation, types, *preamble = SHADERS[k]
    spec = {"types": types, "exact64": exact, "preamble": "".join(preamble)}
    if "raw" in in_params:
        spec |= {"raw": {"t": (1, True)}, "scalars": ("s",)}
    validate_wgsl(
        kernelc.translate_elementwise(in_params, out_params, operation, target="wgsl", **spec).code
    )
    if not glslang_available():
        pytest.skip("glslangValidator is not installed")
    if k == 2:  # real outputs only: one fragment per element
        program = kernelc.translate_elementwise(
            in_params, out_params, operation, target="glsl", **spec
        )
        assert program.abi.launch.lanes is None
    else:
        program = kernelc.translate_elementwise(
            in_params, out_params, operation, target="glsl", **spec
        )
        assert program.abi.launch.lanes == 2
    validate_glsl(program.code)


def test_glsl_rejects_real_outputs_beside_complex_ones():
    with pytest.raises(kernelc.UnsupportedOnTarget) as info:
        kernelc.translate_elementwise(
            "complex64 x", "complex64 y, float32 r", "y = x; r = abs(x);", target="glsl"
        )
    assert "'r' is a real output beside complex outputs" in info.value.message
    assert info.value.span is not None


def test_complex_scalar_uniforms_are_keyed_by_part():
    program = kernelc.translate_elementwise(
        "complex128 s, float64 x",
        "float64 y",
        "y = x * real(s) + imag(s);",
        target="wgsl",
        scalars=("s",),
        exact64=True,
    )
    keys = [m.key for m in program.abi.uniforms if m.key.param == "s"]
    assert [(k.what, k.axis) for k in keys] == [("value", 0)] * 2 + [("value", 1)] * 2
    (param,) = [p for p in program.abi.params if p.name == "s"]
    assert (param.dtype, param.storage_dtype) == ("complex128", "float64")
