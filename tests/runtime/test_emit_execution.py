"""The emitters' output run natively and compared with the IR interpreter (the executable
definition of the IR's CUDA semantics): every hand-built sample kernel, and every built-in
math function on special and ordinary values, on both targets.

Rule: kernels come from `tests.support.ir_samples` (no frontend); the reference is
`kernelc.ir.interp.run_elementwise` on the same, unlegalised kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernelc import emit_glsl, emit_wgsl
from kernelc.abi import Program
from kernelc.ir import bits, builtins
from kernelc.ir.dtypes import float32
from kernelc.ir.interp import NP, run_elementwise
from tests.support.ir_samples import SAMPLES, legalise, math_kernel

EMIT = {"wgsl": emit_wgsl.emit, "glsl": emit_glsl.emit}


def program_for(kernel, target: str) -> Program:
    code, abi = EMIT[target](legalise(kernel, target))
    return Program(kernel.name, target, code, abi)


def run_both(kernel, args: dict, loop_shape, executor, target: str):
    """(outputs from the GPU, outputs from the interpreter), by output name."""
    ref = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    run_elementwise(kernel, ref, loop_shape)
    got = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    executor.run(program_for(kernel, target), got, loop_shape)
    outs = [p.name for p in kernel.params if p.is_output]
    return {n: got[n] for n in outs}, {n: ref[n] for n in outs}


FLT_MIN = float(np.finfo(np.float32).tiny)  # both targets may flush subnormals to zero


def assert_same(got: dict, want: dict, rtol: float, what: str, atol: float = FLT_MIN) -> None:
    for name in want:
        g, w = np.asarray(got[name]), np.asarray(want[name])
        if g.dtype.kind == "f":
            np.testing.assert_allclose(
                g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{what}: output {name}"
            )
            zeros = (g == 0) & (w == 0)
            assert np.array_equal(np.signbit(g[zeros]), np.signbit(w[zeros])), (what, name)
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{what}: output {name}")


RUNNABLE = [n for n, build in SAMPLES.items() if build().args is not None]


@pytest.mark.parametrize("name", RUNNABLE)
def test_sample_matches_interpreter(name, target, executor):
    sample = SAMPLES[name]()
    if target not in sample.targets:
        pytest.skip(f"{name} is not valid on {target}")
    args = sample.args(np.random.default_rng(7))
    got, want = run_both(sample.kernel, args, sample.loop_shape, executor, target)
    assert_same(got, want, sample.rtol, f"{name} on {target}")


# ---------------------------------------------------------------------------- math

SPECIAL = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    -2.0,
    3.0,
    -3.0,
    2.5,
    -2.5,
    1.5,
    -1.5,
    0.49999997,
    -0.49999997,
    1e-7,
    -1e-7,
    1e-3,
    -1e-3,
    0.25,
    -0.25,
    0.75,
    -0.999,
    0.999,
    10.0,
    -10.0,
    88.0,
    -88.0,
    89.0,
    100.0,
    -100.0,
    1e10,
    -1e10,
    1e30,
    -1e30,
    3.4e38,
    16777217.0,
    8.0,
    27.0,
    -27.0,
]
PAIRS = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    -2.0,
    3.0,
    -3.0,
    0.3,
    7.5,
    -7.5,
    1e10,
    1e-3,
    1e30,
]
# Native functions whose accuracy the targets leave loose (checked on moderate arguments).
LOOSE = {
    "sin": 4e-6,
    "cos": 4e-6,
    "tan": 4e-6,
    "pow": 8e-6,
    "exp": 2e-6,
    "exp2": 2e-6,
    "exp10": 8e-6,
    "log": 2e-6,
    "log2": 2e-6,
    "log10": 2e-6,
    "sinh": 4e-6,
    "cosh": 4e-6,
    "tanh": 4e-6,
    "asinh": 4e-6,
    "acosh": 4e-6,
    "atanh": 4e-6,
    "log1p": 4e-6,
    "expm1": 4e-6,
    "cbrt": 2e-6,
    "hypot": 2e-6,
    "rsqrt": 2e-6,
    "atan": 2e-6,
    "asin": 2e-6,
    "acos": 2e-6,
    "atan2": 2e-6,
    "erf": 4e-7,
    "erfc": 8e-7,
    "erfcx": 8e-7,
    "normcdf": 8e-7,
    "erfinv": 6e-7,
    "erfcinv": 6e-7,
    "normcdfinv": 6e-7,
    "lgamma": 8e-7,
    "tgamma": 6e-7,
    "rcbrt": 4e-7,
    "fma": 2e-7,
    "sinpi": 4e-6,
    "cospi": 4e-6,
    **dict.fromkeys(("j0", "j1", "y0", "y1", "jn", "cyl_bessel_i0", "cyl_bessel_i1"), 4e-7),
    "yn": 1e-6,
}
# lgamma between its negative zeros is accurate in absolute terms only (as CUDA's is), and
# so are the Bessel functions J and Y near their zeros (CUDA's bound: 2.2e-6).
ATOL = {"lgamma": 4e-6, **dict.fromkeys(("j0", "j1", "y0", "y1", "jn", "yn"), 2.5e-7)}
TRIG = {"sin", "cos", "tan"}


def math_inputs(fn: str, r: np.random.Generator) -> dict:
    if builtins.MATH[fn].arity == 1:
        x = np.array(SPECIAL, np.float32)
        if fn in TRIG:
            x = x[~(np.abs(x) > 100)]
        x = np.concatenate([x, r.uniform(-5, 5, 200).astype(np.float32)])
        return {"x": x}
    a, b = np.meshgrid(np.array(PAIRS, np.float32), np.array(PAIRS, np.float32))
    x = np.concatenate([a.ravel(), r.uniform(-5, 5, 200).astype(np.float32)])
    x2 = np.concatenate([b.ravel(), r.uniform(-5, 5, 200).astype(np.float32)])
    if fn == "ldexp":  # C's exponent is an int: integral values only
        x2 = np.where(np.isfinite(x2), np.trunc(np.clip(x2, -300, 300)), 2.0).astype(np.float32)
    if fn in ("jn", "yn"):  # the order: C's int, first; the library's recurrences take n steps
        x = np.where(np.isfinite(x), np.trunc(np.clip(x, -6, 6)), 2.0).astype(np.float32)
    if builtins.MATH[fn].arity == 2:
        return {"x": x, "x2": x2}
    return {"x": x, "x2": x2, "x3": np.roll(x, 7)}


@pytest.mark.parametrize("fn", sorted(set(builtins.MATH) - builtins.NATIVE - set(bits.SIGNATURES)))
def test_math_matches_interpreter(fn, target, executor):
    kernel = math_kernel(fn)
    args = math_inputs(fn, np.random.default_rng(3))
    n = args["x"].size
    args["y"] = np.zeros(n, NP[builtins.MATH[fn].result(float32)])
    got, want = run_both(kernel, args, (n,), executor, target)
    if fn == "fdim":  # CUDA's fdimf(x, y) is +0 unless x > y, Inf - Inf included
        both_inf = np.isinf(args["x"]) & (args["x"] == args["x2"])
        want["y"][both_inf] = 0.0
    assert_same(got, want, LOOSE.get(fn, 0.0), f"{fn} on {target}", ATOL.get(fn, FLT_MIN))


@pytest.mark.parametrize("fn", sorted(bits.SIGNATURES))
def test_integer_intrinsics_match_interpreter(fn, target, executor):
    """The shader library's __popc, __clz, ... (bits.cu) against the interpreter's."""
    operands, result = bits.SIGNATURES[fn]
    r = np.random.default_rng(6)
    edges = np.array([0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF], np.uint32)
    args = {
        name: np.concatenate([np.roll(edges, k), r.integers(0, 2**32, 58, dtype=np.uint64)])
        .astype(np.uint32)
        .view(NP[t])
        for k, (name, t) in enumerate(zip(("x", "x2", "x3"), operands))
    }
    args["y"] = np.zeros(64, NP[result])
    got, want = run_both(math_kernel(fn), args, (64,), executor, target)
    assert_same(got, want, 0.0, f"{fn} on {target}")


@pytest.mark.parametrize("fn", ["abs", "min", "max"])
@pytest.mark.parametrize("dt", ["int32", "uint32"])
def test_integer_math_matches_interpreter(fn, dt, target, executor):
    from kernelc.ir.dtypes import BY_NAME

    kernel = math_kernel(fn, BY_NAME[dt])
    r = np.random.default_rng(5)
    lo, hi = (-(2**31), 2**31) if dt == "int32" else (0, 2**32)
    args = {
        "x": r.integers(lo, hi, 64, dtype=np.int64).astype(dt),
        "x2": r.integers(lo, hi, 64, dtype=np.int64).astype(dt),
        "y": np.zeros(64, dt),
    }
    if builtins.MATH[fn].arity == 1:
        del args["x2"]
    got, want = run_both(kernel, args, (64,), executor, target)
    assert_same(got, want, 0.0, f"{fn}({dt}) on {target}")
