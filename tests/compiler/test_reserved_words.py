"""Every word a target reserves, used as a kernel's parameter, local and function parameter
name: the emitted shaders must compile with the real compilers and compute the right values.

Rule: the words are the specifications' lists written out here (GLSL ES 3.00 and WGSL
keywords and reserved words, plus what Mesa, glslang and naga refuse) and the emitters'
own lists (built-ins, predeclared names), minus the words C++ itself reserves (a kernel
cannot declare them). Words are tried in batches, one kernel per batch.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.emit_glsl import keywords as glsl_words
from kernelc.emit_wgsl import keywords as wgsl_words
from kernelc.frontend.exprparser import BUILTIN_TYPE_NAMES, SOFT_TYPE_NAMES
from kernelc.frontend.lexer import KEYWORDS
from kernelc.ir.dtypes import C_TYPES
from tests.support.kernel_call import call_elementwise
from tests.support.validate import validate_glsl, validate_wgsl

# GLSL ES 3.00.6 §3.8: keywords, and words reserved for future use; then what Mesa and
# glslang also refuse in a `#version 300 es` shader (found by compiling each as a name).
GLSL_ES_300 = set(
    """
    const uniform layout centroid flat smooth break continue do for while switch case default
    if else in out inout float int void bool true false invariant discard return mat2 mat3 mat4
    mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 vec2 vec3 vec4 ivec2 ivec3
    ivec4 bvec2 bvec3 bvec4 uint uvec2 uvec3 uvec4 lowp mediump highp precision sampler2D
    sampler3D samplerCube sampler2DShadow samplerCubeShadow sampler2DArray sampler2DArrayShadow
    isampler2D isampler3D isamplerCube isampler2DArray usampler2D usampler3D usamplerCube
    usampler2DArray struct
    attribute varying coherent volatile restrict readonly writeonly resource atomic_uint
    noperspective patch sample subroutine common partition active asm class union enum typedef
    template this goto inline noinline public static extern external interface long short
    double half fixed unsigned superp input output hvec2 hvec3 hvec4 dvec2 dvec3 dvec4 fvec2
    fvec3 fvec4 sampler3DRect filter image1D image2D image3D imageCube iimage1D iimage2D
    iimage3D iimageCube uimage1D uimage2D uimage3D uimageCube image1DArray image2DArray
    iimage1DArray iimage2DArray uimage1DArray uimage2DArray imageBuffer iimageBuffer
    uimageBuffer sampler1D sampler1DShadow sampler1DArray sampler1DArrayShadow isampler1D
    isampler1DArray usampler1D usampler1DArray sampler2DRect sampler2DRectShadow isampler2DRect
    usampler2DRect samplerBuffer isamplerBuffer usamplerBuffer sampler2DMS isampler2DMS
    usampler2DMS sampler2DMSArray isampler2DMSArray usampler2DMSArray sizeof cast namespace using
    packed samplerExternalOES samplerCubeArray samplerCubeArrayShadow isamplerCubeArray
    usamplerCubeArray imageCubeArray iimageCubeArray uimageCubeArray image2DMS iimage2DMS
    uimage2DMS image2DMSArray iimage2DMSArray uimage2DMSArray image2DRect iimage2DRect
    uimage2DRect dmat2 dmat3 dmat4 dmat2x2 dmat2x3 dmat2x4 dmat3x2 dmat3x3 dmat3x4 dmat4x2
    dmat4x3 dmat4x4
""".split()
)

# WGSL (W3C draft, §"Keywords" and §"Reserved Words"), then words naga also refuses.
WGSL = set(
    """
    alias break case const const_assert continue continuing default diagnostic discard else
    enable false fn for if let loop override requires return struct switch true var while
    NULL Self abstract active alignas alignof as asm asm_fragment async attribute auto await
    become cast catch class co_await co_return co_yield coherent column_major common compile
    compile_fragment concept const_cast consteval constexpr constinit crate debugger decltype
    delete demote demote_to_helper do dynamic_cast enum explicit export extends extern external
    fallthrough filter final finally friend from fxgroup get goto groupshared highp impl
    implements import inline instanceof interface layout lowp macro macro_rules match mediump
    meta mod module move mut mutable namespace new nil noexcept noinline nointerpolation
    non_coherent noncoherent noperspective null nullptr of operator package packoffset
    partition pass patch pixelfragment precise precision premerge priv protected pub public
    readonly ref regardless register reinterpret_cast require resource restrict self set shared
    sizeof smooth snorm static static_assert static_cast std subroutine super target template
    this thread_local throw trait try type typedef typeid typename typeof union unless unorm
    unsafe unsized use using varying virtual volatile wgsl where with writeonly yield
    binding_array
""".split()
)

NOT_CXX_NAMES = KEYWORDS | (BUILTIN_TYPE_NAMES - SOFT_TYPE_NAMES) | set(C_TYPES) | {"i"}
WORDS = sorted((GLSL_ES_300 | WGSL | glsl_words.ALL | wgsl_words.ALL) - NOT_CXX_NAMES)
BATCH = 40


def batches():
    for k in range(0, len(WORDS), BATCH):
        chunk = WORDS[k : k + BATCH]
        yield pytest.param(chunk, id=f"{chunk[0]}..{chunk[-1]}")


def test_the_lists_hold_the_words_the_specifications_reserve():
    assert GLSL_ES_300 - glsl_words.ALL == set()
    assert WGSL - wgsl_words.ALL == set()


@pytest.mark.parametrize("words", batches())
def test_reserved_words_as_names(words, target):
    first, rest = words[0], words[1:]
    params = ", ".join(f"float {w}" for w in rest)
    preamble = f"__device__ float sum_of({params}) {{ return {' + '.join(rest)}; }}"
    locals_ = " ".join(f"float {w} = x * {k + 1};" for k, w in enumerate(rest))
    operation = f"{locals_} y = sum_of({', '.join(rest)}) + {first};"
    ins = f"float32 x, float32 {first}"
    program = kernelc.translate_elementwise(
        ins, "float32 y", operation, preamble=preamble, target=target
    )
    (validate_wgsl if target == "wgsl" else validate_glsl)(program.code)  # naga, glslang
    x = np.arange(4, dtype=np.float32)
    got = call_elementwise(
        target, ins, "float32 y", operation, x, np.full(4, 0.5, np.float32), preamble=preamble
    )
    want = x * sum(range(1, len(rest) + 1)) + 0.5
    np.testing.assert_array_equal(got, want.astype(np.float32))
