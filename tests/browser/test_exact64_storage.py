"""int64, uint64 and float64 buffers on both browser executors (js_bridge/webgpu.js: 8-byte
elements in storage buffers; js_bridge/webgl.js: RG32UI textures, one texel per element):
every bit pattern written, read and copied back exactly, over whole and partial ranges.

Rule: the values are bit patterns (random 64-bit words and the edges: ±0, subnormals,
±Inf, NaNs with payloads, 2^32, 2^53, 2^63 and their neighbours) viewed as each dtype;
reads are compared byte for byte with what the stream says they hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser import hand_stream

WIDTH = 4096  # texels a WebGL texture row holds
DTYPES = ("float64", "int64", "uint64")
EDGES = [
    0x0000000000000000,
    0x8000000000000000,  # +0, -0 / int64 min / 2^63
    0x0000000000000001,
    0x000FFFFFFFFFFFFF,
    0x800FFFFFFFFFFFFF,  # subnormals
    0x0010000000000000,
    0x7FEFFFFFFFFFFFFF,
    0xFFEFFFFFFFFFFFFF,  # normal edges
    0x7FF0000000000000,
    0xFFF0000000000000,  # ±Inf
    0x7FF8000000000000,
    0x7FF8000000000001,
    0x7FF0000000000001,
    0xFFF80000DEADBEEF,  # NaNs
    0xFFFFFFFFFFFFFFFF,
    0x7FFFFFFFFFFFFFFF,
    0x8000000000000001,  # -1, int64 max, min + 1
    0x00000000FFFFFFFF,
    0x0000000100000000,
    0x0000000100000001,  # 2^32 - 1, 2^32, 2^32 + 1
    0xFFFFFFFF00000000,
    0xFFFFFFFEFFFFFFFF,  # -2^32, -2^32 - 1
    0x0020000000000000,
    0x0020000000000001,
    0xFFE0000000000000,  # 2^53, 2^53 + 1, -2^53
    0x41F0000000000000,
    0x4340000000000001,
    0x3FD5555555555555,  # 2.0^32, 2.0^53 + 2, 1/3
]
# (backend, readPixels form forced on WebGL: None for the implementation's own)
MODES = {
    "webgpu": ("webgpu", {}, None),
    "webgl": ("webgl", {}, None),
    "webgl-blocking": ("webgl", {"blockingReads": True}, None),
    "webgl-rgba": (
        "webgl",
        {},
        """(exec) => { exec.readForms.set("rg32ui",
           { format: "RGBA_INTEGER", type: "UNSIGNED_INT", components: 4,
             array: Uint32Array }); }""",
    ),
}


def patterns(rng, dtype: str, n: int) -> np.ndarray:
    """`n` elements of `dtype`: the edges spread through random 64-bit words."""
    words = rng.integers(0, 2**64 - 1, n, endpoint=True, dtype=np.uint64)
    spots = rng.choice(n, min(n, len(EDGES)), replace=False)
    words[spots] = np.array(EDGES[: len(spots)], np.uint64)
    return words.view(dtype)


def no_problems(messages: list[str], errors: list[dict]) -> None:
    assert not errors, errors
    assert not messages, "\n".join(messages)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_bit_pattern_round_trips_whole_and_partial(page, dtype, mode):
    """Ranges at odd element offsets that start and end inside texture rows, in buffers
    of different row widths; copies across rows, into a narrower buffer and onto the
    buffer itself, overlapping."""
    backend, options, setup = MODES[mode]
    rng = np.random.default_rng(DTYPES.index(dtype))
    s, n, small = hand_stream.Stream(backend), 3 * WIDTH + 123, 1000
    host = patterns(rng, dtype, n)
    a = s.array(host)
    for start, count in (
        (1, 1),
        (3, 6),
        (4000, 5000),
        (WIDTH - 1, 2),
        (2 * WIDTH, WIDTH),
        (n - 7, 7),
    ):
        part = patterns(rng, dtype, count)
        s.write(a, start, part)
        host[start : start + count] = part
    for start, count in ((0, n), (1, 3), (4090, 17), (WIDTH, WIDTH), (WIDTH - 1, 1), (n - 1, 1)):
        s.read(f"read {start}+{count}", a, start, host[start : start + count])
    b = s.array(other := patterns(rng, dtype, small))
    s.copy(a, b, WIDTH - 300, 17, 600)
    other[17:617] = host[WIDTH - 300 : WIDTH + 300]
    s.read("copied into a small buffer", b, 0, other)
    s.copy(b, a, 0, 2 * WIDTH - 500, small)  # out of it, across a row
    host[2 * WIDTH - 500 : 2 * WIDTH - 500 + small] = other
    s.copy(a, a, 100, 4101, 5000)  # overlapping: the source as it was
    host[4101:9101] = host[100:5100].copy()
    s.copy(a, a, 3, 1, 1)
    host[1] = host[3]
    s.read("after copies", a, 0, host)
    no_problems(*hand_stream.replay_exact(page, s, options, setup))


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_misuse_is_refused_with_a_reason(page, backend):
    s = hand_stream.Stream(backend)
    f = s.alloc(4, "float64")
    u = s.array(words := patterns(np.random.default_rng(7), "uint64", 4))
    s.write(f, 0, np.zeros(3, np.float32))  # 12 bytes: not whole float64 elements
    s.copy(f, u, 0, 0, 1)
    s.write(u, 3, np.zeros(2, np.uint64))
    s.read("after the refusals", u, 0, words)
    messages, errors = hand_stream.replay_exact(page, s)
    assert [e["op"] for e in errors] == ["write", "copy", "write"], errors
    assert "not whole float64 elements" in errors[0]["message"]
    assert "copy between float64 buffer" in errors[1]["message"]
    assert "outside buffer" in errors[2]["message"]
    assert not messages, messages
