"""Matmul programs without running them: the tile shapes and grid of `kernelc.abi.matmul`,
the ABI both targets write (params, uniforms, bindings, launch), the shape of the
shells, option errors, and validation of every specialisation by a real compiler.
"""

from __future__ import annotations

import itertools
import re

import pytest

import kernelc
from kernelc.abi import contract, encode_uniforms
from kernelc.abi.matmul import (
    GROUP_M,
    TILES,
    MatmulTiles,
    glsl_stage_texels,
    matmul_dims,
    preferred_tiles,
    tiles_of,
    wgsl_grid,
    wgsl_workgroups,
)
from kernelc.emit.matmul import MatmulSpec
from tests.support.validate import glslang_available, validate_glsl, validate_wgsl, wgsl_available


def translate(target: str, **options):
    return kernelc.translate_matmul(target=target, **options)


# ---------------------------------------------------------------------------- plans


def test_presets_are_valid():
    for tiles in TILES.values():
        assert tiles.check() is tiles
        assert tiles.invocations == 256
    assert "kc_cur" in translate("wgsl", tiles="huge").code  # double-buffered
    assert tiles_of(None) is TILES["large"] and tiles_of("small") is TILES["small"]
    assert tiles_of((64, 32, 8, 4, 4)) == MatmulTiles(m=64, n=32, k=8, thread_m=4, thread_n=4)


@pytest.mark.parametrize(
    "tiles",
    [
        (64, 64, 16, 2, 4),
        (64, 64, 16, 4, 6),
        (64, 64, 16, 4, 4 * 3),
        (256, 128, 8, 4, 4),
        (64, 64, 3, 4, 4),
        (0, 64, 8, 4, 4),
        "giant",
        (1, 2, 3),
    ],
)
def test_bad_tiles(tiles):
    with pytest.raises(ValueError):
        tiles_of(tiles)


@pytest.mark.parametrize(
    "batch, m, n, tiles, grid",
    [
        (1, 1, 1, "large", (1, 1, 1)),
        (1, 129, 128, "large", (2, 1, 1)),
        (3, 64, 65, "small", (6, 1, 1)),
        (1, 4096, 4096, "large", (1024, 1, 1)),
        (70_000, 1, 1, "small", (65535, 2, 1)),
        (0, 5, 5, "small", (1, 1, 1)),
    ],
)
def test_grid(batch, m, n, tiles, grid):
    launch = translate("wgsl", tiles=tiles).abi.launch
    assert wgsl_grid(launch, batch, m, n) == grid
    assert wgsl_workgroups(launch, batch, m, n) <= grid[0] * grid[1]


@pytest.mark.parametrize(
    "batch, m, n, preset",
    [
        (1, 4096, 4096, "huge"),
        (1, 65536, 64, "tall"),  # huge's and large's 128 columns would be half empty
        (1, 65536, 576, "huge"),  # huge first where it holds and fills the grid
        (1, 16384, 320, "tall"),  # 320 columns: 384 in large's and wide's tiles
        (1, 8192, 320, "small"),  # large's grid too small: small's, as tall's fills it
        (1, 512, 4608, "small"),
        (1, 64, 65536, "wide"),
        (1, 2048, 2048, "large"),  # no less padding elsewhere: large first
        (1, 1024, 1024, "small"),
        (16, 512, 512, "large"),
        (1, 17, 33, "small"),
    ],
)
def test_preferred_tiles(batch, m, n, preset):
    assert preferred_tiles(batch, m, n) == preset


def test_dims_from_values():
    abi = translate("wgsl", batch_ndim=2).abi
    values = {
        contract.loop_shape(0): 2,
        contract.loop_shape(1): 5,
        contract.loop_shape(2): 7,
        contract.loop_shape(3): 3,
        contract.REDUCE_SIZE: 11,
    }
    assert matmul_dims(abi, values) == (10, 7, 3, 11)


# ---------------------------------------------------------------------------- ABI


