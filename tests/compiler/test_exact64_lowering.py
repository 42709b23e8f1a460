"""The exact 64-bit policy in the compiler: 64-bit C types are IR types, the interpreter
computes them in true 64 bits (bit for bit NumPy), and the wide64 pass leaves code that
naga and glslang accept, with no IR type wider than 32 bits.

Rule: the fast policy (the default) is untouched: the same kernels lower to 32-bit types.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernelc.errors import UnsupportedOnTarget
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import WIDE, float32, float64, int64
from kernelc.ir.interp import run_elementwise
from kernelc.ir.visit import walk
from kernelc.pipeline import compile_kernel, lower_kernel, translate_elementwise
from tests.compiler.test_lib_float64 import operands as f64_operands
from tests.compiler.test_lib_float64 import same
from tests.compiler.test_lib_int64 import operands as i64_operands
from tests.support.validate import validate_glsl, validate_wgsl

FLOAT_OPS = {
    "x + y": np.add,
    "x - y": np.subtract,
    "x * y": np.multiply,
    "x / y": np.divide,
    "sqrt(x)": lambda x, y: np.sqrt(x),
    "floor(x) + ceil(y)": lambda x, y: np.floor(x) + np.ceil(y),
    "fmin(x, y) - fmax(y, x)": lambda x, y: np.fmin(x, y) - np.fmax(y, x),
    "copysign(fabs(x), y)": lambda x, y: np.copysign(np.abs(x), y),
    "x < y ? x : (x == y ? 1.0 : y)": lambda x, y: np.where(x < y, x, np.where(x == y, 1.0, y)),
}
INT_OPS = {
    "x + y": np.add,
    "x - y": np.subtract,
    "x * y": np.multiply,
    "(x ^ y) & ~x": lambda x, y: (x ^ y) & ~x,
    "x >= y": lambda x, y: (x >= y).astype(np.int64),
}


def interp(in_params: str, out_param: str, op: str, *arrays, dtype):
    kernel, warnings = lower_kernel(in_params, out_param, op, exact64=True)
    assert not warnings
    out = np.zeros(arrays[0].size, dtype)
    names = [p.split()[-1] for p in in_params.split(",")]
    run_elementwise(kernel, {**dict(zip(names, arrays)), out_param.split()[-1]: out}, (out.size,))
    return out


@pytest.mark.parametrize("op", FLOAT_OPS)
def test_interpreter_float64_is_numpy(op):
    x, y = f64_operands(300)
    with np.errstate(all="ignore"):
        want = FLOAT_OPS[op](x, y)
    got = interp("float64 x, float64 y", "float64 z", f"z = {op}", x, y, dtype=np.float64)
    assert same(got, want).all()


@pytest.mark.parametrize("op", INT_OPS)
def test_interpreter_int64_is_numpy(op):
    a, b = i64_operands()
    x, y = a.view(np.int64), b.view(np.int64)
    with np.errstate(all="ignore"):
        want = INT_OPS[op](x, y).astype(np.int64)
    got = interp("int64 x, int64 y", "int64 z", f"z = {op}", x, y, dtype=np.int64)
    assert (got == want).all()


def test_double_literals_are_float64_and_float32_kernels_stay_float32():
    kernel, _ = lower_kernel("float64 x", "float64 y", "y = x * 0.1", exact64=True)
    consts = [n for n in walk(kernel.body) if isinstance(n, ir.Const) and n.dtype is float64]
    assert 0.1 in [c.value for c in consts]
    kernel, _ = lower_kernel("float32 x", "float32 y", "y = x * 0.1", exact64=True)
    assert not any(getattr(n, "dtype", None) in WIDE for n in walk(kernel.body))
    fast, warnings = lower_kernel("float64 x", "float64 y", "y = x * 0.1")
    assert kernel.params[0].dtype is float32 and fast.params[0].dtype is float32 and warnings


def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def test_int64_literal_and_truncating_division():
    x = np.array([2**40 + 7, -(2**63), 5, -9, 2**62 + 1], np.int64)
    got = interp("int64 x", "int64 z", "z = x / 3 + x % 1099511627776LL", x, dtype=np.int64)
    want = [c_div(v, 3) + v - c_div(v, 2**40) * 2**40 for v in x.tolist()]
    assert got.tolist() == want


KERNELS = [
    ("float64 x, float64 y", "float64 z", "z = fma(x, y, 1.0) + x / y - sqrt(y) + floor(x)"),
    ("int64 x, uint64 y", "int64 z", "z = x / 3 + (long long)(y % 7) - (x << 3) + (x >> 2)"),
    (
        "float64 x, float32 y",
        "float32 z, int64 w",
        "z = x < y ? (float)x : y; w = (long long)x + (int)x;",
    ),
    (
        "float64 x, int64 n",
        "float16 h, uint64 u, float64 d",
        "h = x; u = n; d = (double)n + (float)n + (unsigned int)x;",
    ),
    ("raw float64 x", "float64 z", "double s = 0; for (int k = 0; k < 4; k++) s += x[k]; z = s;"),
]


@pytest.mark.parametrize("target", ["wgsl", "glsl"])
@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k[2][:30])
def test_widened_kernels_validate(kernel, target):
    lowered, _ = lower_kernel(*kernel, exact64=True)
    legal = compile_kernel(lowered, target)
    nodes = [n for f in legal.functions for n in walk(f.body)] + list(walk(legal.body))
    assert not any(getattr(n, "dtype", None) in WIDE for n in nodes)
    program = translate_elementwise(*kernel, target=target, exact64=True)
    (validate_wgsl if target == "wgsl" else validate_glsl)(program.code)
    assert program.abi.params[0].storage_dtype in ("float64", "int64")


def test_fast_policy_holds_64_bit_in_32():
    kernel, _ = lower_kernel("int64 x", "int64 z", "z = x + 1")
    assert kernel.params[0].dtype.itemsize == 4 and kernel.params[0].declared is int64


def test_64bit_integer_atomics_update_words():
    """int64 atomicAdd/Sub/And/Or/Xor become one u32 atomic per word, the low word's
    carry added to the high word's operand; naga accepts the program."""
    for op in ("Add", "Sub", "Or"):
        program = translate_elementwise(
            "int64 v, int32 k",
            "raw int64 y",
            f"atomic{op}(&y[k], v)",
            "w",
            target="wgsl",
            exact64=True,
        )
        validate_wgsl(program.code)
        assert "var<storage, read_write> b_y: array<atomic<u32>>;" in program.code
        assert program.code.count(f"atomic{op}(&b_y[") == 2


@pytest.mark.parametrize(
    "dtype, body, reason",
    [
        ("int64", "r = atomicAdd(&y[0], v);", "old value of a 64-bit atomic cannot be returned"),
        ("int64", "atomicMax(&y[0], v);", "atomic 'max' on 64-bit integers needs"),
        ("uint64", "atomicCAS(&y[0], v, v);", "atomic 'cas' on 64-bit integers needs"),
        ("float64", "atomicAdd(&y[0], v);", "atomic float64 needs a 64-bit compare-exchange"),
    ],
)
def test_64bit_atomics_words_cannot_express_are_rejected(dtype, body, reason):
    """A consistent old value, min/max/exch/CAS and float64 adds need a 64-bit
    compare-exchange: translation for WGSL names the reason (the runtime then falls back
    to the interpreter)."""
    with pytest.raises(UnsupportedOnTarget, match=reason):
        translate_elementwise(
            f"{dtype} v",
            f"raw {dtype} y, {dtype} r",
            body,
            "rejected",
            target="wgsl",
            exact64=True,
        )
