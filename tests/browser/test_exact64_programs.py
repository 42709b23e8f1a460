"""Programs that read and write 64-bit buffers on both browser executors: WGSL storage
bindings of array<u32> (element i = words 2i, low, and 2i + 1, high), GLSL RG32UI textures
sampled as usampler2D and rendered from uvec2 outputs, and 64-bit scalars as two uniform
words. The programs are written here, in the ABI's terms (docs/abi.md), so the executors
are checked whatever the compiler emits: a 64-bit add with carry, over dense views, strided
views at offsets and an input that is also the output, compared bit for bit with Python.

Rule: as in the other executor tests, a command stream is replayed on a fresh executor and
its reads compared byte for byte.
"""

from __future__ import annotations

import struct
from types import SimpleNamespace

import numpy as np
import pytest

from kernelc.abi import ABI_VERSION, Contract, contract
from kernelc.lib.shaders import device_shader
from tests.browser import hand_stream
from wgpy_runtime.device.browser import _json_number

MASK = 2**64 - 1

WGSL = """
struct KcParams {
    k_n: i32,
    k_base: i32,
    k_shape0: i32,
    a_x_offset: i32,
    a_x_stride0: i32,
    a_y_offset: i32,
    a_y_stride0: i32,
    s_s_w0: u32,
    s_s_w1: u32,
}

@group(0) @binding(0) var<uniform> u: KcParams;
@group(0) @binding(1) var<storage, read> b_x: array<u32>;
@group(0) @binding(2) var<storage, read_write> b_y: array<u32>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let gid = u32(u.k_base) + (wg.y * nwg.x + wg.x) * 256u + lid.x;
    if (gid >= u32(u.k_n)) {
        return;
    }
    let i = i32(gid);
    let px = u32(u.a_x_offset + i * u.a_x_stride0) * 2u;
    let py = u32(u.a_y_offset + i * u.a_y_stride0) * 2u;
    let lo = b_x[px] + u.s_s_w0;
    let high = b_x[px + 1u] + u.s_s_w1 + select(0u, 1u, lo < u.s_s_w0);
    b_y[py] = lo;
    b_y[py + 1u] = high;
}
"""

GLSL = """#version 300 es
precision highp float;
precision highp int;
precision highp usampler2D;

layout(std140) uniform KcParams {
    highp int k_n;
    highp int k_shape0;
    highp int k_out_width;
    highp int a_x_offset;
    highp int a_x_stride0;
    highp uint s_s_w0;
    highp uint s_s_w1;
} u;

uniform highp usampler2D t_x;

layout(location = 0) out highp uvec2 o_y;

void main() {
    int i = int(gl_FragCoord.y) * u.k_out_width + int(gl_FragCoord.x);
    if (i >= u.k_n) {
        discard;
    }
    int w = textureSize(t_x, 0).x;
    int p = u.a_x_offset + i * u.a_x_stride0;
    uvec2 x = texelFetch(t_x, ivec2(p % w, p / w), 0).rg;
    uint lo = x.x + u.s_s_w0;
    o_y = uvec2(lo, x.y + u.s_s_w1 + (lo < u.s_s_w0 ? 1u : 0u));
}
"""


def uniform(name: str, kind: str, what: str, param=None, axis=None) -> dict:
    """A uniform member (its offset set once the block is laid out)."""
    value = {"what": what}
    if param is not None:
        value["param"] = param
    if axis is not None:
        value["axis"] = axis
    member = {"name": name, "offset": 0, "type": kind, "key": value}
    return member | ({"default": 0} if what == "base" else {})


def add_program(target: str, x_dtype: str, y_dtype: str):
    """y[i] = x[i] + s as 64-bit words, whatever the 64-bit dtypes: {code, abi}."""
    scalar = [uniform("s_s_w0", "i64lo", "value", "s"), uniform("s_s_w1", "i64hi", "value", "s")]
    if target == "wgsl":
        members = [
            uniform("k_n", "i32", "size"),
            uniform("k_base", "i32", "base"),
            uniform("k_shape0", "i32", "shape", axis=0),
            uniform("a_x_offset", "i32", "offset", "x"),
            uniform("a_x_stride0", "i32", "stride", "x", 0),
            uniform("a_y_offset", "i32", "offset", "y"),
            uniform("a_y_stride0", "i32", "stride", "y", 0),
            *scalar,
        ]
        extra = {
            "entry_point": "main",
            "launch": {
                "kind": "compute",
                "workgroup_size": [256, 1, 1],
                "max_workgroups_per_dimension": 65535,
            },
            "bindings": [
                {"binding": 0, "resource": "uniform", "size": 48},
                {
                    "binding": 1,
                    "resource": "storage",
                    "param": "x",
                    "access": "read",
                    "element": "u32",
                    "words_of": x_dtype,
                },
                {
                    "binding": 2,
                    "resource": "storage",
                    "param": "y",
                    "access": "read_write",
                    "element": "u32",
                    "words_of": y_dtype,
                },
            ],
        }
        code = WGSL
    else:
        members = [
            uniform("k_n", "i32", "size"),
            uniform("k_shape0", "i32", "shape", axis=0),
            uniform("k_out_width", "i32", "out_width"),
            uniform("a_x_offset", "i32", "offset", "x"),
            uniform("a_x_stride0", "i32", "stride", "x", 0),
            *scalar,
        ]
        extra = {
            "textures": [
                {"unit": 0, "name": "t_x", "param": "x", "format": "rg32ui", "contents": "array"}
            ],
            "outputs": [{"location": 0, "name": "o_y", "param": "y", "format": "rg32ui"}],
            "uniform_block": {"name": "KcParams", "binding": 0},
            "launch": {
                "kind": "fragment",
                "max_width": 4096,
                "vertex_shader": device_shader("vertex.glsl"),
            },
        }
        code = GLSL
    for k, m in enumerate(members):
        m["offset"] = 4 * k
    abi = {
        "abi_version": ABI_VERSION,
        "target": target,
        "kernel": "add64",
        "kind": "elementwise",
        "ndim": 1,
        "params": [
            param("x", "in", "array", x_dtype),
            param("s", "in", "scalar", "int64"),
            param("y", "out", "array", y_dtype),
        ],
        "uniforms": members,
        "uniform_size": 48,
        **extra,
    }
    return SimpleNamespace(code=code, abi=Contract.from_json(abi))


