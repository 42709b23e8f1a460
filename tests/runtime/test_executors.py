"""The native executors and the CuPy-like call glue, tested with hand-written shaders.

Rule: no compiler involved. `make_program` below is a tiny independent reading of
docs/abi.md (uniform order, bindings, textures, render targets); each kernel's body is
written by hand per target, and results must equal NumPy's exactly (inputs are chosen so
that float arithmetic is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import kernelc
from kernelc.abi import ABI_VERSION, Contract, Program, wgsl_dispatch
from kernelc.emit_glsl import VERTEX_SHADER
from tests.support.kernel_call import call_elementwise, parse_params, run_program
from tests.support.views import describe
from wgpy_runtime.device import DeviceError

# ------------------------------------------------------------------ a hand-made ABI writer

WGSL_ELEMENT = {"bool": "u32", "int32": "i32", "uint32": "u32", "float32": "f32"}
GLSL_FORMAT = {"bool": "r32ui", "int32": "r32i", "uint32": "r32ui", "float32": "r32f"}
GLSL_TYPE = {"i32": "int", "u32": "uint", "f32": "float"}
GLSL_SAMPLER = {"r32f": "sampler2D", "r32i": "isampler2D", "r32ui": "usampler2D"}


@dataclass
class P:
    name: str
    role: str  # "in" | "out"
    kind: str  # "array" | "raw" | "scalar"
    dtype: str
    ndim: int = 0  # raw only; arrays take the loop's
    contiguous: bool = True
    reads_old: bool = False


def uniform_list(params: list[P], ndim: int, target: str) -> list[tuple[str, str, dict]]:
    """(member, type, value) in the order docs/abi.md and kernelc.abi use."""
    out = [("k_n", "i32", {"what": "size"})]
    out += [(f"k_shape{d}", "i32", {"what": "shape", "axis": d}) for d in range(ndim)]
    if target == "glsl":
        out.append(("k_out_width", "i32", {"what": "out_width"}))
    for p in params:

        def f(what, d=None, name=p.name):
            v = {"what": what, "param": name} | ({} if d is None else {"axis": d})
            return (f"a_{name}_{what}{'' if d is None else d}", "i32", v)

        if p.kind == "scalar":
            out.append((f"s_{p.name}", WGSL_ELEMENT[p.dtype], {"what": "value", "param": p.name}))
        elif p.kind == "array" and not (target == "glsl" and p.role == "out"):
            out += [f("offset")] + [f("stride", d) for d in range(ndim)]
        elif p.kind == "raw":
            out += [f("offset"), f("size")] + [f("shape", d) for d in range(p.ndim)]
            out += [f("stride", d) for d in range(p.ndim)]
    return out


def make_program(target: str, name: str, ndim: int, params: list[P], body: str) -> Program:
    """A Program whose shader runs `body` (placeholders `{x}`: element of array `x`;
    GLSL `{old_y}`: old value of output `y`) for each element `i`, unravelled to `i0..`."""
    members = uniform_list(params, ndim, target)
    abi = {
        "abi_version": ABI_VERSION,
        "target": target,
        "kernel": name,
        "kind": "elementwise",
        "ndim": ndim,
        "params": [_param_json(p, ndim) for p in params],
        "uniforms": [
            {"name": m, "offset": 4 * k, "type": t, "key": v} for k, (m, t, v) in enumerate(members)
        ],
        "uniform_size": max(16, -(-4 * len(members) // 16) * 16),
    }
    build = _wgsl if target == "wgsl" else _glsl
    code = build(abi, ndim, params, members, body)
    return Program(name=name, target=target, code=code, abi=Contract.from_json(abi))


def _param_json(p: P, ndim: int) -> dict:
    d = {"name": p.name, "role": p.role, "kind": p.kind, "dtype": p.dtype, "storage_dtype": p.dtype}
    if p.kind != "scalar":
        d["ndim"] = p.ndim if p.kind == "raw" else ndim
    if p.kind == "raw":
        d["contiguous"] = p.contiguous
    if p.role == "out":
        d["reads_old"] = p.reads_old
    return d


def _index(p: P, ndim: int, prefix: str) -> str:
    terms = [f"{prefix}a_{p.name}_offset"]
    terms += [f"i{d} * {prefix}a_{p.name}_stride{d}" for d in range(ndim)]
    return " + ".join(terms)


def _unravel(ndim: int, prefix: str, decl: str) -> str:
    if ndim == 0:
        return ""
    lines = [f"{decl.format('r')} = i;"]
    for d in range(ndim - 1, 0, -1):
        lines.append(
            f"{decl.format(f'i{d}')} = r % {prefix}k_shape{d}; r = r / {prefix}k_shape{d};"
        )
    return "\n  ".join(lines + [f"{decl.format('i0')} = r;"])


def _wgsl(abi, ndim, params, members, body) -> str:
    arrays = [p for p in params if p.kind != "scalar"]
    abi["entry_point"] = "main"
    abi["bindings"] = [{"binding": 0, "resource": "uniform", "size": abi["uniform_size"]}] + [
        {
            "binding": k + 1,
            "resource": "storage",
            "param": p.name,
            "access": "read" if p.role == "in" else "read_write",
            "element": WGSL_ELEMENT[p.dtype],
        }
        for k, p in enumerate(arrays)
    ]
    abi["launch"] = {
        "kind": "compute",
        "workgroup_size": [256, 1, 1],
        "max_workgroups_per_dimension": 65535,
    }
    decls = [
        f"struct Params {{ {', '.join(f'{m}: {t}' for m, t, _ in members)} }}",
        "@group(0) @binding(0) var<uniform> P: Params;",
    ]
    for b, p in zip(abi["bindings"][1:], arrays):
        access = "read" if p.role == "in" else "read_write"
        decls.append(
            f"@group(0) @binding({b['binding']}) var<storage, {access}> {p.name}: "
            f"array<{b['element']}>;"
        )
    refs = {p.name: f"{p.name}[{_index(p, ndim, 'P.')}]" for p in arrays if p.kind == "array"}
    return (
        "\n".join(decls)
        + f"""
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {{
  let i = i32((wg.y * nwg.x + wg.x) * 256u + lid.x);
  if (i >= P.k_n) {{ return; }}
  {_unravel(ndim, "P.", "var {}: i32")}
  {body.format_map(refs)}
}}
"""
    )


def _glsl(abi, ndim, params, members, body) -> str:
    textures = [(p, "array") for p in params if p.kind != "scalar" and p.role == "in"]
    textures += [(p, "previous") for p in params if p.role == "out" and p.reads_old]
    outputs = [p for p in params if p.role == "out"]
    abi["textures"] = [
        {
            "unit": k,
            "name": ("t_" if c == "array" else "t_old_") + p.name,
            "param": p.name,
            "format": GLSL_FORMAT[p.dtype],
            "contents": c,
        }
        for k, (p, c) in enumerate(textures)
    ]
    abi["outputs"] = [
        {"location": k, "name": f"o_{p.name}", "param": p.name, "format": GLSL_FORMAT[p.dtype]}
        for k, p in enumerate(outputs)
    ]
    abi["uniform_block"] = {"name": "KcParams", "binding": 0}
    abi["launch"] = {"kind": "fragment", "vertex_shader": VERTEX_SHADER, "max_width": 4096}
    block = " ".join(f"{GLSL_TYPE[t]} {m};" for m, t, _ in members)
    decls = [
        "#version 300 es",
        "precision highp float;",
        "precision highp int;",
        f"layout(std140) uniform KcParams {{ {block} }};",
        "ivec2 kc_at(int p, int w) { return ivec2(p % w, p / w); }",
    ]
    refs = {}
    for t in abi["textures"]:
        decls.append(f"uniform highp {GLSL_SAMPLER[t['format']]} {t['name']};")
        p = next(p for p in params if p.name == t["param"])
        at = "i" if t["contents"] == "previous" else _index(p, ndim, "")
        fetch = f"texelFetch({t['name']}, kc_at({at}, textureSize({t['name']}, 0).x), 0).x"
        refs[t["name"][2:]] = fetch
    for o in abi["outputs"]:
        out_type = GLSL_TYPE[WGSL_ELEMENT[_dtype(params, o["param"])]]
        decls.append(f"layout(location = {o['location']}) out highp {out_type} {o['name']};")
        refs[o["param"]] = o["name"]
    return (
        "\n".join(decls)
        + f"""
