"""The WebGPU executor (js_bridge/webgpu.js) on its own, in headless Chromium: what the
conformance streams do not reach. Packed 8/16-bit buffers written, read and copied at
every byte phase (the byte-copy shader, padded tails, a buffer copied onto itself);
programs compiled here and checked against NumPy (every dtype, views at odd offsets,
reductions of one and of two stages, matmul tiles, an input that is also the output, a
launch past 65535 workgroups, batches past the uniform arena); failures thrown from the
right call, asynchronous ones at the next read or sync, device loss, never a hanging read.

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

DTYPES = ("float32", "int32", "uint32", "bool", "int8", "uint8", "int16", "uint16", "float16")
PACKED = ("int8", "uint8", "int16", "uint16", "float16")


def Stream() -> hand_stream.Stream:
    return hand_stream.Stream("webgpu")


def replay(page, s: hand_stream.Stream, options=None, rtol: float = 1e-6):
    """(messages of reads that differ, command errors, the executor's stats)."""
    return hand_stream.replay(page, s, options, rtol=rtol)


def no_problems(messages: list[str], errors: list[dict], stats=None) -> None:
    assert not errors, errors
    assert not messages, "\n".join(messages)


def values(
    abi: Contract,
    loop: tuple,
    shapes: dict | None = None,
    views: dict | None = None,
    scalars: dict | None = None,
) -> dict:
    """Dispatch values: each parameter dense in C order over `shapes[param]` (default the
    loop shape) unless `views[param] = (offset, strides)`; `shapes["reduce"]` for
    reductions."""
    shapes, views, scalars = shapes or {}, views or {}, scalars or {}
    out = {contract.SIZE: math.prod(loop)}
    for member in abi.uniforms:
        what, param, axis = member.key
        shape = shapes.get(param, loop) if param else loop
        dense = (0, [math.prod(shape[d + 1 :]) for d in range(len(shape))])
        offset, strides = views.get(param, dense)
        match what:
            case "size":
                x = math.prod(shape)
            case "shape":
                x = shape[axis]
            case "offset":
                x = offset
            case "stride":
                x = strides[axis]
            case "value":
                x = scalars[param]
            case "reduce_size":
                x = math.prod(shapes["reduce"])
            case "reduce_shape":
                x = shapes["reduce"][axis]
            case _:
                continue  # the executor's own (reduce_groups)
        out[(what, param, axis)] = x
    return out


def _program(in_params, out_params, body, name, **kw):
    return kernelc.translate_elementwise(in_params, out_params, body, name, target="wgsl", **kw)


# ---------------------------------------------------------------------------- buffers


@pytest.mark.parametrize("dtype", DTYPES)
def test_writes_reads_and_copies_at_every_byte_phase(page, dtype):
    """Ranges starting and ending inside 4-byte words (packed dtypes: the byte-copy shader
    keeps the neighbours' bytes), a short write that ends the buffer (padded), copies in
    both directions and onto the buffer itself, overlapping."""
    rng = np.random.default_rng(DTYPES.index(dtype))
    s, n = Stream(), 4099
    host = hand_stream.random_values(rng, dtype, n)
    a = s.array(host)
    for start, count in ((1, 1), (3, 6), (2, 2), (4094, 5), (5, 3000), (n - 1, 1), (n - 2, 2)):
        part = hand_stream.random_values(rng, dtype, count)
        s.write(a, start, part)
        host[start : start + count] = part
    for start, count in ((0, n), (1, 3), (3, 5), (4095, 3), (n - 1, 1), (7, 4090)):
        s.read(f"read {start}+{count}", a, start, host[start : start + count])
    other = hand_stream.random_values(rng, dtype, 4001)
    b = s.array(other)
    for src, dst, count in ((0, 0, 4001), (1, 2, 7), (3, 0, 3999), (4097, 3, 2), (5, 4000, 1)):
        s.copy(a, b, src, dst, count)
        other[dst : dst + count] = host[src : src + count]
    s.read("copied", b, 0, other)
    s.copy(b, a, 2, 1, 3999)
    host[1:4000] = other[2:4001]
    s.copy(a, a, 1, 4, 100)  # overlapping: the source as it was
    host[4:104] = host[1:101].copy()
    s.read("after copies", a, 0, host)
    no_problems(*replay(page, s))


def test_empty_buffers_and_empty_launches(page):
    s = Stream()
    z = s.alloc(0, "int8")
    s.write(z, 0, np.zeros(0, np.int8))
    s.copy(z, z, 0, 0, 0)
    s.read("empty", z, 0, np.zeros(0, np.int8))
    program = _program("T x", "T y", "y = x + 1", "inc", types={"T": "int8"})
    y = s.array(np.full(5, 7, np.int8))
    s.dispatch(program, {"x": z, "y": y}, values(program.abi, (0,)))
    s.read("untouched", y, 0, np.full(5, 7, np.int8))
    no_problems(*replay(page, s))


# ---------------------------------------------------------------------------- programs


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_in_every_dtype_on_views_at_odd_offsets(page, dtype):
    """Inputs and the output are views starting at odd elements (inside packed words), one
    input reversed; the output's neighbours keep their values."""
    rng = np.random.default_rng(10 + DTYPES.index(dtype))
    n = 1537
    x = hand_stream.random_values(rng, dtype, n + 3)
    y = hand_stream.random_values(rng, dtype, n + 1)
    if dtype.startswith("float"):  # eighths: every product and sum below is exact
        x, y = (
            (rng.integers(-800, 800, n + 3) / 8).astype(dtype),
            (rng.integers(-800, 800, n + 1) / 8).astype(dtype),
        )
    z = hand_stream.random_values(rng, dtype, n + 2)
    body, want = hand_stream.elementwise_case(dtype, x[3:], y[n:0:-1])
    program = _program("T x, T y", "T z", body, f"ew_{dtype}", types={"T": dtype})
    s = Stream()
    bx, by, bz = s.array(x), s.array(y), s.array(z)
    views = {"x": (3, [1]), "y": (n, [-1]), "z": (1, [1])}
    s.dispatch(program, {"x": bx, "y": by, "z": bz}, values(program.abi, (n,), views=views))
    z[1 : n + 1] = want
    s.read(dtype, bz, 0, z)
    no_problems(*replay(page, s))


def test_scalars(page):
    program = _program(
        "float32 x, float32 a, int32 k, bool neg",
        "float32 z",
        "z = (neg ? -x : x) * a + k",
        "axpk",
        scalars=("a", "k", "neg"),
    )
    x = np.arange(300, dtype=np.float32) / 4
    s = Stream()
    bx, bz = s.array(x), s.alloc(300, "float32")
    scalars = {"a": 2.5, "k": -7, "neg": True}
    s.dispatch(program, {"x": bx, "z": bz}, values(program.abi, (300,), scalars=scalars))
    s.read("axpk", bz, 0, -x * np.float32(2.5) - 7)
    no_problems(*replay(page, s))


def _sum_program(dtype: str, ndim: int):
    return kernelc.translate_reduction(
        "T x",
        "T y",
        "x",
        "a + b",
        "y = a",
        "0",
        "total",
        target="wgsl",
        types={"T": dtype},
        ndim=ndim,
        reduce_ndim=1,
    )


@pytest.mark.parametrize(
    ("reduce", "out", "groups"),
    [(1 << 20, (), 256), (100_000, (3,), 25), (7, (4096,), 1), (5000, (7,), 2), (0, (3,), 1)],
)
def test_reduction_stages(page, reduce, out, groups):
    """Sums of small integers (exact in any order) over `reduce` elements into `out`:
    `groups > 1` takes the split stages through the scratch buffer."""
    from kernelc.abi.reduction import wgsl_groups

    program = _sum_program("int32", len(out))
    assert wgsl_groups(program.abi.launch.split_rule, math.prod(out), reduce) == groups
    rng = np.random.default_rng(reduce)
    x = rng.integers(-8, 9, (reduce, *out)).astype(np.int32)
    s = Stream()
    bx, by = s.array(x), s.alloc(max(1, math.prod(out)), "int32")
    shapes = {"x": (reduce, *out), "reduce": (reduce,)}
    s.dispatch(program, {"x": bx, "y": by}, values(program.abi, out, shapes))
    s.read(f"sum of {reduce}", by, 0, x.sum(axis=0, dtype=np.int32))
    no_problems(*replay(page, s))


def test_reduction_of_a_packed_view_into_a_packed_output(page):
    program = kernelc.translate_reduction(
        "int8 x",
        "int16 y",
        "x",
        "max(a, b)",
        "y = a",
        "-128",
        "biggest",
        target="wgsl",
        ndim=1,
        reduce_ndim=1,
    )
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 100, (5000, 5)).astype(np.int8)
    y = np.full(7, 99, np.int16)
    s = Stream()
    bx, by = s.array(x), s.array(y)
    shapes = {"x": (4999, 5), "y": (5,), "reduce": (4999,)}
    views = {"x": (5, [5, 1]), "y": (1, [1])}  # x[1:], y[1:6]
    s.dispatch(program, {"x": bx, "y": by}, values(program.abi, (5,), shapes, views))
    y[1:6] = x[1:].max(axis=0)
    s.read("max", by, 0, y)
    no_problems(*replay(page, s))


