"""CUDA's integer intrinsics (`__popc`, `__clz`, `__ffs`, `__brev`, `__mulhi`, `__umulhi`,
`__sad`, `__usad`, and `__popcll`, `__clzll`, `__ffsll`, `__brevll`) on both targets, in
the interpreter and folded from constants, against Python's own integer arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from kernelc import KernelTypeError, translate_elementwise
from kernelc.ir import nodes as ir
from kernelc.ir.interp import run_elementwise
from kernelc.ir.visit import walk
from kernelc.pipeline import lower_kernel
from tests.support.interp_call import call_elementwise_interpreted, call_elementwise_on
from tests.support.kernel_call import call_elementwise
from tests.support.validate import validate_glsl, validate_wgsl

TARGETS = ["wgsl", "glsl", "interp"]
EDGES = [0, 1, 2, 3, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 0xDEADBEEF, 0x80000001]


def _operands(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    a = np.array([*EDGES, *rng.integers(0, 2**32, n, dtype=np.uint64)], np.uint64)
    b = np.array([*EDGES[::-1], *rng.integers(0, 2**32, n, dtype=np.uint64)], np.uint64)
    return a.astype(np.uint32), b.astype(np.uint32)


def _signed(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def _expected(a: int, b: int) -> list[int]:
    sa, sb = _signed(a), _signed(b)
    return [
        bin(a).count("1"),
        32 - a.bit_length(),
        (a & -a).bit_length(),
        int(f"{a:032b}"[::-1], 2),
        (a * b) >> 32,
        (sa * sb) >> 32,
        (abs(sa - sb) + 7) % 2**32,
        (abs(a - b) + 5) % 2**32,
    ]


BODY = """p = __popc(a); c = __clz((int)a); f = __ffs((int)a); r = __brev(a);
h = __umulhi(a, b); m = __mulhi((int)a, (int)b); s = __sad((int)a, (int)b, 7u);
t = __usad(a, b, 5u);"""
OUTS = "int32 p, int32 c, int32 f, uint32 r, uint32 h, int32 m, uint32 s, uint32 t"


@pytest.mark.parametrize("target", TARGETS)
def test_32bit_intrinsics(target):
    a, b = _operands()
    got = call_elementwise_on(target, "uint32 a, uint32 b", OUTS, BODY, a, b)
    want = np.array([_expected(int(x), int(y)) for x, y in zip(a, b)], np.int64).T
    for name, g, w in zip("popc clz ffs brev umulhi mulhi sad usad".split(), got, want):
        w = w.astype(g.dtype) if g.dtype.kind == "i" else (w % 2**32).astype(g.dtype)
        assert np.array_equal(g, w), name


WIDE_BODY = "p = __popcll(x); c = __clzll(x); f = __ffsll(x); r = __brevll(x);"


def wide_expected(x: np.ndarray, bitsize: int) -> list[np.ndarray]:
    """popcll, clzll, ffsll and brevll of `x` by Python's integers."""
    fns = [
        lambda v: bin(v).count("1"),
        lambda v: bitsize - v.bit_length(),
        lambda v: (v & -v).bit_length(),
        lambda v: int(f"{v:0{bitsize}b}"[::-1], 2),
    ]
    return [np.array([fn(int(v)) for v in x], np.uint64) for fn in fns]


@pytest.mark.parametrize("target", TARGETS)
def test_64bit_forms_under_the_fast_policy(target):
    """A long long is held in 32 bits there: they are the 32-bit forms of that word."""
    a, _ = _operands(60)
    got = call_elementwise_on(
        target, "uint32 x", "int32 p, int32 c, int32 f, uint32 r", WIDE_BODY, a
    )
    for g, w in zip(got, wide_expected(a, 32)):
        assert np.array_equal(g, w.astype(g.dtype))


def test_64bit_forms_under_the_exact_policy():
    """On the two words: the interpreter against Python's integers, the shaders through
    naga and glslang (tests/runtime/test_exact64.py runs them)."""
    a, b = _operands(60)
    x = (a.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)
    outs = "int32 p, int32 c, int32 f, uint64 r"
    kernel, _ = lower_kernel("uint64 x", outs, WIDE_BODY, exact64=True)
    got = [np.zeros(x.size, np.int32) for _ in range(3)] + [np.zeros(x.size, np.uint64)]
    run_elementwise(kernel, {"x": x, **dict(zip("pcfr", got))}, (x.size,))
    for g, w in zip(got, wide_expected(x, 64)):
        assert np.array_equal(g, w.astype(g.dtype))
    for target, validate in (("wgsl", validate_wgsl), ("glsl", validate_glsl)):
        validate(
            translate_elementwise("uint64 x", outs, WIDE_BODY, target=target, exact64=True).code
        )


def test_constant_arguments_fold():
    kernel, _ = lower_kernel(
        "float32 x", "uint32 y", "y = __popc(0xff00ff00u) + __brev(1u) + __umulhi(0xffffffffu, 3u);"
    )
    constants = [n.value for n in walk(kernel.body) if isinstance(n, ir.Const)]
    assert 16 + 0x80000000 + 2 in constants
    assert not [n for n in walk(kernel.body) if isinstance(n, ir.Math)]


def test_wrong_argument_count_names_the_intrinsic():
    with pytest.raises(KernelTypeError, match="'__umulhi' takes 2 arguments"):
        translate_elementwise("uint32 a", "uint32 y", "y = __umulhi(a);", target="wgsl")
