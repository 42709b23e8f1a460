"""Kernels kernelc translates under the exact 64-bit policy (exact64=True), run on both
browser executors: float64 arithmetic through the shader library, int64/uint64 wraparound
arithmetic and shifts, 64-bit scalars past 2^53, strided and broadcast views, and 64-bit
reductions (WGSL: word-pair scratch through the split stages; GLSL: RG32UI partials over
several passes), compared bit for bit with NumPy (any NaN equals any NaN).

Rule: each test builds a command stream whose reads carry NumPy's bytes and replays it on
a fresh executor (tests/browser/pages/replay.js).
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

import kernelc
from kernelc.abi import Contract
from tests.browser import hand_stream
from tests.browser.streams import ROOT
from tests.browser.test_webgpu_executor import values as view_values
from wgpy_runtime.device.browser import _json_number

BACKENDS = ("webgpu", "webgl")
F64_EDGES = [
    0.0,
    -0.0,
    5e-324,
    -2.2250738585072014e-308,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    2.0**53 + 1,
    1 / 3,
    -1.5,
    4294967296.0,
]


def values(abi: Contract, loop: tuple, **kw) -> dict:
    """Dispatch values (views as in the WebGPU executor tests), as BrowserDevice sends them."""
    return {k: _json_number(v) for k, v in view_values(abi, loop, **kw).items()}


def float64s(rng, n: int) -> np.ndarray:
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
    x[rng.choice(n, len(F64_EDGES), replace=False)] = F64_EDGES
    return x


def replay(page, s) -> None:
    messages, errors = hand_stream.replay_exact(page, s, any_nan=True)
    assert not errors, errors
    assert not messages, "\n".join(messages)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float64_arithmetic_on_views(page, backend):
    """x a strided view at an offset, y broadcast along the first axis, a float64 scalar."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "float64 x, float64 y, float64 a",
        "float64 z",
        "z = x * y + x / y - sqrt(fabs(x)) + a",
        name="f64_mix",
        target=target,
        ndim=2,
        scalars=("a",),
        exact64=True,
    )
    rng = np.random.default_rng(5)
    rows, cols, a = 37, 129, -0.1
    x = float64s(rng, 2 * rows * cols + 3)
    y = float64s(rng, cols)
    xv = x[3:].reshape(rows, 2 * cols)[:, ::2]
    with np.errstate(all="ignore"):
        want = xv * y + xv / y - np.sqrt(np.abs(xv)) + a
    s = hand_stream.Stream(backend)
    bx, by, bz = s.array(x), s.array(y), s.alloc(rows * cols, "float64")
    views = {"x": (3, [2 * cols, 2]), "y": (0, [0, 1])}
    s.dispatch(
        program,
        {"x": bx, "y": by, "z": bz},
        values(program.abi, (rows, cols), views=views, scalars={"a": a}),
    )
    s.read("float64 mix", bz, 0, want)
    replay(page, s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_int64_and_uint64_wrap_as_c_does(page, backend):
    """Products that overflow, xor, arithmetic and logical shifts, scalars past 2^53."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "int64 x, int64 y, int64 k, uint64 u, uint64 m",
        "int64 q, uint64 v",
        "q = x * k + (x ^ y) - (x >> 3); v = u * m + (u >> 7) - (unsigned long long)y;",
        name="i64_mix",
        target=target,
        ndim=1,
        scalars=("k", "m"),
        exact64=True,
    )
    rng = np.random.default_rng(6)
    n, k, m = 5000, -(2**60) - 7, 2**63 + 12345
    x, y = (rng.integers(-(2**63), 2**63 - 1, n, endpoint=True, dtype=np.int64) for _ in "xy")
    u = rng.integers(0, 2**64 - 1, n, endpoint=True, dtype=np.uint64)
    x[:6] = [0, -1, 2**63 - 1, -(2**63), 2**32, -(2**32) - 1]
    q = x * np.int64(k) + (x ^ y) - (x >> 3)
    v = u * np.uint64(m) + (u >> np.uint64(7)) - y.view(np.uint64)
    s = hand_stream.Stream(backend)
    bx, by, bu = s.array(x), s.array(y), s.array(u)
    bq, bv = s.alloc(n, "int64"), s.alloc(n, "uint64")
    s.dispatch(
        program,
        {"x": bx, "y": by, "u": bu, "q": bq, "v": bv},
        values(program.abi, (n,), scalars={"k": k, "m": m}),
    )
    s.read("int64", bq, 0, q)
    s.read("uint64", bv, 0, v)
    replay(page, s)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_64_bit_sums(page, backend, dtype):
    """Sums over 9000 elements into 3 outputs: int64 ones that wrap, float64 ones of
    integers below 2^40 (exact in any order); on WebGPU the split stages, on WebGL three
    passes."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_reduction(
        "T x",
        "T y",
        "x",
        "a + b",
        "y = a",
        "0",
        "total",
        target=target,
        types={"T": dtype},
        ndim=1,
        reduce_ndim=1,
        exact64=True,
    )
    rng = np.random.default_rng(7)
    reduce, out = 9000, 3
    if dtype == "int64":
        x = rng.integers(-(2**63), 2**63 - 1, (reduce, out), endpoint=True, dtype=np.int64)
    else:
        x = rng.integers(-(2**40), 2**40, (reduce, out)).astype(np.float64)
    s = hand_stream.Stream(backend)
    bx, by = s.array(x), s.alloc(out, dtype)
    shapes = {"x": (reduce, out), "reduce": (reduce,)}
    s.dispatch(program, {"x": bx, "y": by}, values(program.abi, (out,), shapes=shapes))
    s.read(f"{dtype} sum", by, 0, x.sum(axis=0, dtype=dtype))
    replay(page, s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stream_file_keeps_its_64_bit_scalars_exact(page, backend):
    """A recorded stream holds a 64-bit scalar as a plain JSON integer: replay.js reads one
    past 2^53 as a BigInt, not a rounded Number."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "int64 x, int64 k",
        "int64 q",
        "q = x + k",
        name="add_k",
        target=target,
        scalars=("k",),
        exact64=True,
    )
    x, k = np.arange(-50, 50, dtype=np.int64), 2**62 + 1
    s = hand_stream.Stream(backend)
    bx, bq = s.array(x), s.alloc(x.size, "int64")
    s.dispatch(program, {"x": bx, "q": bq}, view_values(program.abi, (x.size,), scalars={"k": k}))
    s.read("x + k", bq, 0, x + np.int64(k))
    path = ROOT / "build" / "streams" / f"exact64-scalar-{backend}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(s.stream()))
    result = page.evaluate(
        """async (url) => {
      const { createExecutor, replay } = await import("/tests/browser/pages/replay.js");
      const exec = await createExecutor(url.includes("webgpu") ? "webgpu" : "webgl");
      try { return await replay(exec, url); } finally { exec.destroy(); }
    }""",
        "/" + path.relative_to(ROOT).as_posix(),
    )
    assert not result["errors"], result["errors"]
    got = np.frombuffer(base64.b64decode(result["reads"][0]["actual"]), np.int64)
    assert (got == x + np.int64(k)).all(), got[:3]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_output_left_unwritten_keeps_its_64_bit_contents(page, backend):
    """`reads_old`: on WebGL the old contents come through the `previous` RG32UI texture."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "int64 x, int64 y",
        "int64 z",
        "if (x < y) z = x - y;",
        name="keep_some",
        target=target,
        exact64=True,
    )
    rng = np.random.default_rng(8)
    n = 6000
    x, y, z = (rng.integers(-(2**63), 2**63 - 1, n, endpoint=True, dtype=np.int64) for _ in "xyz")
    s = hand_stream.Stream(backend)
    bx, by, bz = s.array(x), s.array(y), s.array(z)
    s.dispatch(program, {"x": bx, "y": by, "z": bz}, values(program.abi, (n,)))
    s.read("kept or written", bz, 0, np.where(x < y, x - y, z))
    replay(page, s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_of_different_sizes_and_a_conversion(page, backend):
    """Output buffers of different capacities cannot share a framebuffer: WebGL renders
    into temporaries and copies the RG32UI texels into place."""
    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "float64 x",
        "float64 a, int64 b",
        "a = x * 2.0; b = (long long)x;",
        name="twice_trunc",
        target=target,
        exact64=True,
    )
    rng = np.random.default_rng(9)
    n = 5000
    x = rng.standard_normal(n) * 2.0 ** rng.integers(-60, 62, n)
    s = hand_stream.Stream(backend)
    bx, ba, bb = s.array(x), s.alloc(n, "float64"), s.alloc(5 * n, "int64")
    s.dispatch(program, {"x": bx, "a": ba, "b": bb}, values(program.abi, (n,)))
    s.read("x * 2", ba, 0, x * 2.0)
    s.read("(long long)x", bb, 0, x.astype(np.int64))
    replay(page, s)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float64_library_functions_match_the_native_device(page, backend):
    """exp, log, fmod, ldexp and division from kernelc/lib (within an ulp of NumPy, not
    always equal to it) give the native device's bits exactly: the same integer word
    arithmetic, whatever GPU runs it."""
    from wgpy_runtime.device import create_device
    from wgpy_runtime.device.dense import dense_values

    target = hand_stream.TARGETS[backend]
    program = kernelc.translate_elementwise(
        "float64 x, float64 y",
        "float64 z",
        "z = exp(x) + log(fabs(y)) * fmod(x, y) + ldexp(y, 3) / x",
        name="lib64",
        target=target,
        exact64=True,
    )
    rng = np.random.default_rng(10)
    n = 3000
    x = np.concatenate([rng.uniform(-750, 750, n - 12), F64_EDGES])
    y = float64s(rng, n)
    native = create_device(backend)
    ids = {name: native.alloc(n, "float64") for name in "xyz"}
    native.write(ids["x"], 0, x.tobytes())
    native.write(ids["y"], 0, y.tobytes())
    native.dispatch(program, ids, dense_values(program.abi, (n,)))
    want = np.frombuffer(native.read(ids["z"], 0, n), np.float64)
    for buf in ids.values():
        native.free(buf)
    assert np.isfinite(want).sum() > n // 2
    s = hand_stream.Stream(backend)
    bx, by, bz = s.array(x), s.array(y), s.alloc(n, "float64")
    s.dispatch(program, {"x": bx, "y": by, "z": bz}, values(program.abi, (n,)))
    s.read("native bits", bz, 0, want)
    replay(page, s)
