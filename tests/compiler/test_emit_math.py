"""Every built-in math function (`kernelc.ir.builtins.MATH`) on both targets: each has a
mapping or a helper, and a kernel calling it is accepted by the real compiler.

Rule: the list of functions comes from `builtins.MATH`, so a function added there without
an emitter mapping fails here.
"""

from __future__ import annotations

import pytest

from kernelc import emit_glsl, emit_wgsl
from kernelc.emit_glsl.emitter import GlslEmitter
from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.ir import builtins
from kernelc.ir.dtypes import float32, int32, uint32
from kernelc.ir.passes.array_access import lower_array_access
from tests.support.ir_samples import math_kernel
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
def test_every_function_has_a_mapping(emitter):
    for fn, spec in builtins.MATH.items():
        kinds = "fiu" if spec.kind == "generic" else ""
        keys = [f"{fn}.{k}" for k in kinds] or [fn]
        for key in keys:
            name = emitter.MATH[key]
            assert name == "" or not name.startswith("kc_") or name in emitter.LIBRARY.names


@pytest.mark.parametrize("fn, dt", CASES, ids=[f"{fn}-{dt.name}" for fn, dt in CASES])
def test_function_compiles(fn, dt, target):
    code, _ = EMITTERS[target][1](lower_array_access(math_kernel(fn, dt), target))
    (validate_wgsl if target == "wgsl" else validate_glsl)(code)


@pytest.mark.parametrize("target_name", ["wgsl", "glsl"])
def test_whole_helper_library_compiles(target_name):
    """Every helper, used or not, in one program."""
    emitter_cls, _ = EMITTERS[target_name]
    if not (wgsl_available() if target_name == "wgsl" else glslang_available()):
        pytest.skip("no validator here")
    kernel = lower_array_access(math_kernel("pow"), target_name)
    emitter = emitter_cls(kernel)
    emitter.helpers_used.update(emitter.LIBRARY.names)
    emitter.use = lambda name: None
    code, _ = emitter.emit()
    for name in emitter.LIBRARY.names:
        assert name in code
    (validate_wgsl if target_name == "wgsl" else validate_glsl)(code)


def test_math_spellings():
    def body(fn, target, dt=float32):
        code, _ = EMITTERS[target][1](lower_array_access(math_kernel(fn, dt), target))
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
