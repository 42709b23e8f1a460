// kernelc's float16 conversions by bits (docs/dtypes.md): the targets' packing built-ins
// leave rounding, out-of-range values and subnormals to the implementation, so the
// conversions are spelled out; arithmetic stays in float and rounds to half on every store.

// float -> binary16 bits: round to nearest even; past 65504 -> Inf; NaN stays a (quiet) NaN.
__device__ unsigned int kc_f16_encode(float x) {
    unsigned int b = __float_as_uint(x);
    unsigned int sign = (b >> 16) & 0x8000u;
    unsigned int a = b & 0x7fffffffu;
    if (a > 0x7f800000u) {
        return sign | 0x7e00u | ((a >> 13) & 0x3ffu);
    }
    if (a >= 0x477ff000u) {
        return sign | 0x7c00u;
    }
    if (a < 0x38800000u) {
        return sign | (unsigned int)rintf(__uint_as_float(a) * 16777216.0f);
    }
    return sign | (((a + 0xfffu + ((a >> 13) & 1u)) >> 13) - 0x1c000u);
}

// binary16 bits (the low 16 of h) -> float, exactly (subnormals included).
__device__ float kc_f16_decode(unsigned int h) {
    unsigned int sign = (h & 0x8000u) << 16;
    unsigned int e = (h >> 10) & 0x1fu;
    unsigned int m = h & 0x3ffu;
    if (e == 0x1fu) {
        return __uint_as_float(sign | 0x7f800000u | (m << 13));
    }
    if (e == 0u) {
        return __uint_as_float(sign | __float_as_uint((float)m * 5.9604644775390625e-8f));
    }
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// The float16 nearest to x, as a float (C's conversion to float16 and back).
__device__ float kc_f16round(float x) {
    return kc_f16_decode(kc_f16_encode(x));
}
