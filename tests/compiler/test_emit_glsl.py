"""The GLSL ES 3.00 emitter: every sample kernel validated by glslangValidator, the
spelling of each construct, the ABI dict, the vertex shader, limits and internal errors.

Rule: kernels are hand-built IR (`tests.support.ir_samples`), legalised with
`lower_array_access(kernel, "glsl")` and emitted; every emitted shader goes through
glslangValidator, which must report neither errors nor warnings.
"""

from __future__ import annotations

import re

import pytest

from kernelc import emit_glsl
from kernelc.abi import Contract
from kernelc.abi.layout import declared_uniforms, uniform_size
from kernelc.errors import InternalCompilerError, SourceText, Span, UnsupportedOnTarget
from kernelc.ir import nodes as ir
from tests.support import ir_samples as s
from tests.support.validate import glslang_available, validate_glsl

GLSL_SAMPLES = [n for n, build in s.SAMPLES.items() if "glsl" in build().targets]


@pytest.fixture(scope="session")
def glslang():
    if not glslang_available():
        pytest.skip("glslangValidator is not installed")
    return validate_glsl


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    return emit_glsl.emit(s.legalise(kernel, "glsl"))


def main_body(code: str) -> str:
    return code[code.index("void main()") :]


@pytest.mark.parametrize("name", GLSL_SAMPLES)
def test_sample_is_valid_glsl(name, glslang):
    code, _ = emit(s.SAMPLES[name]().kernel)
    glslang(code)


@pytest.mark.parametrize("name", GLSL_SAMPLES)
def test_output_is_deterministic(name):
    assert emit(s.SAMPLES[name]().kernel) == emit(s.SAMPLES[name]().kernel)


def test_vertex_shader_is_valid(glslang):
    assert emit_glsl.VERTEX_SHADER.startswith("#version 300 es\n")
    assert "gl_VertexID" in emit_glsl.VERTEX_SHADER
    glslang(emit_glsl.VERTEX_SHADER, "vert")


def test_shell_follows_the_abi():
    code, _ = emit(s.squared_diff().kernel)
    assert code.startswith("#version 300 es\n")
    for line in (
        "precision highp float;",
        "precision highp int;",
        "precision highp sampler2D;",
        "precision highp isampler2D;",
        "precision highp usampler2D;",
        "layout(std140) uniform KcParams {",
        "    highp int k_out_width;",
        "} u;",
        "uniform highp sampler2D t_x;",
        "uniform highp sampler2D t_y;",
        "layout(location = 0) out highp float o_z;",
    ):
        assert f"\n{line}\n" in code
    body = main_body(code)
    assert body.startswith(
        "void main() {\n"
        "    int i = int(gl_FragCoord.y) * u.k_out_width + int(gl_FragCoord.x);\n"
        "    if (i >= u.k_n) {\n        discard;\n    }\n"
        "    int kc_w_t_x = textureSize(t_x, 0).x;\n"
        "    int kc_w_t_y = textureSize(t_y, 0).x;\n"
        "    o_z = 0.0;\n"
    )
    assert "texelFetch(t_x, kc_texel(kc_pos_x, kc_w_t_x), 0).r" in body
    # coordinates: one unsigned division by a shape an axis (natively), the rest from it
    assert "int kc_cq1 = int(uint(i) / uint(u.k_shape1));" in body
    assert "int kc_c1 = i - kc_cq1 * u.k_shape1;" in body
    assert "o_z = (texelFetch(t_x" in body


def test_contract_json():
    kernel = s.accumulate_old().kernel
    _, abi = emit(kernel)
    members = declared_uniforms(kernel, "glsl", "elementwise")
    assert abi.uniforms == members and abi.uniform_size == uniform_size(members)
    j = abi.to_json()
    assert set(j) == {
        "abi_version",
        "target",
        "kernel",
        "kind",
        "ndim",
        "params",
        "uniforms",
        "uniform_size",
        "textures",
        "outputs",
        "uniform_block",
        "launch",
    }
    assert j["abi_version"] == 2 and j["target"] == "glsl" and j["ndim"] == 2
    assert j["textures"] == [
        {"unit": 0, "name": "t_x", "param": "x", "format": "r32f", "contents": "array"},
        {"unit": 1, "name": "tp_y", "param": "y", "format": "r32f", "contents": "previous"},
    ]
    assert j["outputs"] == [{"location": 0, "name": "o_y", "param": "y", "format": "r32f"}]
    assert j["uniform_block"] == {"name": "KcParams", "binding": 0}
    assert j["launch"] == {
        "kind": "fragment",
        "vertex_shader": emit_glsl.VERTEX_SHADER,
        "max_width": 4096,
    }
    assert Contract.from_json(j) == abi


