"""Differential tests: every corpus kernel, translated for each target and run on the native
executor through the CuPy-like call, must match its NumPy reference of CUDA semantics.

Rule: the kernels live in `kernel_corpus.py`; this file only runs and compares them. Known
compiler bugs are listed in `KNOWN_BUGS` as strict xfails, so a fix shows up as XPASS.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import kernelc
from tests.compiler.kernel_corpus import CORPUS, Kernel
from tests.support.kernel_call import call_elementwise, run_program

TARGETS = ("wgsl", "glsl")

# (kernel, target) -> the symptom, as reported to the compiler's owners.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _cases():
    for kernel in CORPUS:
        for target in TARGETS:
            bug = KNOWN_BUGS.get((kernel.name, target))
            marks = [pytest.mark.xfail(reason=f"BUG: {bug}", strict=True)] if bug else []
            yield pytest.param(kernel, target, id=f"{kernel.name}-{target}", marks=marks)


def _copy(arg):
    return arg.copy() if isinstance(arg, np.ndarray) else arg


def _as_tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def assert_matches(kernel: Kernel, actual, expected) -> None:
    actual, expected = _as_tuple(actual), _as_tuple(expected)
    names = [p.split()[-1] for p in kernel.out_params.split(",")]
    assert len(actual) == len(expected) == len(names)
    for name, got, want in zip(names, actual, expected):
        want = np.broadcast_to(np.asarray(want), got.shape)
        if got.dtype.kind == "f":
            np.testing.assert_allclose(
                got,
                want.astype(got.dtype),
                rtol=kernel.rtol,
                atol=kernel.atol,
                equal_nan=True,
                err_msg=f"output {name!r}",
            )
        else:
            np.testing.assert_array_equal(got, want.astype(got.dtype), err_msg=f"output {name!r}")


def run(kernel: Kernel, target: str, args: tuple):
    """`cupy.ElementwiseKernel(...)(*args, size=...)`, on `target`."""
    return call_elementwise(
        target,
        kernel.in_params,
        kernel.out_params,
        kernel.operation,
        *args,
        name=kernel.name,
        preamble=kernel.preamble,
        loop_prep=kernel.loop_prep,
        after_loop=kernel.after_loop,
        size=kernel.size,
    )


@pytest.mark.parametrize("kernel, target", _cases())
def test_corpus_kernel(kernel: Kernel, target: str):
    args = kernel.args()
    if target not in kernel.targets:
        with pytest.raises(kernelc.UnsupportedOnTarget):
            run(kernel, target, args)
        return
    with np.errstate(all="ignore"):
        expected = kernel.reference(*map(_copy, args))
    assert_matches(kernel, run(kernel, target, args), expected)


@pytest.mark.parametrize(
    "kernel",
    [k for k in CORPUS if re.search(r"\bfor\b", k.operation + k.preamble)],
    ids=lambda k: k.name,
)
@pytest.mark.parametrize("target", TARGETS)
def test_corpus_kernel_with_the_other_unrolling(kernel: Kernel, target: str):
    """Loops unrolled on WGSL and kept on GLSL (the defaults are the other way round)."""
    args = kernel.args()
    program = kernelc.translate_elementwise(
        kernel.in_params,
        kernel.out_params,
        kernel.operation,
        target=target,
        unroll=target == "wgsl",
        **kernel.translate_kwargs(),
    )
    with np.errstate(all="ignore"):
        expected = kernel.reference(*map(_copy, args))
    assert_matches(kernel, run_program(program, *args, size=kernel.size), expected)


# Every construct the corpus must exercise, as a pattern over the kernels' text.
REQUIRED = {
    "several declarators": r"\b(int|float) \w+ = [^;]*, \w+ = ",
    "array initialiser": r"\w+\[\d+\] = \{",
    "compound assignments": [
        rf"\w {re.escape(op)} " for op in "+= -= *= /= %= <<= >>= &= |= ^=".split()
    ],
    "post/pre increment in expressions": [r"\[\w+\+\+\]", r"\[\+\+\w+\]", r"\w--", r"--\w"],
    "conditional": r"\? .* : ",
    "comma in for": r"for \([^;]*;[^;]*;[^)]*, ",
    "statements": [
        r"\bif\b",
        r"\belse if\b",
        r"\belse\b",
        r"\bfor\b",
        r"\bwhile\b",
        r"\bdo\b",
        r"\bbreak;",
        r"\bcontinue;",
        r"\breturn;",
    ],
    "casts": [r"\(int\)\w", r"float\(", r"T\(", r"static_cast<int>"],
    "preamble functions": [r"__device__", r"template <typename T>", r"float &\w"],
    "macros": [r"#define \w+ ", r"#define \w+\("],
    "literals": [r"\d\.\d+f", r"\b1\.0\b", r"1e-3", r"0x[0-9A-F]+", r"\d+u\b"],
    "index builtins": [r"\bi\b", r"_ind\.size\(\)"],
    "raw arrays": [r"\w\[\w+\]", r"\.size\(\)", r"\.shape\(\)\[\d\]", r"\w\[idx\]"],
    "constants": [r"\bINFINITY\b", r"\bNAN\b", r"\bCUDART_INF_F\b", r"\bM_PI\b"],
    "generic builtins": [rf"\b{f}\(" for f in "min max abs isnan isinf isfinite".split()],
    "math": [
        rf"\b{f}f?\("
        for f in (
            "exp log log2 log10 exp2 sqrt rsqrt sin cos tan asin acos atan atan2 sinh cosh tanh "
            "pow fabs floor ceil trunc round rint fmod fmin fmax copysign"
        ).split()
    ],
    "f forms": [rf"\b{f}f\(" for f in "exp log sin sqrt pow fmod floor".split()],
    "intrinsics": [r"__expf\(", r"__logf\(", r"__sinf\("],
}


def _corpus_text() -> str:
    return "\n".join(
        "\n".join((k.preamble, k.loop_prep, k.operation, k.after_loop)) for k in CORPUS
    )


@pytest.mark.parametrize("construct", sorted(REQUIRED))
def test_corpus_covers(construct: str):
    text = _corpus_text()
    patterns = REQUIRED[construct]
    missing = [
        p for p in ([patterns] if isinstance(patterns, str) else patterns) if not re.search(p, text)
    ]
    assert not missing, f"no corpus kernel uses {construct}: {missing}"


def test_corpus_size_and_sections():
    assert len(CORPUS) >= 45
    assert any(k.loop_prep and k.after_loop for k in CORPUS)
    assert any(k.size is not None for k in CORPUS)
    assert {"mandelbrot", "squared_diff"} <= {k.name for k in CORPUS}
