"""Reduction programs without running them: the launch plans of `kernelc.abi.reduction`,
the ABI both emitters write for a ReductionKernel (stages, scratch, passes, partials),
the shape of the shells, and validation of every entry point and pass by a real compiler.
"""

from __future__ import annotations

import re

import pytest

import kernelc
from kernelc.abi.contract import array_stride
from kernelc.abi.launch import spill
from kernelc.abi.reduction import (
    COLUMN_STAGES,
    FAN_IN,
    MAX_COLUMN_CHUNK,
    SPLIT_RULE,
    STAGES,
    UNROLL,
    WGSL_PLAN,
    Pass,
    by_columns,
    glsl_passes,
    wgsl_groups,
    wgsl_stages,
)
from kernelc.errors import UnsupportedOnTarget
from tests.support.validate import validate_glsl, validate_wgsl

LAUNCH = WGSL_PLAN


def translate(target: str, *kernel, **options):
    kernel = kernel or ("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0")
    options = {"types": {"T": "float32"}, "ndim": 1, "reduce_ndim": 1, **options}
    return kernelc.translate_reduction(*kernel, target=target, **options)


# ---------------------------------------------------------------------------- plans


@pytest.mark.parametrize(
    "n, red_n, groups",
    [
        (1, 1 << 20, 256),
        (1, 1 << 30, 2048),
        (3, 10_000, 3),
        (1, 4096, 1),
        (1, 4097, 2),
        (4096, 7, 1),
        (2000, 1 << 20, 3),
        (600, 1 << 20, 7),
        (5, 0, 1),
        (0, 100, 1),
    ],
)
def test_split_rule(n, red_n, groups):
    assert wgsl_groups(SPLIT_RULE, n, red_n) == groups