def test_formats_and_samplers_per_dtype():
    code, abi = emit(s.four_outputs().kernel)
    assert [o.format for o in abi.outputs] == ["r32f", "r32i", "r32ui", "r32ui"]
    for k, t in enumerate(("float o_a", "int o_b", "uint o_c", "uint o_d")):
        assert f"layout(location = {k}) out highp {t};" in code
    assert "o_d = uint(texelFetch(t_x, kc_texel(kc_pos_x, kc_w_t_x), 0).r > 0.0);" in code
    _, abi = emit(s.bool_arrays().kernel)
    assert [(t.name, t.format) for t in abi.textures] == [
        ("t_m", "r32ui"),
        ("t_b", "r32ui"),
        ("tp_o", "r32ui"),
    ]


def test_outputs_start_defined():
    body = main_body(emit(s.accumulate_old().kernel)[0])
    assert "    o_y = texelFetch(tp_y, kc_texel(i, kc_w_tp_y), 0).r;\n" in body  # may survive
    body = main_body(emit(s.four_outputs().kernel)[0])
    assert "    o_a = 0.0;\n    o_b = 0;\n    o_c = 0u;\n    o_d = 0u;\n" in body


def test_constants():
    body = main_body(emit(s.constants().kernel)[0])
    for text in (
        "float f0 = kc_inf();",
        "float f1 = -kc_inf();",
        "float f2 = kc_nan();",
        "float f3 = -kc_zero();",
        "float f4 = kc_opaque_float(3.4028235e+38);",
        "float f6 = kc_opaque_float(0.00001);",
        "int i0 = (-2147483647 - 1);",
        "int i2 = -5;",
        "uint u1 = 4294967295u;",
        "bool b1 = false;",
    ):
        assert text in body
    code = emit(s.constants().kernel)[0]
    assert "uintBitsToFloat(0x7f800000u | kc_zero_bits())" in code  # built at run time
    assert "return uint(min(u.k_n, 0));" in code


def test_integer_division_and_shifts_are_defined():
    body = main_body(emit(s.int_ops().kernel)[0])
    n, d = "texelFetch(t_n, kc_texel(kc_pos_n, kc_w_t_n), 0).r", "kc_pos_d"
    assert f"kc_idiv({n}, 3)" in body and f"kc_imod({n}, -7)" in body  # negative operands
    assert f"{n} << 2" in body and f"{n} >> (u.s_s & 31)" in body
    assert "kc_umod(" in body and "kc_udiv(" not in body  # m / 5u is native
    assert ">> 3u" in body  # constant count 35 reduced mod 32
    code = emit(s.int_ops().kernel)[0]
    assert "int kc_idiv(int x, int y) {" in code and "uint kc_uabs(int x) {" in code
    assert d in body


def test_select_casts_and_bitcasts():
    body = main_body(emit(s.scalars().kernel)[0])
    assert "o_y = u.s_flag != 0u ? " in body and "float(u.s_k)" in body
    body = main_body(emit(s.casts().kernel)[0])
    assert "kc_f2i(" in body and "kc_f2u(" in body and "int(texelFetch(t_x" not in body
    body = main_body(emit(s.bitcasts().kernel)[0])
    assert "floatBitsToUint(" in body and "intBitsToFloat(" in body
    assert "uintBitsToFloat(" in body and "floatBitsToInt(" in body


