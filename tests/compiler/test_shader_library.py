"""The shader library (`kernelc/lib`): written once in kernelc's C, lowered once, linked
into a kernel's IR with only the functions it reaches, printed by both emitters like any
other function, and run by the interpreter; and the device-internal shaders, one copy each.

Rule: what a target computes is checked by executing it (test_math_accuracy.py); here, the
linking, naming and single-source rules.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import kernelc
from kernelc import emit_glsl, emit_wgsl
from kernelc.errors import KernelNameError
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, float32, uint32
from kernelc.ir.interp import run_elementwise
from kernelc.ir.validate import validate
from kernelc.ir.visit import walk
from kernelc.lib.library import PREFIX, library
from kernelc.lib.link import link
from kernelc.lib.shaders import NAMES, PROGRAMS, copy_shader, device_program, device_shader
from kernelc.pipeline import lower_kernel
from tests.support.validate import (
    glslang_available,
    validate_glsl,
    validate_wgsl,
    wgsl_available,
)

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"wgsl": emit_wgsl, "glsl": emit_glsl}


def translate(operation: str, target: str, preamble: str = "") -> str:
    program = kernelc.translate_elementwise(
        "float32 x", "float32 y", operation, "k", preamble, target=target
    )
    return program.code


def defined(code: str) -> set[str]:
    """The kc_ functions a program defines (WGSL `fn kc_x(`, GLSL `type kc_x(`)."""
    return set(re.findall(r"^(?:fn|\w+) (kc_\w+)\(", code, re.MULTILINE))


def test_library_is_lowered_once_and_pure():
    lib = library()
    assert lib is library()
    assert "kc_erf" in lib.functions and "kc_f16_encode" in lib.functions
    for f in lib.functions.values():
        assert f.name.startswith(PREFIX)
        assert f.return_dtype is None or not any(p.is_ref for p in f.params)
        for n in walk(f.body):
            assert not isinstance(n, (ir.Atomic, ir.ElemStore, ir.RawStore, ir.ElemLoad))
            if isinstance(n, ir.Call):
                assert n.func in lib.functions


@pytest.mark.parametrize("target", TARGETS)
def test_a_program_holds_only_the_library_functions_it_reaches(target):
    erf = defined(translate("y = erff(x);", target))
    assert {"kc_erf", "kc_erf_small", "kc_exp_sq", "kc_exp_hl", "kc_erfcx_tail"} <= erf
    assert not erf & {"kc_lgamma", "kc_tgamma", "kc_log", "kc_f16_encode", "kc_exp"}
    plain = defined(translate("y = x * 2.0f;", target))
    assert not plain & set(library().functions)


@pytest.mark.parametrize("target", TARGETS)
def test_library_code_compiles_like_user_code(target):
    if not (wgsl_available() if target == "wgsl" else glslang_available()):
        pytest.skip(f"no {target} validator here")
    code = translate("y = lgammaf(x) + (x != x ? 1.0f : powf(x, 0.5f));", target)
    assert "kc_lgamma(" in code and "kc_isnan(" in code
    (validate_wgsl if target == "wgsl" else validate_glsl)(code)


@pytest.mark.parametrize("target", TARGETS)
def test_a_user_function_may_have_a_library_name(target):
    preamble = "__device__ float kc_erf(float v) { return v + 1.0f; }"
    code = translate("y = kc_erf(x) + erff(x);", target, preamble)
    assert "v_kc_erf(" in code and re.search(r"^(fn|float) kc_erf\(", code, re.MULTILINE)
    if wgsl_available() if target == "wgsl" else glslang_available():
        (validate_wgsl if target == "wgsl" else validate_glsl)(code)


def test_native_functions_are_for_the_library_only():
    with pytest.raises(KernelNameError, match="undeclared function 'native_expf'"):
        translate("y = native_expf(x);", "wgsl")


def test_linking_spells_a_nan_test_as_isnan_and_keeps_natives():
    x = ir.Local("x", float32)
    body = (
        ir.Declare("x", float32, ir.Const(1.0, float32)),
        ir.Declare("a", bool_, ir.Binary(ir.BinaryOp.NE, x, x, bool_)),
        ir.Declare("b", float32, ir.Math("sqrt", (x,), float32)),
    )
    kernel = link(ir.Kernel("k", (), (), body, 1), emit_wgsl.NATIVE_MATH)
    assert kernel.body[1].init == ir.LibCall("kc_isnan", (x,), bool_)
    assert kernel.body[2].init == ir.Math("sqrt", (x,), float32)
    assert [f.name for f in kernel.functions] == ["kc_isnan"]


def test_the_interpreter_runs_linked_library_functions():
    kernel, _ = lower_kernel("float32 x", "float32 y", "y = erff(x) + lgammaf(x)")
    linked = link(kernel, emit_glsl.NATIVE_MATH)
    assert any(isinstance(n, ir.LibCall) for n in walk(linked.body))
    x = np.linspace(0.1, 6.0, 601, dtype=np.float32)
    y = np.zeros_like(x)
    run_elementwise(linked, {"x": x, "y": y}, x.shape)
    want = np.array([math.erf(v) + math.lgamma(v) for v in x.astype(np.float64)])
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(y - want) / ulp) < 8


BESSEL_FUNCTIONS = re.compile(r"kc_(f64_)?(j[01n]|y[01n]|cyl_bessel_i[01]|besf?_\w+)$")


@pytest.mark.parametrize("exact64", [False, True], ids=["fast64", "exact64"])
@pytest.mark.parametrize("target", TARGETS)
def test_bessel_functions_of_constants_fold(target, exact64):
    """Bessel functions of constants fold to kernelc.ir.bessel's values (jn and yn take
    an int order first); only a run-time argument links the library's."""
    operation = "z = j0f(1.0f) + x; y = jn(2, 0.5) + yn(-3, 2.0) + cyl_bessel_i1(-1.0);"
    params = ("float32 x", "float64 y, float32 z", operation, "k")
    code = kernelc.translate_elementwise(*params, target=target, exact64=exact64).code
    assert not {f for f in defined(code) if BESSEL_FUNCTIONS.match(f)}
    assert "kc_j0" in defined(translate("y = j0f(x);", target))
    kernel, _ = lower_kernel(*params, exact64=exact64)
    x = np.array([0.0, 0.25], np.float32)
    args = {"x": x, "y": np.zeros(2, np.float64), "z": np.zeros(2, np.float32)}
    run_elementwise(kernel, args, x.shape)
    # J0(1), J2(1/2), Y_-3(2) = -Y3(2) and I1(1) = -I1(-1), from mpmath at 100 digits
    j0, j2, y_3, i1 = 0.7651976865579666, 0.03060402345868264, 1.1277837768404277, 0.565159103992485
    want_y = j2 + y_3 - i1 if exact64 else np.float32(j2) + np.float32(y_3) - np.float32(i1)
    np.testing.assert_allclose(args["z"], np.float32(j0) + x, rtol=0)
    np.testing.assert_allclose(args["y"], want_y, rtol=1e-15 if exact64 else 1e-7)