def _uniform_keys(abi: dict) -> list[tuple]:
    return [(m.key.what, m.key.param, m.key.axis) for m in abi.uniforms]


def test_wgsl_abi():
    abi = translate("wgsl", batch_ndim=1).abi
    assert abi.kind == "matmul" and abi.target == "wgsl" and abi.entry_point == "main"
    assert abi.ndim == 3 and abi.batch_ndim == 1
    assert [(p.name, p.role, p.kind, p.ndim) for p in abi.params] == [
        ("A", "in", "array", 3),
        ("B", "in", "array", 3),
        ("C", "out", "array", 3),
    ]
    assert [(b.binding, b.resource, b.param, b.access) for b in abi.bindings] == [
        (0, "uniform", None, None),
        (1, "storage", "A", "read"),
        (2, "storage", "B", "read"),
        (3, "storage", "C", "read_write"),
    ]
    keys = _uniform_keys(abi)
    assert keys[:4] == [contract.SIZE] + [contract.loop_shape(d) for d in range(3)]
    for p in "ABC":
        assert contract.array_offset(p) in keys
        assert all(contract.array_stride(p, d) in keys for d in range(3))
    assert contract.REDUCE_SIZE in keys
    assert abi.uniform_size % 16 == 0 and abi.uniform_size >= 4 * len(keys)
    launch = abi.launch
    assert launch.kind == "matmul" and launch.workgroup_size == (256, 1, 1)
    assert launch.tile == TILES["large"] and launch.group_m == GROUP_M


def test_glsl_abi():
    abi = translate("glsl", batch_ndim=2, packed=False).abi
    assert abi.kind == "matmul" and abi.batch_ndim == 2 and abi.ndim == 4
    assert abi.launch.kind == "fragment"  # an ordinary draw over C's elements
    assert [(t.param, t.contents, t.format) for t in abi.textures] == [
        ("A", "array", "r32f"),
        ("B", "array", "r32f"),
    ]
    assert [(o.param, o.location, o.format) for o in abi.outputs] == [("C", 0, "r32f")]
    keys = _uniform_keys(abi)
    assert contract.OUT_WIDTH in keys and contract.REDUCE_SIZE in keys
    assert not any(k[1] == "C" for k in keys)  # C is a dense render target


def test_glsl_packed_abi():
    abi = translate("glsl", batch_ndim=2).abi  # packed by default
    launch = abi.launch
    assert abi.kind == "matmul" and launch.kind == "packed_matmul"
    assert (launch.texel_format, launch.k_per_texel, launch.block) == (
        "rgba32f",
        4,
        (4, 4),
    )
    stages = {s.name: s for s in launch.stages}
    assert list(stages) == ["pack_a", "pack_b", "product"]
    reads = {
        name: [(t.param, t.contents, t.stage, t.format) for t in s.textures]
        for name, s in stages.items()
    }
    assert reads == {
        "pack_a": [("A", "array", None, "r32f")],
        "pack_b": [("B", "array", None, "r32f")],
        "product": [(None, "stage", "pack_a", "rgba32f"), (None, "stage", "pack_b", "rgba32f")],
    }
    targets = {
        name: [(o.location, o.param, o.format) for o in s.outputs] for name, s in stages.items()
    }
    assert targets == {
        "pack_a": [(0, None, "rgba32f")],
        "pack_b": [(0, None, "rgba32f")],
        "product": [(k, None, "rgba32f") for k in range(4)],
    }
    assert [(t.contents, t.stage, t.output) for t in abi.textures] == [
        ("stage", "product", k) for k in range(4)
    ]
    assert [(o.param, o.format) for o in abi.outputs] == [("C", "r32f")]
    # every stage declares the one uniform block the executor fills once
    block = abi.uniforms
    assert all(s.code.count("uniform KcParams") == 1 for s in stages.values())
    assert all(f"{m.name};" in s.code for s in stages.values() for m in block)