def test_loops_copy_continuing_before_each_continue():
    body = main_body(emit(s.control_flow().kernel)[0])
    assert body.count("for (;;) {") == 2
    assert (
        "        if (kc_imod(j, 2) == 1) {\n            j = j + 1;\n            continue;\n" in body
    )
    assert (
        "            if (q == 1) {\n                q = q + 1;\n                continue;\n" in body
    )
    assert "            acc = acc + 0.25;\n            q = q + 1;\n        }\n" in body
    assert body.count("j = j + 1;") == 2 and body.count("q = q + 1;") == 2
    assert "o_y = -1.0;\n        o_k = -1;\n        return;" in body


def test_local_arrays():
    body = main_body(emit(s.local_arrays().kernel)[0])
    assert (
        "float a[4] = float[4](texelFetch(t_x, kc_texel(kc_pos_x, kc_w_t_x), 0).r, kc_opaque_float(1.0), kc_zero(), kc_zero());"
        in body
    )
    assert "int b[3] = int[3](0, 0, 0);" in body
    assert (
        "float big[32];\n    for (int kc_k = 0; kc_k < 32; kc_k++) {\n        big[kc_k] = 0.0;"
        in body
    )
    assert "bool bb[2] = bool[2](true, false);" in body


def test_functions():
    code, _ = emit(s.functions().kernel)
    assert code.index("float sq(") < code.index("void accumulate(")  # declared before use
    assert "void accumulate(inout float acc, float v) {" in code
    assert (
        "float clampx(float v, float lo) {\n    if (v < kc_opaque_float(lo)) {\n        v = lo;"
        in code
    )
    assert "void pass_on(inout float a, inout float b) {\n    accumulate(a, b);" in code
    assert "float sign_of(float v) {" in code and "    return 0.0;\n}" in code


def test_names_avoid_keywords_globals_and_helpers():
    code, abi = emit(s.names().kernel)
    assert "__" not in code and not re.search(r"\b_\w", code)
    assert not re.search(r"\bgl_(?!FragCoord)", code)
    for text in (
        "float u_1 = kc_zero();",
        "float i_2 = kc_opaque_float(1.0);",
        "float t_x_1 = kc_opaque_float(4.0);",
        "float o_y_1 = kc_opaque_float(5.0);",
        "float float_1 = kc_opaque_float(7.0);",
        "float in_1 = kc_opaque_float(17.0);",
        "float out_1 = kc_opaque_float(18.0);",
        "float highp_1 = kc_opaque_float(19.0);",
        "float sample_1 = kc_opaque_float(25.0);",
        "float kc_w_t_x_1 = kc_opaque_float(26.0);",
        "void main_1(inout float main_2)",
        "float select_1(float float_1)",
        "uniform highp sampler2D t_sample;",
        "uniform highp sampler2D t_p;",
        "uniform highp sampler2D t_a_b;",
    ):
        assert text in code
    assert [t.name for t in abi.textures] == ["t_x", "t_sample", "t_p", "t_a_b"]


def test_ieee_corners():
    body = main_body(emit(s.ieee_corners().kernel)[0])
    assert "* kc_zero() + -kc_zero() * " in body
    assert " - kc_opaque_float(texelFetch(t_x" in body
    assert "kc_isnan(texelFetch(t_x" in body


def many_outputs(count: int, reads_old: tuple[int, ...] = ()) -> ir.Kernel:
    dts = (s.F, s.I, s.U, s.BOOL)
    outs = [s.arr(f"y{k}", dts[k % 4], out=True, reads_old=k in reads_old) for k in range(count)]
    old = {p.name: s.cast(s.load(p.name, p.dtype), s.F) for p in outs if p.reads_old}
    body = [
        s.store(p.name, s.cast(s.add(s.load("x"), old.get(p.name, s.c(0.0))), p.dtype))
        for p in outs
    ]
    return s.kern(f"out{count}", [s.arr("x"), *outs], body)