def test_device_shaders_exist_once():
    for name in NAMES:
        assert device_shader(name).strip()
    copies = [
        *(ROOT / "js_bridge").glob("*.js"),
        *(ROOT / "wgpy_runtime" / "device").glob("*.py"),
        *(ROOT / "kernelc").rglob("*.py"),
    ]
    for path in copies:
        text = path.read_text(encoding="utf-8")
        for line in ("gl_VertexID", "texelFetch(src,", "fn src_byte(", "kc_byte_copy"):
            assert line not in text, f"{path} holds a device shader of its own"
    assert emit_glsl.VERTEX_SHADER == device_shader("vertex.glsl")


def test_device_shaders_compile():
    if glslang_available():
        validate_glsl(device_shader("vertex.glsl"), "vert")
        for kind in ("", "i", "u"):
            validate_glsl(
                copy_shader({"": "float", "i": "int", "u": "uint"}[kind], f"{kind}sampler2D")
            )
    if wgsl_available():
        validate_wgsl(device_shader("byte_copy.wgsl"))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_device_programs_contracts_match_their_shaders(name):
    """A device program's contract (NAME.json) declares what its shader does: the
    workgroup size, the uniform struct's members in order, and each binding's access."""
    program = device_program(name)
    abi, code = program.abi, program.code
    size = re.search(r"@workgroup_size\((\d+)\)", code).group(1)
    assert abi.launch.workgroup_size == (int(size), 1, 1)
    fields = re.search(r"struct \w+ \{([^}]*)\}", code).group(1)
    members = [f.split(":")[0].strip() for f in fields.split(",")]
    assert [m.name for m in sorted(abi.uniforms, key=lambda m: m.offset)] == members
    assert [m.offset for m in abi.uniforms] == [4 * k for k in range(len(members))]
    declared = re.findall(r"@binding\((\d+)\) var<(uniform|storage, (read|read_write))>", code)
    assert [(b.binding, b.access or "") for b in abi.bindings] == [
        (int(k), access) for k, _, access in declared
    ]
    assert abi.uniform_size % 16 == 0 and abi.bindings[0].size == abi.uniform_size


@pytest.mark.parametrize("target", TARGETS)
def test_library_text_is_reused_only_where_names_agree(target):
    """kc_erf_small has a local `z`: a user function `z` makes it `z_1` in that program
    alone (the emitter reuses a library function's text only for the same names)."""
    plain = translate("y = erff(x);", target)
    crowded = translate("y = z(x) + erff(x);", target, "__device__ float z(float a) { return a; }")
    again = translate("y = erff(x);", target)
    small = re.compile(r"^(?:fn|float) kc_erf_small\(.*?^}", re.MULTILINE | re.DOTALL)
    assert "z_1" in small.search(crowded).group() and "z_1" not in small.search(plain).group()
    assert again == plain
    if wgsl_available() if target == "wgsl" else glslang_available():
        (validate_wgsl if target == "wgsl" else validate_glsl)(crowded)


def test_a_call_of_a_library_function_links_it():
    """64-bit operations will be lowered to `Call`s of library functions that return
    through reference parameters: linking follows those too."""
    h, lo = ir.Local("h", uint32), ir.Local("lo", uint32)
    body = (
        ir.Declare("h", uint32, ir.Const(1, uint32)),
        ir.Declare("lo", uint32, ir.Const(2, uint32)),
        ir.Call("kc_u64_mul", (h, lo, h, lo, h, lo)),
    )
    kernel = validate(link(ir.Kernel("k", (), (), body, 1), emit_wgsl.NATIVE_MATH))
    assert [f.name for f in kernel.functions] == ["kc_u32_mul_wide", "kc_u64_mul"]
