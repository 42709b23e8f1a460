"""ReductionKernels over complex values: a complex accumulator packed into two u32 words.

Rule: each kernel runs on the IR interpreter against NumPy (complex64 sums to a few float32
ulp of the summed magnitudes, as summation order decides), and its shaders go through the
real compilers (naga, glslangValidator); what stays unsupported says why.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.errors import UnsupportedFeatureError, UnsupportedOnTarget
from kernelc.ir.interp import run_reduction
from kernelc.pipeline import lower_reduction_kernel
from tests.support.validate import glslang_available, validate_glsl, validate_wgsl

RNG = np.random.default_rng(11)
RED, OUT = 200, 3  # reduced and output extents

# (in_params, out_params, map, reduce, post_map, identity, reduce_type, types, NumPy's result)
KERNELS = {
    "csum": (
        *("complex64 x", "complex64 y", "x", "a + b", "y = a", "0", None, {}),
        lambda x, w: x.sum(axis=0),
    ),
    "cnorm2": (
        *("T x", "T y", "x * conj(x)", "a + b", "y = a", "0", None, {"T": "complex64"}),
        lambda x, w: (x * x.conj()).sum(axis=0),
    ),
    "cdot": (
        *("complex64 x, complex64 w", "complex64 y", "x * w", "a + b", "y = a"),
        *("complex<float>(0, 0)", None, {}),
        lambda x, w: (x * w).sum(axis=0),
    ),
    "cprod": (
        *("complex64 x", "complex64 y", "x", "a * b", "y = a", "1", None, {}),
        lambda x, w: x.prod(axis=0),
    ),
    "abs_of_sum": (
        *("complex64 x", "float32 y", "x", "a + b", "y = abs(a)", "0", "complex<float>", {}),
        lambda x, w: np.abs(x.sum(axis=0)),
    ),
    "sum_of_abs": (
        *("complex64 x", "float32 y", "abs(x)", "a + b", "y = a", "0", None, {}),
        lambda x, w: np.abs(x).sum(axis=0),
    ),
    "real_into_complex": (
        *("float32 x", "complex64 y", "x", "a + b", "y = a + complex<float>(0, 1)", "0", None),
        {},
        lambda x, w: x.sum(axis=0) + 1j,
    ),
}


def inputs(name: str) -> dict:
    x = RNG.standard_normal((2, RED, OUT))
    x = x[0] + 1j * x[1]
    if name == "cprod":
        x = np.exp(0.05j * x.real) * (1 + 0.01 * x.imag)  # keep the product near 1
    if name == "real_into_complex":
        x = x.real
    dtype = np.float32 if name == "real_into_complex" else np.complex64
    return {"x": x.astype(dtype), "w": (x * 0.5 - 1j).astype(np.complex64)}


def lower(name: str, exact: bool = True):
    ins, outs, m, r, post, identity, reduce_type, types, _ = KERNELS[name]
    kernel, _ = lower_reduction_kernel(
        *(ins, outs, m, r, post, identity, name, reduce_type),
        types=types,
        ndim=1,
        reduce_ndim=1,
        exact64=exact,
    )
    return kernel


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", KERNELS)
def test_interpreter_matches_numpy(name, exact):
    args = inputs(name)
    want = KERNELS[name][-1](args["x"].astype(np.complex128), args["w"].astype(np.complex128))
    out = np.zeros(OUT, np.complex64 if np.iscomplexobj(want) else np.float32)
    run_reduction(lower(name, exact), {**args, "y": out}, (OUT,), (RED,))
    scale = np.abs(args["x"]).sum(axis=0) * (np.abs(args["w"]).max() if name == "cdot" else 1)
    if name == "cprod":
        scale = np.abs(want)
    assert np.all(np.abs(out - want) <= 8 * np.finfo(np.float32).eps * RED * scale)


def test_complex128_under_the_fast_policy_computes_in_float32_parts():
    kernel, _ = lower_reduction_kernel(
        "T x", "T y", "x * conj(x)", "a + b", "y = a", "0", "cnorm2", types={"T": "complex128"}
    )
    x = (RNG.standard_normal((RED, OUT)) + 1j * RNG.standard_normal((RED, OUT))).astype("c16")
    out = np.zeros(OUT, np.complex128)
    run_reduction(kernel, {"x": x, "y": out}, (OUT,), (RED,))
    np.testing.assert_allclose(out, (x * x.conj()).sum(axis=0), rtol=1e-5)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", KERNELS)
def test_shaders_compile(name, exact):
    ins, outs, m, r, post, identity, reduce_type, types, _ = KERNELS[name]
    strings = (ins, outs, m, r, post, identity, name, reduce_type)
    spec = {"types": types, "ndim": 1, "exact64": exact}
    validate_wgsl(kernelc.translate_reduction(*strings, target="wgsl", **spec).code)
    if not glslang_available():
        pytest.skip("glslangValidator is not installed")
    if "complex" in outs or outs == "T y":  # complex outputs: the CPU fallback on WebGL
        with pytest.raises(UnsupportedOnTarget, match="one component per fragment"):
            kernelc.translate_reduction(*strings, target="glsl", **spec)
        return
    glsl = kernelc.translate_reduction(*strings, target="glsl", **spec)
    validate_glsl(glsl.code)
    validate_glsl(glsl.abi.launch.partial_shader.code)


def test_exact_complex128_accumulator_says_why():
    with pytest.raises(UnsupportedFeatureError) as info:
        kernelc.translate_reduction(
            "complex128 x, complex128 w", "complex128 y", "x * w", "a + b", "y = a",
            "complex<double>(0, 0)", "cdot", target="wgsl", exact64=True,
        )  # fmt: skip
    assert info.value.message.startswith(
        "a ReductionKernel accumulating 'complex<double>' under the exact 64-bit policy"
    )
    assert "four 32-bit words" in info.value.message


def test_complex_map_into_a_real_accumulator_is_a_type_error():
    with pytest.raises(kernelc.KernelTypeError, match="no conversion from 'complex<float>'"):
        kernelc.translate_reduction(
            "complex64 x", "float32 y", "x", "a + b", "y = a", "0", target="wgsl"
        )
