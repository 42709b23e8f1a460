"""The WGSL emitter: every sample kernel validated by naga, the spelling of each construct,
the ABI dict, naming, determinism and internal errors.

Rule: kernels are hand-built IR (`tests.support.ir_samples`), legalised with
`lower_array_access(kernel, "wgsl")` and emitted; every emitted module goes through naga.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from kernelc import emit_wgsl
from kernelc.abi import Contract
from kernelc.abi.layout import declared_uniforms, uniform_size
from kernelc.errors import InternalCompilerError
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType
from tests.support import ir_samples as s
from tests.support.validate import validate_wgsl, wgsl_available

WGSL_SAMPLES = [n for n, build in s.SAMPLES.items() if "wgsl" in build().targets]


@pytest.fixture(scope="session")
def naga():
    if not wgsl_available():
        pytest.skip("wgpu (naga) is not available")
    return validate_wgsl


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    return emit_wgsl.emit(s.legalise(kernel, "wgsl"))


def main_body(code: str) -> str:
    return code[code.index("@compute") :]


@pytest.mark.parametrize("name", WGSL_SAMPLES)
def test_sample_is_valid_wgsl(name, naga):
    code, _ = emit(s.SAMPLES[name]().kernel)
    naga(code)


@pytest.mark.parametrize("name", WGSL_SAMPLES)
def test_output_is_deterministic(name):
    assert emit(s.SAMPLES[name]().kernel) == emit(s.SAMPLES[name]().kernel)


def test_shell_follows_the_abi():
    code, _ = emit(s.squared_diff().kernel)
    assert "@group(0) @binding(0) var<uniform> u: KcParams;" in code
    assert "@group(0) @binding(1) var<storage, read> b_x: array<f32>;" in code
    assert "@group(0) @binding(3) var<storage, read_write> b_z: array<f32>;" in code
    assert "@compute @workgroup_size(256)" in code
    assert "@builtin(workgroup_id) wg: vec3<u32>" in code
    assert "@builtin(num_workgroups) nwg: vec3<u32>" in code
    assert "let gid = u32(u.k_base) + (wg.y * nwg.x + wg.x) * 256u + lid.x;" in code
    assert "if (gid >= u32(u.k_n)) {\n        return;\n    }\n    let i = i32(gid);" in code
    # coordinates: one unsigned division by a shape an axis (natively), the rest from it
    assert "let kc_cq1: i32 = i32(u32(i) / u32(u.k_shape1));" in code
    assert "let kc_c1: i32 = i - kc_cq1 * u.k_shape1;" in code
    assert (
        "b_z[kc_pos_z] = (b_x[kc_pos_x] - b_y[kc_pos_y]) * (b_x[kc_pos_x] - b_y[kc_pos_y]);" in code
    )


def test_contract_json():
    kernel = s.scalars().kernel
    _, abi = emit(kernel)
    members = declared_uniforms(kernel, "wgsl", "elementwise")
    size = uniform_size(members)
    assert abi.uniforms == members and abi.uniform_size == size
    j = abi.to_json()
    assert set(j) == {
        "abi_version",
        "target",
        "kernel",
        "kind",
        "entry_point",
        "ndim",
        "params",
        "uniforms",
        "uniform_size",
        "bindings",
        "launch",
    }
    assert j["abi_version"] == 2 and j["target"] == "wgsl" and j["kind"] == "elementwise"
    assert j["kernel"] == "scalars" and j["entry_point"] == "main" and j["ndim"] == 1
    assert j["uniforms"][:2] == [
        {"name": "k_n", "offset": 0, "type": "i32", "key": {"what": "size"}},
        {"name": "k_base", "offset": 4, "type": "i32", "key": {"what": "base"}, "default": 0},
    ]
    assert j["bindings"] == [
        {"binding": 0, "resource": "uniform", "size": size},
        {"binding": 1, "resource": "storage", "param": "x", "access": "read", "element": "f32"},
        {
            "binding": 2,
            "resource": "storage",
            "param": "y",
            "access": "read_write",
            "element": "f32",
        },
    ]
    assert j["launch"] == {
        "kind": "compute",
        "workgroup_size": [256, 1, 1],
        "max_workgroups_per_dimension": 65535,
    }
    assert [p["name"] for p in j["params"]] == ["x", "a", "k", "m", "flag", "y"]
    assert Contract.from_json(j) == abi


def test_scalars_and_bool_storage():
    code, _ = emit(s.scalars().kernel)
    assert "s_flag: u32," in code and "s_a: f32," in code and "s_k: i32," in code
    assert (
        "select(b_x[kc_pos_x] - f32(u.s_m), b_x[kc_pos_x] * u.s_a + f32(u.s_k), u.s_flag != 0u)"
        in code
    )
    code, _ = emit(s.bool_arrays().kernel)
    assert "var<storage, read_write> b_o: array<u32>;" in code
    assert "b_o[kc_pos_o] = select(0u, 1u, " in code
    assert "b_b[kc_pos_b] != 0u && b_m[u.a_m_offset + i] != 0u" in code


def test_constants():
    code = main_body(emit(s.constants().kernel)[0])
    for text in (
        "let f0: f32 = kc_inf();",
        "let f1: f32 = -kc_inf();",
        "let f2: f32 = kc_nan();",
        "let f3: f32 = -kc_zero();",
        "let f4: f32 = kc_opaque_f32(3.4028235e+38f);",
        "let f5: f32 = kc_opaque_f32(1e-45f);",
        "let f6: f32 = kc_opaque_f32(0.00001f);",
        "let f8: f32 = kc_opaque_f32(0.1f);",
        "let f10: f32 = kc_opaque_f32(16777216.0f);",
        "let i0: i32 = i32(-2147483648);",
        "let i2: i32 = -5i;",
        "let u1: u32 = 4294967295u;",
        "let b1: bool = false;",
    ):
        assert text in code
    assert "fn kc_inf() -> f32" in emit(s.constants().kernel)[0]


def test_casts_saturate_and_keep_bits():
    code = main_body(emit(s.casts().kernel)[0])
    assert "kc_f2i(b_x[kc_pos_x]) + i32(b_b[kc_pos_b] != 0u) + i32(b_m[kc_pos_m])" in code
    assert "kc_f2u(b_x[kc_pos_x]) + u32(b_n[kc_pos_n])" in code
    assert "b_x[kc_pos_x] != 0.0f && b_n[kc_pos_n] != 0i || b_m[kc_pos_m] != 0u" not in code
    assert "(!(b_x[kc_pos_x] == 0.0f) && b_n[kc_pos_n] != 0i) || b_m[kc_pos_m] != 0u" in code
    code = main_body(emit(s.bitcasts().kernel)[0])
    assert "bitcast<u32>(b_x[kc_pos_x]) ^ bitcast<u32>(b_n[kc_pos_n])" in code
    assert "bitcast<f32>(b_n[kc_pos_n]) + bitcast<f32>(b_m[kc_pos_m])" in code


def test_integer_operators():
    code = main_body(emit(s.int_ops().kernel)[0])
    assert "b_n[kc_pos_n] / 3i + b_n[kc_pos_n] % -7i" in code  # known non-zero: native
    assert "kc_idiv(b_n[kc_pos_n], b_d[kc_pos_d]) + kc_imod(b_n[kc_pos_n], b_d[kc_pos_d])" in code
    assert "b_n[kc_pos_n] >> u32(u.s_s)" in code  # WGSL shifts by u32
    assert "b_m[kc_pos_m] >> 3u" in code  # constant counts reduced mod 32
    assert "b_n[kc_pos_n] << b_m[kc_pos_m]" in code
    assert "~b_m[kc_pos_m] - (0u - b_m[kc_pos_m])" in code  # no unary minus on u32
    assert "kc_umod(b_m[kc_pos_m], u32(b_d[kc_pos_d]))" in code


def test_precedence_follows_wgsl_grammar():
    code = main_body(emit(s.precedence().kernel)[0])
    a, b, d = "b_a[kc_pos_a]", "b_b[kc_pos_b]", "b_d[kc_pos_d]"
    assert f"{a} - ({b} - {d})" in code
    assert f"kc_idiv({a}, {b} * 3i)" in code
    assert f"({a} + {b}) * {d}" in code
    assert f"-({a} + -{b})" in code
    assert f"({a} & {b}) == {d}" in code  # bitwise operands of comparisons in parentheses
    assert f"{a} << u32({b} + 1i)" in code  # shift operands are unary expressions
    assert f"({a} | {b}) & ({d} ^ 5i)" in code
    assert f"({a} < {b} && {b} > {d}) || {a} == {d}" in code  # && and || never mix bare
    assert f"({a} < {b}) == ({b} > {d})" in code  # comparisons never chain


def test_control_flow():
    code = main_body(emit(s.control_flow().kernel)[0])
    assert "loop {" in code and "continuing {\n                q = q + 1i;" in code
    assert code.count("continue;") == 2 and code.count("break;") == 2
    assert "} else if (b_x[kc_pos_x] < 1.0f) {" in code
    assert "b_y[kc_pos_y] = -1.0f;\n        b_k[kc_pos_k] = -1i;\n        return;" in code


def test_local_arrays():
    code = main_body(emit(s.local_arrays().kernel)[0])
    assert (
        "var a: array<f32, 4> = array<f32, 4>(b_x[kc_pos_x], kc_opaque_f32(1.0f), kc_zero(), kc_zero());"
        in code
    )
    assert "var b: array<i32, 3> = array<i32, 3>(0i, 0i, 0i);" in code
    assert "var big: array<f32, 32>;\n    big[0] = b_x[kc_pos_x];" in code
    assert "let bb: array<bool, 2>" not in code and "var bb: array<bool, 2>" in code
    assert "a[u32(i % 4i)] = a[u32(i % 4i)] + 10.0f;" in code


def test_functions():
    code, _ = emit(s.functions().kernel)
    assert code.index("fn sq(") < code.index("fn accumulate(")  # callees first
    assert "fn accumulate(acc: ptr<function, f32>, v: f32) {" in code
    assert "*acc = *acc + t;" in code
    assert "fn clampx(kc_in_v: f32, lo: f32) -> f32 {\n    var v: f32 = kc_in_v;" in code
    assert "fn sign_of(v: f32) -> f32 {" in code and "    return 0.0f;\n}" in code
    assert "accumulate(a, *b);" in code  # a reference passed on; a value read through it
    assert "accumulate(&t, b_x[kc_pos_x]);" in code
    assert "r = clampx(b_x[kc_pos_x], kc_opaque_f32(0.5f));" in code  # see stored_value
    assert "    sign_of(b_x[kc_pos_x]);" in code


def test_names_avoid_keywords_globals_and_helpers():
    code, abi = emit(s.names().kernel)
    assert "__" not in code
    assert not re.search(r"\b_\w", code)
    for text in (
        "var u_1: f32",
        "let i_2: f32",
        "let main_2: f32",
        "let b_x_1: f32",
        "let fn_1: f32",
        "let float_1: f32",
        "let sin_1: f32",
        "let v_gl_Pos: f32",
        "let x: f32 = kc_opaque_f32(11.0f);",
        "let a_b: f32",
        "let kc_zero_1: f32",
        "let KcParams_1: f32",
        "let v_webgl_x: f32",
        "fn main_1(main_2: ptr<function, f32>)",
        "fn select_1(float_1: f32) -> f32",
        "fn i_1(gid_1: f32) -> f32",
        "u_1 = select_1(",
        "main_1(&u_1);",
        "var<storage, read> b_sample: array<f32>;",
        "var<storage, read> b_p: array<f32>;",
        "var<storage, read> b_a_b: array<f32>;",
        "a_a_b_offset: i32,",
        "s_filter: f32,",
    ):
        assert text in code
    assert {m.name for m in abi.uniforms} >= {"a_p_offset", "a_a_b_stride0", "s_filter"}


def test_const_only_operations_are_hidden_from_constant_evaluation():
    code = main_body(emit(s.const_hazards().kernel)[0])
    assert "1.0f / kc_zero()" in code  # a zero divisor is a run-time value anyway
    assert "sqrt(kc_opaque_f32(-1.0f))" in code
    assert "bitcast<f32>(kc_opaque_i32(2139095040i))" in code
    assert "kc_opaque_i32(2147483647i) + 1i" in code and "kc_opaque_i32(1i) << 31u" in code
    assert "-kc_opaque_i32(i32(-2147483648))" in code and "kc_idiv(7i, 0i)" in code
    assert "kc_opaque_u32(4294967295u) << 4u" in code


def test_ieee_corners_survive_driver_simplification():
    code = main_body(emit(s.ieee_corners().kernel)[0])
    assert "b_x[kc_pos_x] * kc_zero() + -kc_zero() * b_y[kc_pos_y]" in code
    assert "b_x[kc_pos_x] - kc_opaque_f32(b_x[kc_pos_x])" in code
    assert "kc_isnan(b_x[kc_pos_x]) && !(!kc_isnan(b_y[kc_pos_y]))" in code
    assert "!(b_x[kc_pos_x] == b_y[kc_pos_y])" in code  # IEEE !=: naga's != is ordered


def test_atomics():
    code = main_body(emit(s.atomics().kernel)[0])
    header = emit(s.atomics().kernel)[0]
    assert "var<storage, read_write> b_h: array<atomic<u32>>;" in header
    assert "var<storage, read_write> b_c: array<atomic<i32>>;" in header
    assert "oi = atomicAdd(&b_c[u.a_c_offset + i % 4i], i);" in code
    assert (
        "atomicCompareExchangeWeak(kc_ptr, kc_bits, bitcast<u32>(bitcast<f32>(kc_bits) + " in code
    )
    assert "if (kc_swap_2.exchanged || kc_swap_2.old_value != 0i) {" in code
    assert (
        "old = bitcast<f32>(atomicExchange(&b_h[u.a_h_offset + 8i], bitcast<u32>(1.5f)));" in code
    )
    assert "atomicStore(&b_h[u.a_h_offset + 9i], bitcast<u32>(bitcast<f32>(atomicLoad(" in code


def test_helpers_are_emitted_only_when_used():
    code, _ = emit(s.squared_diff().kernel)
    locals_ = r"\bkc_(pos_\w+|c\d+|cq\d+)\b"  # positions, coordinates and their quotients
    assert "kc_" not in re.sub(locals_, "", code)
    code, _ = emit(s.functions().kernel)
    defined = set(re.findall(r"^fn (kc_\w+)\(", code, re.MULTILINE))
    called = set(re.findall(r"(?<!fn )\b(kc_\w+)\(", code))
    assert defined == called == {"kc_zero", "kc_opaque_f32"}  # `var t = 1.0`: see stored_value


def test_loop_only_returns_get_a_final_return():
    code, _ = emit(s.loop_return_function().kernel)
    assert "            return k;\n" in code and "    }\n    return 0i;\n}" in code


def test_unlegalised_and_unknown_nodes_are_internal_errors():
    with pytest.raises(InternalCompilerError, match="emit_wgsl: Elem.* reached the emitter"):
        emit_wgsl.emit(s.squared_diff().kernel)

    @dataclass(frozen=True)
    class Strange(ir.Expr):
        dtype: DType = s.F

    kernel = s.kern("k", [s.arr("y", out=True)], [s.store("y", Strange())])
    with pytest.raises(InternalCompilerError, match="emit_wgsl: unhandled Strange"):
        emit(kernel)
    with pytest.raises(InternalCompilerError, match="undeclared local 'nope'"):
        emit(s.kern("k", [s.arr("y", out=True)], [s.store("y", s.lc("nope"))]))
    glsl_only = ir.BufferLoad("y", ir.LoopIndex(), s.F, previous=True)
    with pytest.raises(InternalCompilerError, match="buffer access to 'y'"):
        emit(s.kern("k", [s.arr("y", out=True)], [s.store("y", glsl_only)]))


def test_reduction_is_a_workgroup_tree():
    code, abi = emit(s.reduction().kernel)
    body = main_body(code)
    assert abi.kind == "reduction" and abi.launch.kind == "reduction"
    assert {m.key.what for m in abi.uniforms} >= {
        "reduce_size",
        "reduce_shape",
        "reduce_groups",
    }
    assert "var<workgroup> kc_sdata: array<f32, 256>;" in code
    assert (
        "var kc_acc: f32 = 0.0f;\n        var kc_red_j: i32 = i32(lid.x);\n        loop {" in body
    )
    assert "kc_acc = kc_reduce(kc_acc, kc_map);" in body
    assert "continuing {\n                kc_red_j = kc_red_j + 256i;" in body
    assert "kc_acc = kc_tree(lid.x, kc_acc);\n        if (lid.x == 0u) {" in body
    assert "b_y[kc_pos_y] = sqrt(kc_acc);" in body
    assert "kc_red_j * u.a_x_stride0 + i * u.a_x_stride1" in body
    assert "return" not in body  # barriers stay in uniform control flow