@pytest.mark.parametrize(
    ("dtype", "m", "k", "n", "tiles"),
    [
        ("float32", 100, 70, 130, "small"),
        ("float32", 300, 33, 257, "large"),
        ("float16", 65, 40, 31, "small"),
    ],
)
def test_matmul(page, dtype, m, k, n, tiles):
    """Small integers: every product and sum is exact in float32 (and float16)."""
    rng = np.random.default_rng(m)
    a = rng.integers(-4, 5, (m, k)).astype(dtype)
    b = rng.integers(-4, 5, (k, n)).astype(dtype)
    program = kernelc.translate_matmul(dtype, target="wgsl", tiles=tiles)
    s = Stream()
    ba, bb, bc = s.array(a), s.array(b), s.alloc(m * n, dtype)
    v = values(program.abi, (m, n), {"A": (m, k), "B": (k, n), "reduce": (k,)})
    s.dispatch(program, {"A": ba, "B": bb, "C": bc}, v)
    s.read("C", bc, 0, (a.astype(np.float32) @ b.astype(np.float32)).astype(dtype))
    no_problems(*replay(page, s))


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_an_input_that_is_the_output_reads_the_old_contents(page, dtype):
    """z[i] = x[n - 1 - i] + 1 on one buffer: every invocation must read x as it was."""
    n = 5001
    x = np.arange(n).astype(dtype)
    program = _program("T x", "T z", "z = x + 1", "flip", types={"T": dtype})
    s = Stream()
    buf = s.array(x)
    views = {"x": (n - 1, [-1])}
    s.dispatch(program, {"x": buf, "z": buf}, values(program.abi, (n,), views=views))
    with np.errstate(over="ignore"):
        s.read("flipped", buf, 0, (x[::-1] + 1).astype(dtype))
    no_problems(*replay(page, s))