def test_serial_folds_stay_under_the_loop_cap():
    """Mesa's software drivers stop an invocation's loops after 65,535 iterations in all
    (docs/testing.md). A WGSL invocation folds ceil(red_n / (256 * groups)) elements (then
    ceil(groups / 256) partials): at most 32,768 for any reduction of fewer than 2**31
    elements (1 + 1 / UNROLL loop iterations each). By columns an invocation folds a chunk
    of at most MAX_COLUMN_CHUNK elements, else the reduction goes by rows. A GLSL
    fragment folds FAN_IN items per pass."""
    worst = worst_chunk = 0
    columns = translate("wgsl").abi.launch
    for n in [*range(1, 4200), *(1 << k for k in range(12, 31))]:
        red_n = (2**31 - 1) // n
        groups = wgsl_groups(SPLIT_RULE, n, red_n)
        worst = max(worst, -(-red_n // (256 * groups)), -(-groups // 256))
        if by_columns(columns, n, red_n, _strides(1, n)):  # columns whenever allowed
            groups, _ = wgsl_stages(columns, n, red_n, columns=True)
            worst_chunk = max(worst_chunk, -(-red_n // groups))
    assert worst == 4096 and worst * (1 + 1 / UNROLL) < 65_535
    assert 0 < worst_chunk <= MAX_COLUMN_CHUNK
    assert MAX_COLUMN_CHUNK * (1 + 1 / UNROLL) + 256 < 65_535
    assert FAN_IN < 65_535


def test_stages_and_dispatch_spill():
    groups, stages = wgsl_stages(LAUNCH, 70_000, 10)
    assert groups == 1 and [(s.entry_point, s.workgroups, s.dispatch) for s in stages] == [
        ("main", 70_000, (65535, 2, 1))
    ]
    groups, stages = wgsl_stages(LAUNCH, 2, 1 << 20)
    assert groups == 256
    assert [(s.entry_point, s.dispatch) for s in stages] == [
        ("main_partial", (512, 1, 1)),
        ("main_merge", (2, 1, 1)),
    ]
    with pytest.raises(ValueError, match="columns"):
        wgsl_stages(LAUNCH, 4, 10, columns=True)
    assert wgsl_stages(LAUNCH, 4, 10, groups=3)[1][0].workgroups == 12
    assert spill(0) == (1, 1, 1) and spill(65536) == (65535, 2, 1)
    with pytest.raises(ValueError):
        wgsl_stages(LAUNCH, 4, 10, groups=0)


def _strides(out: int, red: int) -> dict:
    return {array_stride("x", 1): out, array_stride("x", 0): red}


@pytest.mark.parametrize(
    "n, red_n, strides, columns",
    [
        (8192, 8192, _strides(1, 8192), True),  # sum(axis=0) of a C-contiguous square
        (8192, 8192, _strides(8192, 1), False),  # sum(axis=1)
        (8192, 8192, _strides(-1, 8192), True),  # reversed columns
        (31, 8192, _strides(1, 31), False),  # fewer outputs than a warp
        (1 << 20, 4, _strides(4, 1), True),  # short rows
        (1 << 20, 17, _strides(17, 1), False),
        (32, 1 << 25, _strides(1, 32), False),  # chunks past MAX_COLUMN_CHUNK: by rows
        (32, 1 << 20, _strides(1, 32), True),
    ],
)
def test_by_columns(n, red_n, strides, columns):
    launch = translate("wgsl").abi.launch
    assert launch.columns.stages == COLUMN_STAGES
    assert by_columns(launch, n, red_n, strides) is columns


def test_column_stages():
    launch = translate("wgsl").abi.launch
    groups, stages = wgsl_stages(launch, 8192, 8192, columns=True)
    assert groups == 64  # 32 blocks of 256 outputs, chunks of 128 elements, 2048 workgroups
    assert [(s.entry_point, s.dispatch) for s in stages] == [
        ("main_columns_partial", (2048, 1, 1)),
        ("main_columns_merge", (32, 1, 1)),
    ]
    groups, stages = wgsl_stages(launch, 1000, 20, columns=True)
    assert groups == 1 and [(s.entry_point, s.dispatch) for s in stages] == [
        ("main_columns", (4, 1, 1))
    ]


def test_rows_only_without_an_input_array():
    """A reduction of a scalar or of raw arrays alone has no strides to choose by."""
    p = translate("wgsl", "raw T x", "T y", "x[_J]", "a + b", "y = a", "0")
    assert p.abi.launch.columns is None and "main_columns" not in p.code
    assert translate("wgsl", ndim=0).abi.launch.columns is None


@pytest.mark.parametrize(
    "red_n, chunks",
    [
        (0, [1]),
        (1, [1]),
        (FAN_IN, [1]),
        (FAN_IN + 1, [2, 1]),
        (2000, [63, 2, 1]),
        (1 << 20, [32768, 1024, 32, 1]),
    ],
)
def test_glsl_passes(red_n, chunks):
    passes = glsl_passes(red_n)
    assert [p.chunks for p in passes] == chunks
    assert [p.items for p in passes] == [red_n, *chunks[:-1]]
    assert [p.final for p in passes] == [False] * (len(chunks) - 1) + [True]
    assert passes[0] == Pass(0, red_n, chunks[0])


# ---------------------------------------------------------------------------- ABI


def test_wgsl_abi():
    p = translate("wgsl")
    abi = p.abi
    assert abi.kind == "reduction" and abi.reduce_ndim == 1 and abi.entry_point is None
    assert abi.bindings[-1].to_json() == {
        "binding": 3,
        "resource": "scratch",
        "access": "read_write",
        "element": "f32",
        "elements": "n*groups",
    }
    launch = abi.launch
    assert launch.kind == "reduction" and launch.workgroup_size == (256, 1, 1)
    assert launch.split_rule == SPLIT_RULE and launch.stages == STAGES
    for stage in (*launch.stages.single, *launch.stages.split):
        assert f"fn {stage.entry_point}(" in p.code
    whats = [m.key.what for m in abi.uniforms]
    assert {"reduce_size", "reduce_shape", "reduce_groups"} <= set(whats)


def test_glsl_abi():
    p = translate("glsl", "T x", "T y", "x", "a + b", "y = y + a", "0")
    abi, launch = p.abi, p.abi.launch
    assert launch.kind == "reduction" and launch.fan_in == FAN_IN
    assert launch.partial_format == "r32f"
    contents = [(t.unit, t.contents) for t in abi.textures]
    assert contents == [(0, "array"), (1, "previous"), (2, "partials")]
    partial = launch.partial_shader
    assert [(t.unit, t.contents) for t in partial.textures] == [
        (0, "array"),
        (2, "partials"),
    ]
    assert [o.to_json() for o in partial.outputs] == [
        {"location": 0, "name": "o_kc_partial", "param": None, "format": "r32f"}
    ]
    assert abi.outputs[0].param == "y"
    whats = {m.key.what for m in abi.uniforms}
    assert {"pass", "pass_items", "pass_chunks", "out_width", "reduce_size"} <= whats


def test_partials_take_the_reduce_dtype():
    kernel = ("X x", "Y y", "x > 0.5f", "a + b", "y = a", "0")
    options = {"types": {"X": "float32", "Y": "float32"}, "reduce_type": "int"}
    wgsl = kernelc.translate_reduction(*kernel, "count", target="wgsl", **options)
    assert wgsl.abi.bindings[-1].element == "i32"
    assert "var<workgroup> kc_sdata: array<i32, 256>;" in wgsl.code
    glsl = kernelc.translate_reduction(*kernel, "count", target="glsl", **options)
    assert glsl.abi.launch.partial_format == "r32i"
    assert "uniform highp isampler2D t_kc_partials;" in glsl.code


# ---------------------------------------------------------------------------- shells

KERNELS = [
    ("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0"),
    ("T x", "bool y", "x != 0", "a || b", "y = a", "false"),
    ("T x, raw T w, T s", "T y, T z", "x * w[_J] + s", "max(a, b)", "y = a, z = a * s", "s"),
    ("T data, int32 len", "int32 y", "data == T(0) ? len : _j", "min(a, b)", "y = a", "len"),
]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k[3])
@pytest.mark.parametrize("ndim, reduce_ndim", [(0, 1), (2, 3)])
def test_every_stage_and_pass_validates(kernel, ndim, reduce_ndim):
    options = {
        "ndim": ndim,
        "reduce_ndim": reduce_ndim,
        "raw": {"w": (1, True)},
        "scalars": ("s", "len"),
    }
    validate_wgsl(translate("wgsl", *kernel, **options).code)
    glsl = translate("glsl", *kernel, **options)
    validate_glsl(glsl.code)
    validate_glsl(glsl.abi.launch.partial_shader.code)


def test_barriers_only_in_uniform_control_flow():
    """No early return anywhere; the one tree function holds the barriers, and each entry
    point calls it once, inside an `if` on the workgroup index and uniforms only."""
    code = translate("wgsl").code
    assert "return" not in code[code.index("@compute") :]
    tree = code[code.index("fn kc_tree(") : code.index("@compute")]
    assert code.count("workgroupBarrier()") == tree.count("workgroupBarrier()") == 2
    for entry in re.split(r"@compute @workgroup_size\(256\)\n", code)[1:]:
        if "fn main_columns" in entry:  # no tree, no barrier
            assert "kc_tree" not in entry
            continue
        guard = re.search(r"\n    if \((kc_wg < [^)]*\)[^{]*)\) \{", entry)
        assert guard and "lid" not in guard.group(1)
        assert entry.count("kc_tree(lid.x, kc_acc)") == 1


def test_entry_point_names_are_reserved():
    pre = "__device__ float main_partial(float v) { return v + 1.0f; }"
    p = translate("wgsl", "T x", "T y", "main_partial(x)", "a + b", "y = a", "0", preamble=pre)
    assert "fn main_partial_1(v: f32) -> f32" in p.code
    validate_wgsl(p.code)


def test_glsl_partials_need_a_texture_unit():
    ins = ", ".join(f"T x{k}" for k in range(16))
    with pytest.raises(UnsupportedOnTarget, match="partials of a multi-pass reduction"):
        translate("glsl", ins, "T y", "x0", "a + b", "y = a", "0")
    ins = ", ".join(f"T x{k}" for k in range(15))
    validate_glsl(translate("glsl", ins, "T y", "x0 + x14", "a + b", "y = a", "0").code)