@pytest.mark.parametrize("count", [5, 8, 10])
def test_more_than_four_outputs_make_output_groups(count, glslang):
    code, abi = emit(many_outputs(count, reads_old=(1, count - 1)))
    groups = abi.launch.output_groups
    sizes = [len(g.outputs) for g in groups]
    assert sizes == [4] * (count // 4) + ([count % 4] if count % 4 else [])
    assert groups[0].code == code and groups[0].outputs == abi.outputs
    rendered = [o.param for g in groups for o in g.outputs]
    assert rendered == [f"y{k}" for k in range(count)]  # each once, in parameter order
    previous = [t.param for t in abi.textures if t.contents == "previous"]
    assert previous == ["y1", f"y{count - 1}"]
    for k, g in enumerate(groups):
        assert [o.location for o in g.outputs] == list(range(len(g.outputs)))
        assert g.textures == abi.textures  # same names and units in every group
        assert f"// kernel out{count} (output group {k + 1} of {len(groups)}):" in g.code
        targets = re.findall(r"layout\(location = (\d)\) out highp \w+ (\w+);", g.code)
        assert targets == [(str(o.location), o.name) for o in g.outputs]
        others = [o for h in groups if h is not g for o in h.outputs]
        for o in others:  # computed into a local, never rendered
            assert re.search(rf"\n    (float|int|uint) {o.name} = ", main_body(g.code))
        glslang(g.code)
    assert emit(many_outputs(4))[1].launch.output_groups is None


def test_too_many_render_targets_or_textures_are_refused():
    kernel = many_outputs(5)
    outs = [p for p in kernel.params if p.is_output]
    legal = s.legalise(kernel, "glsl")
    with pytest.raises(
        UnsupportedOnTarget, match="5 outputs: a WebGL2 fragment shader writes at most 4"
    ):
        emit_glsl.GlslEmitter(legal).emit()  # one shader for all: only groups can do it
    source = SourceText("out_params", ", ".join(f"float32 y{k}" for k in range(5)))
    spans = {outs[4].name: Span(source, 52, 62)}
    legal = ir.Kernel("five", legal.params, (), legal.body, 1, spans=spans)
    with pytest.raises(UnsupportedOnTarget) as info:
        emit_glsl.GlslEmitter(legal).emit()
    assert info.value.span is spans[outs[4].name]  # the fifth output, where lowering knew it
    ins = [s.arr(f"x{k}") for k in range(17)]
    kernel = s.kern("many", [*ins, s.arr("y", out=True)], [s.store("y", s.load("x0"))])
    with pytest.raises(UnsupportedOnTarget, match="17 textures"):
        emit(kernel)


def test_internal_errors():
    with pytest.raises(InternalCompilerError, match="emit_glsl: Elem.* reached the emitter"):
        emit_glsl.emit(s.squared_diff().kernel)
    wgsl_store = ir.BufferStore("y", ir.LoopIndex(), s.c(1.0))
    with pytest.raises(InternalCompilerError, match="emit_glsl: unhandled BufferStore"):
        emit_glsl.emit(s.kern("k", [s.arr("y", out=True)], [wgsl_store]))
    not_previous = ir.BufferLoad("y", ir.LoopIndex(), s.F, previous=True)
    with pytest.raises(InternalCompilerError, match="texture read of 'y'"):
        emit(s.kern("k", [s.arr("y", out=True)], [s.store("y", not_previous)]))


def test_reduction_folds_fan_in_per_fragment():
    code, abi = emit(s.reduction().kernel)
    body = main_body(code)
    assert abi.kind == "reduction" and abi.outputs[0].name == "o_y"
    assert (
        "float kc_acc = 0.0;\n    int kc_first = kc_chunk * 32;\n    if (u.k_pass == 0) {" in body
    )
    # UNROLL elements at a time, their loads first, then one by one to the chunk's end
    assert "int kc_end = min(kc_first + 32, u.k_pass_items);" in body
    assert "for (int kc_k = 0; kc_k < 8; kc_k++) {\n            if (kc_end - kc_red_j < 4)" in body
    unrolled = body[body.index("kc_k < 8") : body.index("kc_k_1 < 32")]
    assert unrolled.count("texelFetch") % 4 == 0
    assert unrolled.rindex("texelFetch") < unrolled.index("kc_acc = kc_reduce(kc_acc, kc_map);")
    assert "kc_acc = kc_reduce(kc_acc, kc_map_4);\n            kc_red_j++;\n        }" in body
    assert "o_y = sqrt(kc_acc);" in body
    assert "float kc_reduce(float a, float b) {" in code
    partial = abi.launch.partial_shader.code
    assert "o_kc_partial = kc_acc;" in partial and "o_y" not in partial