def test_a_launch_past_65535_workgroups(page):
    """More than 65535 * 256 invocations: workgroups spill into y."""
    n = 65535 * 256 + 1000
    program = _program("", "uint8 z", "z = i * 7", "fill")
    s = Stream()
    bz = s.alloc(n, "uint8")
    s.dispatch(program, {"z": bz}, values(program.abi, (n,)))
    tail = np.arange(n - 3000, n, dtype=np.int64)
    s.read("tail", bz, n - 3000, (tail * 7).astype(np.uint8))
    no_problems(*replay(page, s))


@pytest.mark.parametrize("batch_size", [64, 4096])
def test_many_launches_keep_their_order_across_submits(page, batch_size):
    """600 accumulations into one output: with 64 commands a submit, and with one submit
    per 256 uniform blocks (the arena is full first)."""
    program = _program("int32 x", "int32 z", "z += x", "accumulate")
    s = Stream()
    bx, bz = s.array(np.arange(100, dtype=np.int32)), s.array(np.zeros(100, np.int32))
    for _ in range(600):
        s.dispatch(program, {"x": bx, "z": bz}, values(program.abi, (100,)))
    s.read("sum", bz, 0, np.arange(100, dtype=np.int32) * 600)
    messages, errors, stats = replay(page, s, {"batchSize": batch_size})
    no_problems(messages, errors)
    assert stats["submits"] >= 600 // min(batch_size, 256)


def test_freed_buffers_are_reused(page):
    s = Stream()
    for k in range(20):
        buf = s.array(np.full(1000, k, np.float32))
        s.read(f"round {k}", buf, 0, np.full(1000, k, np.float32))
        s.commands.append(["free", buf])
    messages, errors, stats = replay(page, s)
    no_problems(messages, errors)
    assert stats["pool"]["hits"] >= 19


def test_released_buffers_leave_other_bind_groups_working(page):
    """A pool of 8 KiB releases a freed buffer each round (each round frees one of 4 KB and
    one of 6 KB): the bind groups of the released buffers are dropped, those of the
    buffers still alive keep working."""
    program = _program("float32 x", "float32 z", "z += x", "accumulate_released")
    s = Stream()
    z = s.array(np.zeros(1000, np.float32))
    for k in range(12):
        small = s.array(np.full(1000, k, np.float32))
        large = s.array(np.zeros(1500, np.float32))
        s.dispatch(program, {"x": small, "z": z}, values(program.abi, (1000,)))
        s.commands += [["free", small], ["free", large]]
    s.read("sum", z, 0, np.full(1000, sum(range(12)), np.float32))
    messages, errors, stats = replay(page, s, {"poolLimit": 8192})
    no_problems(messages, errors)
    assert stats["pool"]["released"] >= 10