@pytest.mark.parametrize(
    "batch, m, n, k, texels",
    [
        (1, 1, 1, 1, {"pack_a": 1, "pack_b": 1, "product": 1}),
        (3, 7, 5, 13, {"pack_a": 3 * 7 * 4, "pack_b": 3 * 5 * 4, "product": 3 * 2 * 2}),
        (2, 4, 6, 0, {"pack_a": 0, "pack_b": 0, "product": 2 * 1 * 2}),
    ],
)
def test_glsl_stage_texels(batch, m, n, k, texels):
    launch = translate("glsl", batch_ndim=1).abi.launch
    layout = {"k_per_texel": launch.k_per_texel, "block": launch.block}
    assert glsl_stage_texels(batch, m, n, k, **layout) == texels


@pytest.mark.parametrize("target", ["wgsl", "glsl"])
def test_dtypes(target):
    f16 = translate(target, dtype="float16").abi
    f64 = translate(target, dtype="float64").abi
    assert [p.storage_dtype for p in f64.params] == ["float32"] * 3
    assert [p.dtype for p in f64.params] == ["float64"] * 3
    if target == "wgsl":
        assert all(
            b.packed.to_json() == {"dtype": "float16", "per_word": 2} for b in f16.bindings[1:]
        )
    else:
        textures = [t for s in f16.launch.stages for t in s.textures]
        assert {t.format for t in textures if t.param} == {"r16f"}  # A and B
        assert f16.outputs[0].format == "r16f"
    assert translate(target, dtype="float64").code == translate(target).code


def test_encode_uniforms():
    abi = translate("wgsl").abi
    values = {k: 3 for k in _uniform_keys(abi)}
    assert len(encode_uniforms(abi, values)) == abi.uniform_size


@pytest.mark.parametrize(
    "options, error",
    [
        ({"target": "msl"}, ValueError),
        ({"target": "wgsl", "dtype": "int32"}, ValueError),
        ({"target": "glsl", "batch_ndim": 7}, ValueError),
        ({"target": "wgsl", "batch_ndim": -1}, ValueError),
        ({"target": "wgsl", "tiles": (64, 64, 16, 4, 8 * 3)}, ValueError),
        ({"target": "glsl", "fold": 256}, ValueError),  # folds are WGSL's
        ({"target": "wgsl", "tiles": "small", "fold": 100}, ValueError),  # not whole k steps
        ({"target": "wgsl", "fold": -8}, ValueError),
        ({"target": "wgsl", "dtype": "float16", "fold": 256}, ValueError),
    ],
)
def test_bad_options(options, error):
    with pytest.raises(error):
        kernelc.translate_matmul(**options)


def test_spec_defaults():
    assert MatmulSpec().check().ndim == 2


# ---------------------------------------------------------------------------- shells


def test_wgsl_shell_shape():
    code = translate("wgsl", tiles="large").code
    assert code.count("workgroupBarrier();") == 2
    assert "@compute @workgroup_size(256)" in code
    assert re.search(r"var<workgroup> kc_tile_a: array<vec4<f32>, 264>;", code)  # 8 x (32 + 1)
    assert code.count("fma(") == 8 * 8 * 2  # k x thread_m x thread_n / 4
    assert translate("wgsl", tiles="large").code == code  # deterministic


def test_wgsl_transposed_load_order():
    plain = translate("wgsl", tiles="small").code
    both = translate("wgsl", tiles="small", trans_a=True, trans_b=True).code
    assert "% 16i" in plain.split("kc_b0_fast")[0]  # A: consecutive invocations walk k
    assert "% 64i" in both.split("kc_b0_fast")[0]  # A^T: they walk M
    assert plain != both


