"""Names a GLSL ES 3.00 program must not declare: keywords, words reserved for future use,
and built-in functions (a local named `sin` would hide the function the emitter prints).

Rule: the namer avoids the union of this list and `kernelc.emit_wgsl.keywords`; names
starting with `gl_` or `webgl_`, or holding `__`, are refused by the namer's rules.
"""

from __future__ import annotations

KEYWORDS = frozenset(
    """
    const uniform layout centroid flat smooth break continue do for while switch case default
    if else in out inout float int void bool true false invariant discard return mat2 mat3 mat4
    mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 vec2 vec3 vec4 ivec2 ivec3
    ivec4 bvec2 bvec3 bvec4 uint uvec2 uvec3 uvec4 lowp mediump highp precision sampler2D
    sampler3D samplerCube sampler2DShadow samplerCubeShadow sampler2DArray
    sampler2DArrayShadow isampler2D isampler3D isamplerCube isampler2DArray usampler2D
    usampler3D usamplerCube usampler2DArray struct
    """.split()
)

# GLSL ES 3.00 §3.8 "reserved for future use", plus later versions' keywords and the words
# Mesa and glslang refuse in a `#version 300 es` shader (ES 1.00's `packed`, the cube-array,
# multisample and rectangle image types, dmat*); tests/compiler/test_reserved_words.py
# compiles every one as a name.
RESERVED = frozenset(
    """
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
    usampler2DMS sampler2DMSArray isampler2DMSArray usampler2DMSArray sizeof cast namespace
    using precise buffer shared packed samplerExternalOES samplerCubeArray
    samplerCubeArrayShadow isamplerCubeArray usamplerCubeArray imageCubeArray iimageCubeArray
    uimageCubeArray image2DMS iimage2DMS uimage2DMS image2DMSArray iimage2DMSArray
    uimage2DMSArray image2DRect iimage2DRect uimage2DRect dmat2 dmat3 dmat4 dmat2x2 dmat2x3
    dmat2x4 dmat3x2 dmat3x3 dmat3x4 dmat4x2 dmat4x3 dmat4x4
    """.split()
)

BUILTIN_FUNCTIONS = frozenset(
    """
    radians degrees sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh pow exp log exp2
    log2 sqrt inversesqrt abs sign floor trunc round roundEven ceil fract mod modf min max clamp
    mix step smoothstep isnan isinf floatBitsToInt floatBitsToUint intBitsToFloat
    uintBitsToFloat packSnorm2x16 unpackSnorm2x16 packUnorm2x16 unpackUnorm2x16 packHalf2x16
    unpackHalf2x16 length distance dot cross normalize faceforward reflect refract
    matrixCompMult outerProduct transpose determinant inverse lessThan lessThanEqual
    greaterThan greaterThanEqual equal notEqual any all not textureSize texture textureProj
    textureLod textureOffset texelFetch texelFetchOffset textureProjOffset textureLodOffset
    textureProjLod textureProjLodOffset textureGrad textureGradOffset textureProjGrad
    textureProjGradOffset dFdx dFdy fwidth
    texture2D texture2DProj texture2DLod texture2DProjLod textureCube textureCubeLod
    fma frexp ldexp bitfieldExtract bitfieldInsert bitfieldReverse bitCount findLSB findMSB
    uaddCarry usubBorrow umulExtended imulExtended packSnorm4x8 packUnorm4x8 unpackSnorm4x8
    unpackUnorm4x8 textureGather textureGatherOffset imageLoad imageStore imageSize
    barrier memoryBarrier groupMemoryBarrier
    """.split()
)

ALL = KEYWORDS | RESERVED | BUILTIN_FUNCTIONS
