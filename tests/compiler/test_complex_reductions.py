"""ReductionKernels over complex values: a complex accumulator packed into u32 words.

Rule: each kernel runs on the IR interpreter against NumPy (sums to a few ulp of the
summed magnitudes, as summation order decides; complex128 under the exact policy in
float64 parts, bit for bit where the interpreter's tree order is replayed in NumPy), and
its shaders go through the real compilers (naga, glslangValidator) under both policies.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
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


WIDER = {"complex64": "complex128", "float32": "float64", "complex<float>": "complex<double>"}
WIDTHS = ("c64", "c128")


def spelled(name: str, width: str) -> tuple:
    """Kernel `name`'s strings (in, out, map, reduce, post, identity, reduce_type, types)
    for complex64 values (`c64`) or complex128 ones (`c128`)."""
    strings = KERNELS[name][:-1]
    if width == "c64":
        return strings
    *text, types = strings

    def wide(t):
        if t is None:
            return None
        for narrow, wider in WIDER.items():
            t = t.replace(narrow, wider)
        return t

    return (*map(wide, text), {k: wide(v) for k, v in types.items()})


def inputs(name: str, width: str = "c64") -> dict:
    x = RNG.standard_normal((2, RED, OUT))
    x = x[0] + 1j * x[1]
    if name == "cprod":
        x = np.exp(0.05j * x.real) * (1 + 0.01 * x.imag)  # keep the product near 1
    if name == "real_into_complex":
        x = x.real
    c = np.complex64 if width == "c64" else np.complex128
    dtype = {np.complex64: np.float32, np.complex128: np.float64}[c] if np.isrealobj(x) else c
    return {"x": x.astype(dtype), "w": (x * 0.5 - 1j).astype(c)}


def lower(name: str, exact: bool = True, width: str = "c64"):
    ins, outs, m, r, post, identity, reduce_type, types = spelled(name, width)
    kernel, _ = lower_reduction_kernel(
        *(ins, outs, m, r, post, identity, name, reduce_type),
        types=types,
        ndim=1,
        reduce_ndim=1,
        exact64=exact,
    )
    return kernel


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", KERNELS)
def test_interpreter_matches_numpy(name, exact, width):
    args = inputs(name, width)
    want = KERNELS[name][-1](args["x"].astype(np.complex128), args["w"].astype(np.complex128))
    wide = width == "c128"
    part, whole = (np.float64, np.complex128) if wide else (np.float32, np.complex64)
    out = np.zeros(OUT, whole if np.iscomplexobj(want) else part)
    run_reduction(lower(name, exact, width), {**args, "y": out}, (OUT,), (RED,))
    scale = np.abs(args["x"]).sum(axis=0) * (np.abs(args["w"]).max() if name == "cdot" else 1)
    if name == "cprod":
        scale = np.abs(want)
    eps = np.finfo(np.float64 if wide and exact else np.float32).eps  # fast: float32 parts
    assert np.all(np.abs(out - want) <= 8 * eps * RED * scale)


def tree(values: np.ndarray, combine) -> np.ndarray:
    """`values` combined pairwise along axis 0, halves first, as the interpreter does."""
    while values.shape[0] > 1:
        half = values.shape[0] // 2
        values = np.concatenate(
            [combine(values[:half], values[half : 2 * half]), values[2 * half :]]
        )
    return values[0]


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """NumPy's complex product formula, each operation rounded (no FMA)."""
    z = np.empty(np.broadcast(a, b).shape, np.complex128)
    z.real = a.real * b.real - a.imag * b.imag
    z.imag = a.real * b.imag + a.imag * b.real
    return z


@pytest.mark.parametrize("name", ["csum", "cnorm2", "cdot", "cprod"])
def test_exact_complex128_is_numpys_arithmetic_in_the_trees_order(name):
    args = inputs(name, "c128")
    x, w = args["x"], args["w"]
    mapped = {"csum": x, "cnorm2": multiply(x, x.conj()), "cdot": multiply(x, w), "cprod": x}
    identity = np.full((1, OUT), 1.0 if name == "cprod" else 0.0, np.complex128)
    combine = multiply if name == "cprod" else np.add
    want = tree(np.concatenate([identity, mapped[name]]), combine)
    out = np.zeros(OUT, np.complex128)
    run_reduction(lower(name, True, "c128"), {**args, "y": out}, (OUT,), (RED,))
    np.testing.assert_array_equal(out.view(np.uint64), want.view(np.uint64))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])
@pytest.mark.parametrize("name", KERNELS)
def test_shaders_compile(name, exact, width):
    ins, outs, m, r, post, identity, reduce_type, types = spelled(name, width)
    strings = (ins, outs, m, r, post, identity, name, reduce_type)
    spec = {"types": types, "ndim": 1, "exact64": exact}
    validate_wgsl(kernelc.translate_reduction(*strings, target="wgsl", **spec).code)
    if not glslang_available():
        pytest.skip("glslangValidator is not installed")
    glsl = kernelc.translate_reduction(*strings, target="glsl", **spec)
    validate_glsl(glsl.code)
    validate_glsl(glsl.abi.launch.partial_shader.code)
    complex_output = "complex" in outs or outs == "T y"  # a fragment per component
    assert glsl.abi.launch.lanes == (2 if complex_output else None)


def test_exact_complex128_accumulator_is_four_words():
    wgsl = kernelc.translate_reduction(
        *spelled("cdot", "c128")[:6], "cdot", target="wgsl", exact64=True
    )
    assert wgsl.abi.bindings[-1].element == "vec4<u32>"
    glsl = kernelc.translate_reduction(
        *spelled("abs_of_sum", "c128")[:6], "cabs", "complex<double>", target="glsl", exact64=True
    )
    assert glsl.abi.launch.partial_format == "rgba32ui"


def test_complex_map_into_a_real_accumulator_is_a_type_error():
    with pytest.raises(kernelc.KernelTypeError, match="no conversion from 'complex<float>'"):
        kernelc.translate_reduction(
            "complex64 x", "float32 y", "x", "a + b", "y = a", "0", target="wgsl"
        )