def param(name: str, role: str, kind: str, dtype: str) -> dict:
    p = {"name": name, "role": role, "kind": kind, "dtype": dtype, "storage_dtype": dtype}
    return (
        p
        | ({"ndim": 1} if kind == "array" else {})
        | ({"reads_old": False} if role == "out" else {})
    )


def values(target: str, n: int, s: int, x=(0, 1), y=(0, 1)) -> dict:
    """Dispatch values of add_program over `n` elements, x and y (offset, stride) views."""
    out = {
        contract.SIZE: n,
        contract.loop_shape(0): n,
        contract.scalar_value("s"): s,
        contract.array_offset("x"): x[0],
        contract.array_stride("x", 0): x[1],
    }
    if target == "wgsl":
        out |= {contract.array_offset("y"): y[0], contract.array_stride("y", 0): y[1]}
    return {k: _json_number(v) for k, v in out.items()}


def words(a: np.ndarray) -> list[int]:
    return [int(w) for w in a.view(np.uint64)]


def added(x: np.ndarray, s: int) -> np.ndarray:
    """x + s wrapped to 64 bits, in x's dtype (Python integers, no NumPy arithmetic)."""
    out = [(w + s) & MASK for w in words(x)]
    return np.frombuffer(struct.pack(f"<{len(out)}Q", *out), np.uint64).view(x.dtype)


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_a_64_bit_add_over_views_is_exact(page, backend):
    target = hand_stream.TARGETS[backend]
    rng = np.random.default_rng(3)
    s, n = hand_stream.Stream(backend), 3 * 4096 + 77
    host = rng.integers(0, MASK, n, endpoint=True, dtype=np.uint64)
    host[:6] = [0, MASK, 2**32 - 1, 2**63 - 1, 2**63, 2**53]
    for dtype, k in (("uint64", 0xFFFFFFFF00000001), ("int64", -(2**40) - 3)):
        x = host.view(dtype)
        a, y = s.array(x), s.alloc(n, dtype)
        s.dispatch(add_program(target, dtype, dtype), {"x": a, "y": y}, values(target, n, k))
        s.read(f"{dtype} x + {k}", y, 0, added(x, k))
    # a strided float64 view at an odd offset into a dense output; its bits as integers
    f = host.view("float64")
    a, m = s.array(f), (n - 7) // 3
    y = s.alloc(m, "float64")
    program = add_program(target, "float64", "float64")
    s.dispatch(program, {"x": a, "y": y}, values(target, m, 2**52, x=(7, 3)))
    s.read("strided float64 view", y, 0, added(f[7::3][:m], 2**52))
    # the output is also the input: each element read before it is written
    b = s.array(x := host.view("int64"))
    s.dispatch(add_program(target, "int64", "int64"), {"x": b, "y": b}, values(target, n, -1))
    s.read("in place", b, 0, added(x, -1))
    if target == "wgsl":  # a strided output view, written at every other element
        c = s.array(x := host.view("uint64")[:1000].copy())
        program = add_program(target, "int64", "uint64")
        s.dispatch(program, {"x": b, "y": c}, values(target, 500, 5, x=(1, 2), y=(0, 2)))
        want = x.copy()
        want[0::2] = added(added(host.view("int64"), -1)[1:1000:2], 5).view("uint64")
        s.read("strided output", c, 0, want)
    messages, errors = hand_stream.replay_exact(page, s)
    assert not errors, errors
    assert not messages, "\n".join(messages)


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_a_64_bit_buffer_of_another_dtype_is_refused(page, backend):
    """WGSL bindings name the 64-bit dtype they read (`words_of`); GLSL textures only their
    format, RG32UI, which every 64-bit dtype shares, and no other dtype."""
    target = hand_stream.TARGETS[backend]
    s = hand_stream.Stream(backend)
    x, y = s.alloc(4, "float32"), s.alloc(4, "uint64")
    s.dispatch(add_program(target, "int64", "uint64"), {"x": x, "y": y}, values(target, 4, 1))
    if target == "wgsl":
        z = s.alloc(4, "float64")
        s.dispatch(add_program(target, "int64", "uint64"), {"x": z, "y": y}, values(target, 4, 1))
    errors = hand_stream.replay_exact(page, s)[1]
    assert len(errors) == (2 if target == "wgsl" else 1), errors
    wanted = "reads int64" if target == "wgsl" else "reads rg32ui"
    assert all("'x' is bound to a" in e["message"] and wanted in e["message"] for e in errors)
