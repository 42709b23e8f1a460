"""The WebGL2 executor (js_bridge/webgl.js) on its own, in headless Chromium: what the
conformance streams do not reach. Texture rows cut by partial writes, reads and copies in
every dtype and every read path; programs compiled here and checked against NumPy (all
dtypes, output groups with `previous` textures and an input that is also an output,
reductions of one and of four passes, matmul); failures thrown from the right call, GL
errors and context loss at the next read or sync, never a hanging read.

Rule: each test builds a command stream (docs/protocol.md "Command streams") whose reads
carry NumPy's bytes, replays it on a fresh executor with tests/browser/pages/replay.js,
and compares; failures are checked by their messages.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import kernelc
from kernelc.abi import Contract, contract
from tests.browser import hand_stream

WIDTH = 4096  # texels a texture row holds
# readPixels forms to force instead of the implementation's own (RED on ANGLE): RGBA
# works everywhere, and its r16f reads go through float32 -> binary16 on the host.
FORCE_RGBA = """(exec) => {
  const forms = { f: ["RGBA", "FLOAT", Float32Array], i: ["RGBA_INTEGER", "INT", Int32Array],
                  u: ["RGBA_INTEGER", "UNSIGNED_INT", Uint32Array] };
  const kinds = { r32f: "f", r16f: "f", r32i: "i", r16i: "i", r8i: "i", r32ui: "u",
                  r16ui: "u", r8ui: "u" };
  for (const [fmt, kind] of Object.entries(kinds)) {
    const [format, type, array] = forms[kind];
    exec.readForms.set(fmt, { format, type, components: 4, array });
  }
}"""
READ_MODES = {
    "fence": ({}, None),
    "blocking": ({"blockingReads": True}, None),
    "rgba": ({}, FORCE_RGBA),
}


def Stream() -> hand_stream.Stream:
    return hand_stream.Stream("webgl")


def replay(page, s: hand_stream.Stream, options=None, setup=None):
    """(messages of reads that differ, command errors)."""
    return hand_stream.replay(page, s, options, setup)[:2]


def values(abi: Contract, loop: tuple, shapes: dict | None = None, scalars=None) -> dict:
    """Dispatch values for dense C-order arrays: the loop shape's, each parameter's own
    shape from `shapes` (default the loop's), `shapes["reduce"]` for reductions."""
    shapes, scalars = shapes or {}, scalars or {}
    out = {contract.SIZE: math.prod(loop)}
    for member in abi.uniforms:
        what, param, axis = member.key
        shape = shapes.get(param, loop) if param else loop
        match what:
            case "size" | "shape" | "stride" | "offset":
                strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
                x = {
                    "size": math.prod(shape),
                    "offset": 0,
                    "shape": shape[axis or 0] if shape else 1,
                    "stride": strides[axis or 0] if shape else 1,
                }[what]
            case "value":
                x = scalars[param]
            case "reduce_size":
                x = math.prod(shapes["reduce"])
            case "reduce_shape":
                x = shapes["reduce"][axis]
            case _:
                continue  # the executor's own (out_width, the pass values)
        out[(what, param, axis)] = x
    return out


def no_problems(messages: list[str], errors: list[dict]) -> None:
    assert not errors, errors
    assert not messages, "\n".join(messages)


# ---------------------------------------------------------------------------- rows

DTYPES = ("float32", "int32", "uint32", "bool", "int8", "uint8", "int16", "uint16", "float16")


@pytest.mark.parametrize("mode", READ_MODES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_partial_rows_write_read_and_copy(page, dtype, mode):
    """Ranges that start and end inside texture rows, in buffers of different row widths
    (1024 and 4096 texels), copies within one buffer overlapping themselves."""
    rng = np.random.default_rng(DTYPES.index(dtype))
    s, n, small = Stream(), 3 * WIDTH + 123, 1000
    host = hand_stream.random_values(rng, dtype, n)
    a = s.array(host)
    for start, count in ((4000, 5000), (WIDTH - 1, 2), (2 * WIDTH, WIDTH), (n - 7, 7)):
        part = hand_stream.random_values(rng, dtype, count)
        s.write(a, start, part)
        host[start : start + count] = part
    for start, count in ((0, n), (4090, 17), (WIDTH, WIDTH), (WIDTH - 1, 1), (n - 1, 1)):
        s.read(f"read {start}+{count}", a, start, host[start : start + count])
    b = s.array(other := hand_stream.random_values(rng, dtype, small))
    s.copy(a, b, WIDTH - 300, 17, 600)  # into a narrower texture
    other[17:617] = host[WIDTH - 300 : WIDTH + 300]
    s.read("copied into 1024-wide", b, 0, other)
    s.copy(b, a, 0, 2 * WIDTH - 500, small)  # out of it, across a row
    host[2 * WIDTH - 500 : 2 * WIDTH - 500 + small] = other
    s.copy(a, a, 100, 4100, 5000)  # overlapping: the source as it was
    host[4100:9100] = host[100:5100].copy()
    s.read("after copies", a, 0, host)
    options, setup = READ_MODES[mode]
    no_problems(*replay(page, s, options, setup))


def test_empty_buffers_and_empty_launches(page):
    s = Stream()
    z = s.alloc(0, "float32")
    s.write(z, 0, np.zeros(0, np.float32))
    s.copy(z, z, 0, 0, 0)
    s.read("empty", z, 0, np.zeros(0, np.float32))
    program = kernelc.translate_elementwise(
        "T x", "T y", "y = x + 1", "inc", target="glsl", types={"T": "float32"}, ndim=1
    )
    y = s.array(np.full(5, 7, np.float32))
    s.dispatch(program, {"x": z, "y": y}, values(program.abi, (0,)))
    s.read("untouched", y, 0, np.full(5, 7, np.float32))
    no_problems(*replay(page, s))


# ---------------------------------------------------------------------------- programs


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_in_every_dtype(page, dtype):
    rng = np.random.default_rng(10 + DTYPES.index(dtype))
    n = 2 * WIDTH + 77  # rows of the render target, and a partial last one
    x, y = hand_stream.random_values(rng, dtype, n), hand_stream.random_values(rng, dtype, n)
    if dtype.startswith("float"):  # eighths: every product and sum below is exact
        x, y = (rng.integers(-800, 800, (2, n)) / 8).astype(dtype)
    body, want = hand_stream.elementwise_case(dtype, x, y)
    program = kernelc.translate_elementwise(
        "T x, T y", "T z", body, f"ew_{dtype}", target="glsl", types={"T": dtype}, ndim=1
    )
    s = Stream()
    bx, by, bz = s.array(x), s.array(y), s.alloc(n, dtype)
    s.dispatch(program, {"x": bx, "y": by, "z": bz}, values(program.abi, (n,)))
    s.read(dtype, bz, 0, want)
    no_problems(*replay(page, s))


TEN_OUT = (
    "float32 o0, int32 o1, uint32 o2, bool o3, int16 o4, float16 o5, int8 o6, "
    "uint16 o7, float32 keep, int32 count"
)
TEN_OP = """
o0 = x * 2; o1 = (int)x; o2 = (unsigned int)abs(n); o3 = x < 0;
o4 = (short)(n * 3); o5 = (half)(x / 4); o6 = (signed char)(n & 127); o7 = (unsigned short)n;
if (x > 0) keep = x;
count += 1;
"""


def test_output_groups_with_previous_and_an_input_that_is_an_output(page):
    """Ten outputs (groups of 4, 4, 2); `keep` and `count` read their old contents, and
    `count` is the buffer of the input `n`: every group must see `n` as it was."""
    rng = np.random.default_rng(3)
    size = WIDTH + 500
    x = (rng.integers(-400, 400, size) / 4).astype(np.float32)
    n = rng.integers(-1000, 1000, size).astype(np.int32)
    keep0 = rng.standard_normal(size).astype(np.float32)
    program = kernelc.translate_elementwise(
        "float32 x, int32 n", TEN_OUT, TEN_OP, "ten", target="glsl", ndim=1
    )
    assert len(program.abi.launch.output_groups) == 3
    s = Stream()
    dts = ["float32", "int32", "uint32", "bool", "int16", "float16", "int8", "uint16"]
    outs = [s.alloc(size, dt) for dt in dts]
    bx, bn, bkeep = s.array(x), s.array(n), s.array(keep0)
    buffers = {"x": bx, "n": bn, "keep": bkeep, "count": bn}
    buffers.update({f"o{k}": b for k, b in enumerate(outs)})
    s.dispatch(program, buffers, values(program.abi, (size,)))
    wants = [
        x * 2,
        x.astype(np.int32),
        np.abs(n).astype(np.uint32),
        x < 0,
        (n * 3).astype(np.int16),
        (x / 4).astype(np.float16),
        (n & 127).astype(np.int8),
        n.astype(np.uint16),
    ]
    for k, (b, want) in enumerate(zip(outs, wants)):
        s.read(f"o{k}", b, 0, want)
    s.read("keep", bkeep, 0, np.where(x > 0, x, keep0))
    s.read("count", bn, 0, n + 1)
    no_problems(*replay(page, s))


def _sum_program(ndim: int):
    return kernelc.translate_reduction(
        "T x",
        "T y",
        "x",
        "a + b",
        "y = a",
        "0",
        "total",
        target="glsl",
        types={"T": "float32"},
        ndim=ndim,
        reduce_ndim=1,
    )


@pytest.mark.parametrize(
    ("reduce", "out", "passes"),
    [(1 << 20, (), 4), (32, (300,), 1), (20, (7,), 1), (5000, (7,), 3), (0, (3,), 1)],
)
def test_reduction_passes(page, reduce, out, passes):
    """Sums of integer-valued floats (exact in any order) over `reduce` elements into
    `out`: 1 << 20 takes passes of 32768, 1024, 32 and 1 partials."""
    from kernelc.abi.reduction import glsl_passes

    assert len(glsl_passes(reduce, 32)) == passes
    rng = np.random.default_rng(reduce)
    x = rng.integers(-8, 9, (reduce, *out)).astype(np.float32)
    program = _sum_program(len(out))
    s = Stream()
    bx, by = s.array(x), s.alloc(max(1, math.prod(out)), "float32")
    shapes = {"x": (reduce, *out), "reduce": (reduce,)}
    s.dispatch(program, {"x": bx, "y": by}, values(program.abi, out, shapes))
    s.read(f"sum of {reduce}", by, 0, x.sum(axis=0, dtype=np.float64).astype(np.float32))
    no_problems(*replay(page, s))


@pytest.mark.parametrize("packed", [True, False])
def test_matmul(page, packed):
    rng = np.random.default_rng(5)
    m, k, n = 70, 53, 90
    a = rng.integers(-4, 5, (m, k)).astype(np.float32)
    b = rng.integers(-4, 5, (k, n)).astype(np.float32)
    program = kernelc.translate_matmul("float32", target="glsl", packed=packed)
    s = Stream()
    ba, bb, bc = s.array(a), s.array(b), s.alloc(m * n, "float32")
    v = values(program.abi, (m, n), {"A": (m, k), "B": (k, n), "reduce": (k,)})
    s.dispatch(program, {"A": ba, "B": bb, "C": bc}, v)
    s.read("C", bc, 0, a @ b)
    no_problems(*replay(page, s))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_packed_matmul_odd_batched_transposed(page, dtype):
    """The packed program's stages at M, N, K that are not multiples of its blocks (and
    K = 0), a batch whose A is a transposed view and whose B is broadcast (stride 0)."""
    rng = np.random.default_rng(6)
    s = Stream()
    for batch, m, k, n in [(1, 1, 1, 1), (3, 7, 13, 5), (2, 33, 6, 9), (2, 3, 0, 5)]:
        at = rng.integers(-4, 5, (batch, k, m)).astype(dtype)  # A[b] = at[b].T
        b = rng.integers(-4, 5, (k, n)).astype(dtype)
        program = kernelc.translate_matmul(dtype, target="glsl", batch_ndim=1)
        ba = s.array(at if at.size else np.zeros(1, dtype))
        bb = s.array(b if b.size else np.zeros(1, dtype))
        bc = s.alloc(batch * m * n, dtype)
        v = values(program.abi, (batch, m, n), {"reduce": (k,)})
        v.update(
            {
                contract.array_stride("A", 0): k * m,
                contract.array_stride("A", 1): 1,
                contract.array_stride("A", 2): m,
                contract.array_stride("B", 0): 0,
                contract.array_stride("B", 1): n,
                contract.array_stride("B", 2): 1,
            }
        )
        s.dispatch(program, {"A": ba, "B": bb, "C": bc}, v)
        want = (at.transpose(0, 2, 1).astype(np.float32) @ b.astype(np.float32)).astype(dtype)
        s.read(f"C of {(batch, m, k, n)}", bc, 0, want)
    no_problems(*replay(page, s))


# ---------------------------------------------------------------------------- failures


def test_failures_throw_from_their_command_and_the_executor_goes_on(page):
    program = kernelc.translate_elementwise(
        "T x", "T y", "y = x * 2", "twice", target="glsl", types={"T": "float32"}, ndim=1
    )
    code = program.code.replace("void main()", "void main() { nope(); }\nvoid unused()")
    broken = dataclasses.replace(program, code=code)
    s = Stream()
    x, y = s.array(np.arange(10, dtype=np.float32)), s.alloc(10, "float32")
    s.dispatch(broken, {"x": x, "y": y}, values(program.abi, (10,)))
    s.commands.append(["read", x, 5, 10, "float32", ""])  # past the end
    s.alloc(8192 * 8192 + 1, "uint8")  # more than MAX_TEXTURE_SIZE² texels
    s.dispatch(program, {"x": x, "y": y}, values(program.abi, (10,)))
    s.read("after the failures", y, 0, np.arange(10, dtype=np.float32) * 2)
    messages, errors = replay(page, s)
    assert not messages, messages
    assert [e["op"] for e in errors] == ["dispatch", "read", "alloc"]
    assert errors[0]["message"].startswith("kernel 'twice': GLSL compile error:")
    assert "nope" in errors[0]["message"]
    assert "outside buffer" in errors[1]["message"]
    assert "MAX_TEXTURE_SIZE" in errors[2]["message"]


FAULTS = """async () => {
  const { WebGLExecutor } = await import("/js_bridge/webgl.js");
  const exec = await WebGLExecutor.create();
  const outcome = async (p) => {
    try { await p; return "ok"; } catch (e) { return e.message; }
  };
  const got = {};
  exec.alloc(1, 4, "int32");
  exec.gl.bindTexture(0x1234, null);  // an INVALID_ENUM that GL reports only when asked
  got.glError = await outcome(exec.sync());
  got.afterwards = await outcome(exec.read(1, 0, 4));
  const pending = exec.read(1, 0, 4);
  exec.gl.getExtension("WEBGL_lose_context").loseContext();
  got.pendingRead = await outcome(pending);
  got.laterRead = await outcome(exec.read(1, 0, 4));
  got.laterSync = await outcome(exec.sync());
  return got;
}"""


def test_gl_errors_and_context_loss_come_back_from_the_next_read_or_sync(page):
    got = page.evaluate(FAULTS)
    assert got["glError"].startswith("WebGL error INVALID_ENUM"), got
    assert got["afterwards"] == "ok", got
    for key in ("pendingRead", "laterRead", "laterSync"):
        assert "context is lost" in got[key], got


HALF_BITS = """async (xs) => {
  const { halfBits } = await import("/js_bridge/webgl_texels.js");
  return xs.map((x) => halfBits(x));
}"""


def test_float32_to_binary16_bits_rounds_like_numpy(page):
    """What an RGBA/FLOAT read of an r16f texture goes through (exact for the values such a
    texture holds; checked here on values between halves, tiny and huge ones too)."""
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            rng.standard_normal(2000).astype(np.float32) * np.float32(1000),
            rng.standard_normal(500).astype(np.float32) * np.float32(1e-5),  # subnormal halves
            np.float32(
                [
                    0.0,
                    -0.0,
                    65504,
                    65519.99,
                    65520,
                    -1e9,
                    1e-9,
                    -6e-8,
                    2.98e-8,
                    3e-8,
                    np.inf,
                    -np.inf,
                    1 + 2**-11,
                    1 + 3 * 2**-11,
                    2**-24,
                    2**-25,
                    1.5 * 2**-25,
                ]
            ),
        ]
    ).astype(np.float32)
    got = page.evaluate(HALF_BITS, [float(v) for v in x] + [math.nan])
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).view(np.uint16)
    np.testing.assert_array_equal(np.array(got[:-1], np.uint16), want)
    assert got[-1] & 0x7FFF > 0x7C00  # NaN stays NaN
