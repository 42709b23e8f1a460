// kernelc GLSL storage helpers: float16 rounding by bits (docs/dtypes.md). packHalf2x16
// leaves rounding and overflow to the implementation, so the conversion is spelled out;
// arithmetic stays in float and rounds to half on every store.

// float -> binary16 bits: round to nearest even; past 65504 -> Inf; NaN stays a NaN.
uint kc_f16_encode(float x) {
    uint b = floatBitsToUint(x);
    uint sign = (b >> 16u) & 0x8000u;
    uint a = b & 0x7fffffffu;
    if (a > 0x7f800000u) {
        return sign | 0x7e00u | ((a >> 13u) & 0x3ffu);
    }
    if (a >= 0x477ff000u) {
        return sign | 0x7c00u;
    }
    if (a < 0x38800000u) {
        return sign | uint(roundEven(uintBitsToFloat(a) * 16777216.0));
    }
    return sign | (((a + 0xfffu + ((a >> 13u) & 1u)) >> 13u) - 0x1c000u);
}

// binary16 bits (the low 16 of h) -> float, exactly (subnormals included).
float kc_f16_decode(uint h) {
    uint sign = (h & 0x8000u) << 16u;
    uint e = (h >> 10u) & 0x1fu;
    uint m = h & 0x3ffu;
    if (e == 0x1fu) {
        return uintBitsToFloat(sign | 0x7f800000u | (m << 13u));
    }
    if (e == 0u) {
        return uintBitsToFloat(sign | floatBitsToUint(float(m) * 5.9604644775390625e-8));
    }
    return uintBitsToFloat(sign | ((e + 112u) << 23u) | (m << 13u));
}

// The float16 nearest to x, as a float (C's conversion to float16 and back).
float kc_f16round(float x) {
    return kc_f16_decode(kc_f16_encode(x));
}
