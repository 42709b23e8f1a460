"""Every built-in math function (`kernelc.ir.builtins.MATH`) on both targets: each is a
native function or in the shader library, and a kernel calling it is accepted by the real
compiler.

Rule: the list of functions comes from `builtins.MATH`, so a function added there without
an emitter mapping fails here.
"""

from __future__ import annotations

import pytest

from kernelc import emit_glsl, emit_wgsl
from kernelc.emit_glsl.emitter import GlslEmitter
from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.ir import builtins
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import float32, int32, uint32
from kernelc.ir.passes.array_access import lower_array_access
from kernelc.lib.library import library, library_name
from kernelc.lib.link import link
from tests.support.ir_samples import legalise, math_kernel
from tests.support.validate import (
    glslang_available,
    validate_glsl,
    validate_wgsl,
    wgsl_available,
)

EMITTERS = {"wgsl": (WgslEmitter, emit_wgsl.emit), "glsl": (GlslEmitter, emit_glsl.emit)}
CASES = [(fn, float32) for fn in sorted(builtins.MATH)]
CASES += [(fn, dt) for fn in ("abs", "min", "max") for dt in (int32, uint32)]


@pytest.fixture(params=["wgsl", "glsl"])
def target(request):
    available = wgsl_available() if request.param == "wgsl" else glslang_available()
    if not available:
        pytest.skip(f"no {request.param} validator here")
    return request.param


@pytest.mark.parametrize("emitter", [WgslEmitter, GlslEmitter], ids=["wgsl", "glsl"])
def test_every_function_is_native_or_in_the_library(emitter):
    kinds = {"f": float32, "i": int32, "u": uint32}
    for fn, spec in builtins.MATH.items():
        dts = kinds if spec.kind == "generic" else {"": float32}
        for kind, dt in dts.items():
            key = f"{fn}.{kind}" if kind else fn
            call = ir.Math(fn, (ir.Const(1, dt),) * spec.arity, dt)
            assert key in emitter.MATH or library_name(call) in library().functions, key
            assert not emitter.MATH.get(key, "").startswith("kc_"), "the library is in C"


@pytest.mark.parametrize("fn, dt", CASES, ids=[f"{fn}-{dt.name}" for fn, dt in CASES])
def test_function_compiles(fn, dt, target):
    code, _ = EMITTERS[target][1](legalise(math_kernel(fn, dt), target))
    (validate_wgsl if target == "wgsl" else validate_glsl)(code)


@pytest.mark.parametrize("target_name", ["wgsl", "glsl"])
def test_whole_library_and_primitives_compile(target_name):
    """Every primitive and every library function, used or not, in one program."""
    emitter_cls, _ = EMITTERS[target_name]
    if not (wgsl_available() if target_name == "wgsl" else glslang_available()):
        pytest.skip("no validator here")
    kernel = lower_array_access(math_kernel("pow"), target_name)
    natives = (emit_wgsl if target_name == "wgsl" else emit_glsl).NATIVE_MATH
    kernel = link(kernel, natives, library().functions)
    emitter = emitter_cls(kernel)
    emitter.primitives_used.update(emitter.PRIMITIVES.names)
    code, _ = emitter.emit()
    for name in [*emitter.PRIMITIVES.names, *library().functions]:
        assert f"{name}(" in code
    (validate_wgsl if target_name == "wgsl" else validate_glsl)(code)


def test_math_spellings():
    def body(fn, target, dt=float32):
        code, _ = EMITTERS[target][1](legalise(math_kernel(fn, dt), target))
        return code[code.rindex("main(") :]

    assert "inverseSqrt(" in body("rsqrt", "wgsl") and "inversesqrt(" in body("rsqrt", "glsl")
    assert "= round(" in body("rint", "wgsl") and "= roundEven(" in body("rint", "glsl")
    assert "kc_round(" in body("round", "wgsl") and "kc_round(" in body("round", "glsl")
    assert "kc_fmin(" in body("min", "wgsl") and "= min(" in body("min", "glsl", int32)
    assert "= abs(" in body("abs", "wgsl", int32)
    assert "abs(" not in body("abs", "glsl", uint32)  # |u| is u; GLSL has no abs(uint)
    assert "kc_isnan(" in body("isnan", "glsl") and "isnan(" not in body("isnan", "glsl").replace(
        "kc_isnan(", ""
    )