def test_wgsl_folded_shell():
    """fold: int32 sums beside the float32 ones, folded every `fold` multiply-adds in a
    branch on the uniform k0 and once after the loop; C is int32."""
    code = translate("wgsl", tiles="large", fold=256).code
    abi = translate("wgsl", tiles="large", fold=256).abi
    assert [(p.name, p.dtype) for p in abi.params] == [
        ("A", "float32"),
        ("B", "float32"),
        ("C", "int32"),
    ]
    assert "var<storage, read_write> b_C: array<i32>;" in code
    assert code.count("var kc_sum") == 8 * 8 // 4
    assert "if ((kc_k0 + 8i) % 256i == 0i) {" in code
    assert code.count("vec4<i32>(kc_acc") == 2 * 8 * 8 // 4  # in the loop and after it
    assert code.count("fma(") == 8 * 8 * 2 and code.count("workgroupBarrier();") == 2
    double = translate("wgsl", tiles="huge", fold=256).code
    assert "kc_cur" in double and "if ((kc_k0 + 4i) % 256i == 0i) {" in double
    assert translate("wgsl", tiles="large", fold=0).code == translate("wgsl", tiles="large").code


def test_glsl_shell_shape():
    code = translate("glsl", packed=False).code
    assert code.count("texelFetch(t_A") == 5 and code.count("texelFetch(t_B") == 5  # 4 + 1
    assert "discard;" in code and "o_C = kc_acc;" in code


def test_glsl_packed_shell_shape():
    stages = {s.name: s.code for s in translate("glsl").abi.launch.stages}
    assert stages["pack_a"].count("texelFetch(t_A") == 4 and "t_B" not in stages["pack_a"]
    product = stages["product"]
    assert product.count("texelFetch(") == 8 and product.count("dot(") == 16  # 64 products
    assert "for (int kc_k = 0; kc_k < kc_kp; kc_k++)" in product  # K / 4 iterations


# ---------------------------------------------------------------------------- validation

SPECS = [
    dict(zip(("dtype", "batch_ndim", "trans_a", "trans_b"), s))
    for s in itertools.product(("float32", "float16"), (0, 1, 3), (False, True), (False, True))
]


@pytest.mark.skipif(not wgsl_available(), reason="wgpu-native not available")
@pytest.mark.parametrize("tiles", ["large", "small", (128, 64, 16, 8, 4), (32, 32, 8, 4, 4)])
def test_wgsl_validates(tiles):
    for spec in SPECS:
        validate_wgsl(translate("wgsl", tiles=tiles, **spec).code)


@pytest.mark.skipif(not wgsl_available(), reason="wgpu-native not available")
@pytest.mark.parametrize("tiles", ["huge", "large", "small", (32, 32, 8, 4, 4)])
def test_wgsl_folded_validates(tiles):
    for batch_ndim, trans in itertools.product((0, 1, 3), (False, True)):
        options = dict(batch_ndim=batch_ndim, trans_a=trans, trans_b=not trans)
        validate_wgsl(translate("wgsl", tiles=tiles, fold=64, **options).code)


@pytest.mark.skipif(not glslang_available(), reason="glslangValidator not available")
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("batch_ndim", [0, 1, 3])
def test_glsl_validates(dtype, batch_ndim):
    validate_glsl(translate("glsl", dtype=dtype, batch_ndim=batch_ndim, packed=False).code)
    packed = translate("glsl", dtype=dtype, batch_ndim=batch_ndim)
    validate_glsl(packed.code)
    for stage in packed.abi.launch.stages:
        validate_glsl(stage.code)


def test_double_buffering_where_two_copies_fit():
    """Tiles whose two copies fit WebGPU's 16 KiB of workgroup memory, with large blocks
    per invocation, take one barrier per K step (the other before the loop); the others
    keep two per step."""
    double = translate("wgsl", tiles="huge").code
    loop = double[double.index("for (var kc_k0") :]
    assert double.count("workgroupBarrier()") == 2 and loop.count("workgroupBarrier()") == 1
    assert "array<vec4<f32>, 520>" in double  # 2 copies of 65 vec4 rows x 4 steps of k
    for tiles in ("large", (128, 64, 8, 8, 4)):  # too large; too few accumulators
        single = translate("wgsl", tiles=tiles).code
        loop = single[single.index("for (var kc_k0") :]
        assert loop.count("workgroupBarrier()") == 2 and "kc_cur" not in single