# ---------------------------------------------------------------------------- failures


def test_failures_throw_from_their_command_and_the_executor_goes_on(page):
    """A shader that does not compile fails the next read with its kernel's name and line,
    alone (the launches around it run); its next launch throws at once. Reads out of range,
    allocations past the device's limit, unknown ids, wrong dtypes and missing values throw
    from their command."""
    program = _program("float32 x", "float32 y", "y = x * 2", "twice")
    broken = dataclasses.replace(
        program,
        code=program.code.replace("y = x * 2.0f;", "y = x * nope;").replace(
            "y = x * 2;", "y = x * nope;"
        ),
    )
    assert broken.code != program.code
    s = Stream()
    x, y, w = s.array(np.arange(10, dtype=np.float32)), s.alloc(10, "float32"), s.alloc(10, "int32")
    v = values(program.abi, (10,))
    s.dispatch(program, {"x": x, "y": y}, v)
    s.dispatch(broken, {"x": x, "y": y}, v)
    s.dispatch(program, {"x": y, "y": y}, v)
    s.read("around the broken kernel", y, 0, np.arange(10, dtype=np.float32) * 4)  # 1
    s.read("then fine", y, 0, np.arange(10, dtype=np.float32) * 4)
    s.dispatch(broken, {"x": x, "y": y}, v)  # 2
    s.commands.append(["read", x, 5, 10, "float32", ""])  # 3
    s.alloc(1 << 40, "float32")  # 4
    s.commands.append(["copy", x, w, 0, 0, 1])  # 5
    s.dispatch(program, {"x": x, "y": w}, v)  # 6
    s.dispatch(program, {"x": x}, v)  # 7
    s.dispatch(program, {"x": x, "y": y}, {contract.SIZE: 10})  # 8
    s.dispatch(program, {"x": x, "y": y}, v)
    s.read("after the failures", y, 0, np.arange(10, dtype=np.float32) * 2)
    messages, errors, _ = replay(page, s)
    assert not messages, messages
    assert [e["op"] for e in errors] == [
        "read",
        "dispatch",
        "read",
        "alloc",
        "copy",
        "dispatch",
        "dispatch",
        "dispatch",
    ]
    compile_error = errors[0]["message"]
    assert compile_error.startswith("kernel 'twice': WGSL compile error: "), compile_error
    assert "nope" in compile_error and "(line " in compile_error
    assert errors[1]["message"] == compile_error
    assert "outside buffer" in errors[2]["message"]
    assert "cannot allocate" in errors[3]["message"]
    assert "copy between float32 buffer" in errors[4]["message"]
    assert "'y' is bound to a int32 buffer" in errors[5]["message"]
    assert "no buffer for parameter 'y'" in errors[6]["message"]
    assert errors[7]["message"].startswith("kernel 'twice': dispatch values lack")


FAULTS = """async () => {
  const { WebGPUExecutor } = await import("/js_bridge/webgpu.js");
  const outcome = async (p) => {
    try { await p; return "ok"; } catch (e) { return e.message; }
  };
  const got = {};
  let exec = await WebGPUExecutor.create();
  exec.alloc(1, 4, "int32");
  got.unknown = await outcome(exec.read(2, 0, 1));
  got.outside = await outcome(exec.read(1, 3, 2));
  // A validation error WebGPU reports only asynchronously: a buffer bound past its size.
  const bad = exec.device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
  exec.batch.encoder().clearBuffer(bad, 0, 8);
  exec.recorded("clear");
  got.validation = await outcome(exec.sync());
  got.afterwards = await outcome(exec.read(1, 0, 4));
  const pending = exec.read(1, 0, 4);
  exec.device.destroy();
  got.pendingRead = await outcome(pending);
  got.laterRead = await outcome(exec.read(1, 0, 4));
  got.laterSync = await outcome(exec.sync());
  got.laterAlloc = await outcome((async () => exec.alloc(3, 4, "int32"))());
  return got;
}"""


def test_asynchronous_errors_and_device_loss_come_back_from_the_next_read_or_sync(page):
    got = page.evaluate(FAULTS)
    assert "unknown buffer id 2" in got["unknown"], got
    assert "outside buffer 1" in got["outside"], got
    assert got["validation"].startswith("a batch of 2 commands (alloc, clear) failed:"), got
    assert "ClearBuffer" in got["validation"], got
    assert got["afterwards"] == "ok", got
    for key in ("pendingRead", "laterRead", "laterSync", "laterAlloc"):
        assert got[key] != "ok" and "lost" in got[key], got
