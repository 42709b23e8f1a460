"""js_bridge/abi.js, which follows the launch rules the contract's JSON gives, agrees with
kernelc's Python (kernelc/abi/launch.py, reduction.py, matmul.py) on uniform packing, grids
and the reduction plans, at sizes around every limit (test_abi_corpus.py: on every program).

Rule: the same inputs go to both; the JavaScript runs in the page, the Python here.
"""

from __future__ import annotations

import base64
import math
import struct

import pytest

import kernelc
from kernelc.abi import contract, encode_uniforms, glsl_grid, glsl_texture_extent, wgsl_dispatch
from kernelc.abi.matmul import glsl_stage_texels, wgsl_grid
from kernelc.abi.reduction import glsl_passes, wgsl_stages
from wgpy_runtime.device.browser import _json_number
from wgpy_runtime.device.dense import dense_values
from wgpy_runtime.device.protocol import ITEMSIZE

CALL = """async ([name, args]) => {
  const abi = await import("/js_bridge/abi.js");
  const out = abi[name](...args);
  return out instanceof Uint8Array ? btoa(String.fromCharCode(...out)) : out;
}"""
EXTENT = """async (args) => {
  const abi = await import("/js_bridge/abi.js");
  try { return abi.glslTextureExtent(...args); } catch (e) { return e.message; }
}"""
ITEMSIZES = """async () => {
  const m = await import("/js_bridge/abi.js");
  return Object.fromEntries(m.DTYPES.map((d) => [d, [m.hostItemsize(d), m.deviceItemsize(d)]]));
}"""
SIZES = [0, 1, 255, 256, 257, 65535 * 256, 65535 * 256 + 1, 1 << 26]


def js(page, name: str, *args):
    return page.evaluate(CALL, [name, list(args)])


def test_grids_agree(page):
    launch = kernelc.translate_elementwise(
        "float32 x", "float32 y", "y = x", target="wgsl"
    ).abi.launch
    for n in SIZES:
        assert js(page, "wgslDispatch", n, launch.to_json()) == list(wgsl_dispatch(n))
        assert js(page, "glslGrid", n, 4096) == list(glsl_grid(n))


def test_texture_extents_agree(page):
    """The WebGL executors' texture layout: rows of max_width, wider ones past the limit."""
    for capacity, size in [(16, 1), (4096, 4000), (5120, 5000), (1 << 26, 60_000_000)]:
        for max_width, max_texture_size in [(4096, 16384), (4096, 8192), (2048, 2048)]:
            args = (capacity, size, max_width, max_texture_size)
            try:
                want = list(glsl_texture_extent(*args))
            except ValueError as e:
                want = str(e)
            assert page.evaluate(EXTENT, list(args)) == want


@pytest.mark.parametrize("reduce_size", [0, 1, 32, 33, 5000, 1 << 20])
@pytest.mark.parametrize("n", [1, 7, 4096])
def test_reduction_plans_agree(page, n, reduce_size):
    program = kernelc.translate_reduction(
        "T x", "T y", "x", "a + b", "y = a", "0", "sum_x", target="wgsl", types={"T": "float32"}
    )
    groups, stages = wgsl_stages(program.abi.launch, n, reduce_size)
    got_groups, got = js(page, "wgslStages", program.abi.launch.to_json(), n, reduce_size)
    assert got_groups == groups
    assert [(s["entryPoint"], s["workgroups"], s["dispatch"]) for s in got] == [
        (s.entry_point, s.workgroups, list(s.dispatch)) for s in stages
    ]
    assert js(page, "glslPasses", reduce_size, 32) == [
        {"index": p.index, "items": p.items, "chunks": p.chunks, "final": p.final}
        for p in glsl_passes(reduce_size, 32)
    ]


def test_matmul_grid_agrees(page):
    program = kernelc.translate_matmul("float32", target="wgsl", batch_ndim=1)
    for batch, m, n in [(1, 1, 1), (3, 129, 64), (2, 4096, 4096)]:
        assert js(page, "matmulGrid", program.abi.launch.to_json(), batch, m, n) == list(
            wgsl_grid(program.abi.launch, batch, m, n)
        )


def test_packed_matmul_stages_agree(page):
    launch = kernelc.translate_matmul("float32", target="glsl", batch_ndim=1).abi.launch
    layout = {"k_per_texel": launch.k_per_texel, "block": launch.block}
    for batch, m, n, k in [(1, 1, 1, 1), (3, 7, 5, 13), (2, 4096, 4095, 0), (1, 2, 3, 65536)]:
        got = js(page, "glslStageTexels", launch.to_json(), batch, m, n, k)
        assert got == glsl_stage_texels(batch, m, n, k, **layout)


@pytest.mark.parametrize("target", ["wgsl", "glsl"])
def test_uniform_blocks_agree(page, target):
    program = kernelc.translate_elementwise(
        "float32 x, int32 k, uint32 u, float32 a",
        "float32 y",
        "y = x * a + k + u",
        name="mix",
        target=target,
        ndim=2,
        scalars=("k", "u", "a"),
    )
    values = dense_values(program.abi, (3, 5), {"k": -7, "u": 2**32 - 1, "a": 0.1})
    values[contract.OUT_WIDTH] = 5
    entries = [[what, param, axis, x] for (what, param, axis), x in values.items()]
    got = page.evaluate(
        """async ([abi, entries]) => {
      const m = await import("/js_bridge/abi.js");
      const out = m.encodeUniforms(abi, m.valuesMap(entries));
      return btoa(String.fromCharCode(...out));
    }""",
        [program.abi.to_json(), entries],
    )
    assert base64.b64decode(got) == encode_uniforms(program.abi, values)


WORDS = [
    (0.1, -0.0, 5e-324, math.nan, -math.inf, 2.0**53 + 2, 1.7976931348623157e308),
    (-1, -(2**63), 2**63 - 1, 2**53 + 1, -(2**53) - 1, 2**32, 0),
    (2**64 - 1, 2**63, 2**63 + 1, 2**53 + 1, 2**32 - 1, 1, 0),
]


@pytest.mark.parametrize("k", range(len(WORDS[0])))
def test_64_bit_scalars_are_packed_as_their_two_words(page, k):
    """A float64, an int64 and a uint64 scalar, sent as BrowserDevice sends them (integers
    past 2^53 as decimal strings), land in the uniform block as the bits Python packs."""
    members, entries, want = [], [], b""
    for j, (param, kind, fmt) in enumerate(
        [("a", "f64", "<d"), ("b", "i64", "<q"), ("c", "i64", "<Q")]
    ):
        x = WORDS[j][k]
        members += [
            {
                "name": f"s_{param}_w{w}",
                "offset": 8 * j + 4 * w,
                "type": kind + half,
                "key": {"what": "value", "param": param},
            }
            for w, half in enumerate(("lo", "hi"))
        ]
        entries.append(["value", param, None, _json_number(x)])
        want += struct.pack(fmt, x)
    got = page.evaluate(
        """async ([abi, entries]) => {
      const m = await import("/js_bridge/abi.js");
      return btoa(String.fromCharCode(...m.encodeUniforms(abi, m.valuesMap(entries))));
    }""",
        [{"uniform_size": 24, "uniforms": members}, entries],
    )
    assert base64.b64decode(got) == want


def test_item_sizes_agree(page):
    """abi.js's bytes per element are the protocol's (wgpy_runtime/device/protocol.py)."""
    got = page.evaluate(ITEMSIZES)
    assert got == {d: [n, 4 if d == "bool" else n] for d, n in ITEMSIZE.items()}