void main() {{
  ivec2 c = ivec2(gl_FragCoord.xy);
  int i = c.y * k_out_width + c.x;
  if (i >= k_n) discard;
  {_unravel(ndim, "", "int {}")}
  {body.format_map(refs)}
}}
"""
    )


def _dtype(params: list[P], name: str) -> str:
    return next(p.dtype for p in params if p.name == name)


# ------------------------------------------------------------------ the hand-written kernels


FMA_PARAMS = [
    P("x", "in", "array", "float32"),
    P("y", "in", "array", "float32"),
    P("alpha", "in", "scalar", "float32"),
    P("z", "out", "array", "float32"),
    P("pos", "out", "array", "bool"),
    P("k", "out", "array", "int32"),
]
FMA_BODY = {
    "wgsl": "let v = {x} * {y} + P.s_alpha; {z} = v; {pos} = select(0u, 1u, v > 0.0); "
    "{k} = i32(v);",
    "glsl": "float v = {x} * {y} + s_alpha; {z} = v; {pos} = v > 0.0 ? 1u : 0u; {k} = int(v);",
}
ADD_PARAMS = [P("x", "in", "array", "float32"), P("y", "out", "array", "float32", reads_old=True)]
ADD_BODY = {"wgsl": "{y} = {y} + {x};", "glsl": "{y} = {old_y} + {x};"}
GATHER_PARAMS = [
    P("table", "in", "raw", "float32", ndim=2, contiguous=False),
    P("dst", "out", "raw", "int32", ndim=1),
]
GATHER_BODY = {
    "wgsl": "let j = i % P.a_table_size; "
    "let v = table[P.a_table_offset + (j / P.a_table_shape1) * P.a_table_stride0"
    " + (j % P.a_table_shape1) * P.a_table_stride1]; "
    "dst[P.a_dst_offset + i * P.a_dst_stride0] = i32(v);",
    "glsl": "int j = i % a_table_size; "
    "int p = a_table_offset + (j / a_table_shape1) * a_table_stride0"
    " + (j % a_table_shape1) * a_table_stride1; "
    "{dst} = int(texelFetch(t_table, kc_at(p, textureSize(t_table, 0).x), 0).x);",
}
IOTA_PARAMS = [P("z", "out", "array", "uint32")]
IOTA_BODY = {"wgsl": "{z} = u32(i);", "glsl": "{z} = uint(i);"}


def fma(target: str) -> Program:
    return make_program(target, "fma", 2, FMA_PARAMS, FMA_BODY[target])


def add(target: str, ndim: int) -> Program:
    return make_program(target, f"add{ndim}", ndim, ADD_PARAMS, ADD_BODY[target])


def fma_expected(x, y, alpha):
    z = (x * y + np.float32(alpha)).astype(np.float32)
    return z, z > 0, z.astype(np.int32)


def ints(shape, low=-40, high=40, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, high, shape).astype(np.float32)


# ------------------------------------------------------------------ views


@pytest.mark.parametrize(
    "make",
    [
        lambda b: b,
        lambda b: b[1:, ::-2],
        lambda b: b[::-1, ::-1][2],
        lambda b: b.T,
        lambda b: np.broadcast_to(b[1, 2:5], (4, 3)),
        lambda b: b[2, 3, ...],
        lambda b: np.asfortranarray(b)[1:3],
        lambda b: b.view(np.int32)[:, 1::3],
    ],
)
def test_describe_keeps_the_base_memory(make):
    base = np.arange(30, dtype=np.float32).reshape(5, 6)
    view = make(base)
    buf = describe(view)
    np.testing.assert_array_equal(buf.view(), view)
    assert buf.data.size >= 30 and np.shares_memory(buf.data, view)


def test_describe_offsets_and_strides():
    base = np.arange(30, dtype=np.int32).reshape(5, 6)
    buf = describe(base[4:0:-2, 1::2])
    assert (buf.offset, buf.strides, buf.shape) == (25, (-12, 2), (2, 3))
    assert describe(np.broadcast_to(base[0], (3, 6))).strides == (0, 1)


def test_describe_falls_back_to_a_dense_copy():
    odd = np.ndarray((4,), np.int32, buffer=bytearray(32), strides=(8,))  # non-contiguous root
    misaligned = np.arange(10, dtype=np.int32).view(np.uint8)[2:38].view(np.int32)
    for view in (odd, misaligned[::2]):
        buf = describe(view)
        assert buf.offset == 0 and buf.data.size == view.size
        np.testing.assert_array_equal(buf.view(), view)


# ------------------------------------------------------------------ executors


def test_fma_strided_broadcast_offset(target):
    xbase = ints((5, 9))
    x = xbase[1:4, 8:0:-2]  # offset, negative stride
    y = np.arange(4, dtype=np.float32) / 2  # broadcast along axis 0
    zbase = np.full((6, 9), -7, np.float32)
    z = zbase[::2, 1::2]  # strided output
    kbase = np.zeros((3, 4), np.int32)
    k = kbase[::-1]  # negative-stride output
    pos = np.zeros((3, 4), bool)
    run_program(fma(target), x, y, 0.5, z, pos, k)
    ez, epos, ek = fma_expected(x, y, 0.5)
    np.testing.assert_array_equal(z, ez)
    np.testing.assert_array_equal(pos, epos)
    np.testing.assert_array_equal(k, ek)
    untouched = np.ones((6, 9), bool)
    untouched[::2, 1::2] = False
    assert (zbase[untouched] == -7).all()


def test_fma_allocates_outputs(target):
    x, y = ints((3, 1)), ints((1, 5), seed=1)
    z, pos, k = run_program(fma(target), x, y, np.float32(-1.5))
    for got, want in zip((z, pos, k), fma_expected(x, y, -1.5)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("ndim", [0, 1, 3])
def test_add_reads_old_output(target, ndim):
    shape = (2, 3, 5)[:ndim]
    ybase = np.asarray(ints(tuple(2 * e for e in shape), seed=2))
    y = ybase[(slice(None, None, 2),) * ndim + (Ellipsis,)]  # a view, also when 0-d
    x = ints(shape[-1:], seed=3)  # broadcast over the leading axes
    expected = y + x
    run_program(add(target, ndim), x, y)
    np.testing.assert_array_equal(y, expected)


def test_add_output_aliasing_input(target):
    y = ints((7,), seed=4)
    before = y.copy()
    run_program(add(target, 1), y, y)
    np.testing.assert_array_equal(y, before * 2)


def test_raw_gather_with_size(target):
    base = ints((4, 7), seed=5)
    table = base[::-1, 1::2]  # 4x3, non-contiguous
    dst = np.full(20, -1, np.int32)
    program = make_program(target, "gather", 1, GATHER_PARAMS, GATHER_BODY[target])
    run_program(program, table, dst, size=15)
    np.testing.assert_array_equal(dst[:15], np.resize(table.reshape(-1), 15).astype(np.int32))
    assert (dst[15:] == -1).all()


def test_several_rows_of_render_target(target):
    n = 3 * 4096 + 5  # GLSL: a partial last row; WGSL: a partial last workgroup
    z = np.zeros(n, np.uint32)
    run_program(make_program(target, "iota", 1, IOTA_PARAMS, IOTA_BODY[target]), z)
    np.testing.assert_array_equal(z, np.arange(n, dtype=np.uint32))


def test_dispatch_past_65535_workgroups():
    n = 65535 * 256 + 7
    assert wgsl_dispatch(n) == (65535, 2, 1)
    z = np.zeros(n, np.uint32)
    run_program(make_program("wgsl", "iota", 1, IOTA_PARAMS, IOTA_BODY["wgsl"]), z)
    assert (z == np.arange(n, dtype=np.uint32)).all()


def test_zero_size_skips_the_launch(target):
    broken = fma(target)
    broken.code = "this does not compile"
    z = np.full((0, 4), 3, np.float32)
    out = run_program(
        broken, ints((0, 4)), ints((4,)), 1.0, z, np.zeros((0, 4), bool), np.zeros((0, 4), np.int32)
    )
    assert out[0] is z and z.shape == (0, 4)


def test_wgsl_errors_raise(wgsl_executor):
    broken = fma("wgsl")
    broken.code = broken.code.replace("P.s_alpha", "P.s_beta")
    with pytest.raises(DeviceError, match="s_beta"):
        run_program(broken, ints((2, 2)), ints((2, 2)), 1.0, executor=wgsl_executor)


def test_glsl_errors_raise(gles_executor):
    broken = fma("glsl")
    broken.code = broken.code.replace("s_alpha;", "s_beta;", 1)
    with pytest.raises(DeviceError, match="s_beta|s_alpha"):
        run_program(broken, ints((2, 2)), ints((2, 2)), 1.0, executor=gles_executor)


def test_pipelines_are_cached(wgsl_executor, gles_executor):
    """A second launch of one program compiles nothing (the device's caches)."""
    caches = ((wgsl_executor, "_pipelines"), (gles_executor, "_programs"))
    for executor, cache in caches:
        program, args = fma(executor.target), (ints((2, 2)), ints((2, 2)), 1.0)
        run_program(program, *args, executor=executor)
        compiled = len(getattr(executor.device, cache))
        run_program(program, *args, executor=executor)
        assert len(getattr(executor.device, cache)) == compiled


def test_wrong_dtype_and_shape_are_refused(target):
    with pytest.raises(TypeError):
        run_program(fma(target), ints((2, 2)).astype(np.float64), ints((2, 2)), 1.0)
    with pytest.raises(ValueError):
        run_program(
            fma(target),
            ints((2, 2)),
            ints((2, 2)),
            1.0,
            np.zeros((2, 3), np.float32),
            np.zeros((2, 2), bool),
            np.zeros((2, 2), np.int32),
        )


# ------------------------------------------------------------------ the CuPy-like glue


@pytest.fixture
def fake_translate(monkeypatch):
    """Stands in for kernelc.translate_elementwise: hands out `fma` and records the call."""
    calls = []

    def translate(in_params, out_params, operation, **kw):
        calls.append(kw)
        return fma(kw["target"])

    monkeypatch.setattr(kernelc, "translate_elementwise", translate, raising=False)
    return calls


def test_call_elementwise_resolves_types_and_broadcasts(target, fake_translate):
    x, y = ints((3, 4)), ints((4,), seed=6)
    z, pos, k = call_elementwise(
        target, "T x, T y, T alpha", "T z, bool pos, int32 k", "...", x, y, 2, name="fma"
    )
    for got, want in zip((z, pos, k), fma_expected(x, y, 2.0)):
        np.testing.assert_array_equal(got, want)
    kw = fake_translate[-1]
    assert kw["types"] == {"T": "float32"} and kw["ndim"] == 2 and kw["raw"] == {}
    assert kw["scalars"] == ("alpha",) and kw["target"] == target and kw["name"] == "fma"


def test_call_elementwise_cupy_errors(fake_translate):
    f32, i32 = ints((2,)), np.zeros(2, np.int32)
    kernel = ("T x, T y, T alpha", "T z, bool pos, int32 k", "...")
    with pytest.raises(TypeError, match="mismatched"):
        call_elementwise("wgsl", *kernel, f32, i32, 1.0)
    with pytest.raises(TypeError, match="arguments"):
        call_elementwise("wgsl", *kernel, f32, f32)
    with pytest.raises(KeyError):
        call_elementwise("wgsl", "T x", "T y", "...", 1.0)
    with pytest.raises(ValueError, match="undecided"):
        call_elementwise("wgsl", "float32 x", "float32 y", "...", 1.0)
    with pytest.raises(ValueError, match="size"):
        call_elementwise("wgsl", "float32 x", "float32 y", "...", f32, size=2)
    with pytest.raises(ValueError, match="Out shape"):
        call_elementwise(
            "wgsl", *kernel, f32, f32, 1.0, np.zeros((2, 2), np.float32), np.zeros(2, bool), i32
        )
    assert fake_translate == []


def test_call_elementwise_empty_loop_does_not_translate(fake_translate):
    z = call_elementwise("glsl", "float32 x", "float32 y", "...", np.zeros((0, 3), np.float32))
    assert z.shape == (0, 3) and fake_translate == []


def test_parse_params():
    specs = parse_params(" raw T a , int32 b,", False)
    assert [(p.name, p.type, p.raw, p.is_output) for p in specs] == [
        ("a", "T", True, False),
        ("b", "int32", False, False),
    ]
    with pytest.raises(ValueError):
        parse_params("const T a", False)
