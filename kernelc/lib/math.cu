// kernelc's float32 math library: CUDA's results where the targets' own functions differ
// or leave results indeterminate. Written in kernelc's C subset and compiled for every
// target; `kc_<fn>` implements the built-in `<fn>` (kernelc.ir.builtins.MATH) wherever the
// target has no trustworthy native one. native_*f are the targets' own approximations.

// Classification by bits: a target may assume finite math, so x != x is not a NaN test.
__device__ bool kc_isnan(float x) {
    return (__float_as_uint(x) & 0x7fffffffu) > 0x7f800000u;
}

__device__ bool kc_isinf(float x) {
    return (__float_as_uint(x) & 0x7fffffffu) == 0x7f800000u;
}

__device__ bool kc_isfinite(float x) {
    return (__float_as_uint(x) & 0x7f800000u) != 0x7f800000u;
}

__device__ bool kc_signbit(float x) {
    return (__float_as_uint(x) & 0x80000000u) != 0u;
}

__device__ float kc_copysign(float x, float y) {
    return __uint_as_float((__float_as_uint(x) & 0x7fffffffu) | (__float_as_uint(y) & 0x80000000u));
}

// fminf/fmaxf: a NaN operand yields the other operand.
__device__ float kc_fmin(float x, float y) {
    if (isnan(x)) {
        return y;
    }
    if (isnan(y)) {
        return x;
    }
    return native_fminf(x, y);
}

__device__ float kc_fmax(float x, float y) {
    if (isnan(x)) {
        return y;
    }
    if (isnan(y)) {
        return x;
    }
    return native_fmaxf(x, y);
}

__device__ float kc_fdim(float x, float y) {
    if (isnan(x) || isnan(y)) {
        return NAN;
    }
    return x > y ? x - y : 0.0f;
}

// remainderf: x - n y for the integer n nearest x / y (ties to even), exact: x reduced
// modulo 2|y| by fmodf, then at most two exact subtractions of |y|.
__device__ float kc_remainder(float x, float y) {
    if (isnan(x) || isnan(y) || isinf(x) || y == 0.0f) {
        return NAN;
    }
    float p = fabsf(y);
    float r = x;
    if (p < 1.70141173e38f) {  // 2p finite
        r = fmodf(x, p + p);
    }
    r = fabsf(r);
    if (p < 2.35098870e-38f) {  // 2^-125: p / 2 would round
        if (r + r > p) {
            r = r - p;
            if (r + r >= p) {
                r = r - p;
            }
        }
    } else {
        float h = 0.5f * p;
        if (r > h) {
            r = r - p;
            if (r >= h) {
                r = r - p;
            }
        }
    }
    return signbit(x) ? -r : r;
}

// modff's value: the fractional part, with x's sign (+-0 for +-Inf; NaN stays NaN).
__device__ float kc_modf(float x) {
    if (isinf(x)) {
        return copysignf(0.0f, x);
    }
    return copysignf(x - truncf(x), x);
}

// remquof's quotient: the sign of x / y and the low 3 bits of |n|, n the integer nearest
// x / y that remainderf uses (0 where there is none). x is first reduced modulo 8|y| by
// fmodf (exact, and n keeps its low 3 bits and its ties: 8 is even), so that
// (x - remainder) / y is an integer of at most 8, whatever rounding the division adds.
__device__ int kc_remquo_quo(float x, float y) {
    if (isnan(x) || isnan(y) || isinf(x) || isinf(y) || y == 0.0f) {
        return 0;
    }
    float p = fabsf(y);
    float r = p < 4.25352958e37f ? fmodf(x, 8.0f * p) : x;  // 8p finite
    int bits = (int)rintf(fabsf((r - kc_remainder(r, y)) / y)) & 7;
    return signbit(x) != signbit(y) ? -bits : bits;
}

// nextafterf: one step of the bit pattern toward y (the smallest subnormal after a zero).
__device__ float kc_nextafter(float x, float y) {
    if (isnan(x) || isnan(y)) {
        return NAN;
    }
    if (x == y) {
        return y;
    }
    if (x == 0.0f) {
        return __uint_as_float((__float_as_uint(y) & 0x80000000u) | 1u);
    }
    unsigned int bits = __float_as_uint(x);
    return __uint_as_float((x < y) == (x > 0.0f) ? bits + 1u : bits - 1u);
}

// ilogbf: the unbiased exponent (of the leading bit, for a subnormal); INT_MIN for 0 and
// NaN, INT_MAX for +-inf (CUDA's FP_ILOGB0, FP_ILOGBNAN).
__device__ int kc_ilogb(float x) {
    if (x == 0.0f || isnan(x)) {
        return INT_MIN;
    }
    if (isinf(x)) {
        return INT_MAX;
    }
    int e = (int)((__float_as_uint(x) >> 23) & 0xffu);
    if (e != 0) {
        return e - 127;
    }
    return (int)((__float_as_uint(fabsf(x) * 16777216.0f) >> 23) & 0xffu) - 127 - 24;
}

__device__ float kc_logb(float x) {
    if (isnan(x)) {
        return NAN;
    }
    if (isinf(x)) {
        return INFINITY;
    }
    if (x == 0.0f) {
        return -INFINITY;
    }
    return (float)kc_ilogb(x);
}

// roundf: half away from zero; x - trunc(x) is exact, so 0.49999997f stays 0.
__device__ float kc_round(float x) {
    float t = truncf(x);
    return fabsf(x - t) >= 0.5f ? t + copysignf(1.0f, x) : t;
}

// C fmod, exact: binary long division of |x| by |y| in which every subtraction is exact.
__device__ float kc_fmod(float x, float y) {
    float ax = fabsf(x);
    float ay = fabsf(y);
    if (isnan(x) || isnan(y) || isinf(x) || ay == 0.0f) {
        return NAN;
    }
    if (ax < ay) {
        return x;
    }
    float t = ay;
    for (int k = 0; k < 300 && t * 2.0f <= ax; k++) {
        t = t * 2.0f;
    }
    float r = ax;
    for (int k = 0; k < 300 && t >= ay; k++) {
        if (r >= t) {
            r = r - t;
        }
        t = t * 0.5f;
    }
    return copysignf(r, x);
}

__device__ float kc_hypot(float x, float y) {
    if (isinf(x) || isinf(y)) {
        return INFINITY;
    }
    if (isnan(x) || isnan(y)) {
        return NAN;
    }
    float a = native_fmaxf(fabsf(x), fabsf(y));
    if (a == 0.0f) {
        return 0.0f;
    }
    float r = native_fminf(fabsf(x), fabsf(y)) / a;
    return a * sqrtf(1.0f + r * r);
}

// Exponentials from arithmetic alone: a native exp may be 60 ulp off for large |x| (its
// argument reduction is the driver's). n = round(x / ln2) and r = x - n ln2 with ln2 split
// (Cody-Waite: n * 0.693359375 is exact), then e^r - 1 on |r| <= ln2 / 2 by a minimax fit.
__device__ float kc_pow2i(int n) {
    return __int_as_float((n + 127) << 23);
}

// x * 2^n for n in [-252, 254], as two exact power-of-two factors (h = floor(n / 2)).
__device__ float kc_scale(float x, int n) {
    int h = n >> 1;
    return x * kc_pow2i(h) * kc_pow2i(n - h);
}

__device__ float kc_expm1_poly(float r) {
    float p = 0.49999994f + r * (0.16666512f + r * (0.041668303f + r * (0.008369828f
        + r * 0.001382035f)));
    return r + r * r * p;
}

// e^(hi + lo) for |lo| < 2^-10: lo joins the reduced argument.
__device__ float kc_exp_hl(float hi, float lo) {
    if (hi > 88.72284f) {
        return INFINITY;
    }
    if (hi < -104.0f) {
        return 0.0f;
    }
    float n = floorf(hi * 1.442695f + 0.5f);
    float r = (hi - n * 0.693359375f) - n * -0.00021219444f + lo;
    return kc_scale(1.0f + kc_expm1_poly(r), (int)n);
}

__device__ float kc_exp(float x) {
    if (isnan(x)) {
        return x;
    }
    return kc_exp_hl(x, 0.0f);
}

__device__ float kc_exp2(float x) {
    if (isnan(x)) {
        return x;
    }
    if (x >= 128.0f) {
        return INFINITY;
    }
    if (x < -152.0f) {
        return 0.0f;
    }
    float n = floorf(x + 0.5f);
    return kc_scale(1.0f + kc_expm1_poly((x - n) * 0.6931472f), (int)n);
}

// e^x - 1 = (2^n - 1) + 2^n (e^r - 1): no cancellation, and 2^n - 1 is exact.
__device__ float kc_expm1(float x) {
    if (x == 0.0f) {
        return x;  // -0 stays -0
    }
    if (fabsf(x) < 0.3465f) {
        return kc_expm1_poly(x);
    }
    if (isnan(x) || x > 20.0f) {
        return expf(x);
    }
    if (x < -17.5f) {
        return -1.0f;
    }
    float n = floorf(x * 1.442695f + 0.5f);
    float r = (x - n * 0.693359375f) - n * -0.00021219444f;
    float s = kc_pow2i((int)n);
    return (s - 1.0f) + s * kc_expm1_poly(r);
}

// The high half of x (12 significant bits): products of two halves are exact.
__device__ float kc_split_hi(float x) {
    return __uint_as_float(__float_as_uint(x) & 0xfffff000u);
}

// e^(s x^2) for s = 1, -1 or -1/2: with x = xh + xl, s xh^2 is exact, so the large part of
// the exponent carries no rounding error (a rounded x^2 would cost up to 60 ulp).
__device__ float kc_exp_sq(float x, float s) {
    float xh = kc_split_hi(x);
    float xl = x - xh;
    return kc_exp_hl(s * xh * xh, s * xl * (x + xh));
}

// 10^x = 2^(n*L_hi) * 2^(n*L_lo + f*L) with n = trunc(x): n*L_hi is exact (L_hi has 18
// significant bits), so the large part of the exponent carries no rounding error.
__device__ float kc_exp10(float x) {
    if (isnan(x)) {
        return x;
    }
    float c = native_fminf(native_fmaxf(x, -64.0f), 64.0f);
    float n = truncf(c);
    float f = c - n;
    return native_exp2f(n * 3.321929931640625f) * native_exp2f(n * -1.8367533e-06f + f * 3.321928f);
}

// Logarithms: native ones may be accurate only in absolute terms near 1 (and 3 ulp
// elsewhere), so ours reduce x = m 2^e, m in [sqrt(1/2), sqrt(2)), exactly and take
// log(m) = log1p(f) from the series of 2 atanh(s), s = f / (2 + f) (|f| <= 0.42), written
// so that its rounding errors fall on small terms: f - (f^2/2 - s (f^2/2 + R(s^2))).
__device__ float kc_log1p_small(float f) {
    float s = f / (2.0f + f);
    float z = s * s;
    float r = z * (0.6666667f + z * (0.4f + z * (0.2857143f + z * (0.22222222f + z * (0.18181819f
        + z * 0.15384616f)))));
    float hfsq = 0.5f * f * f;
    return f - (hfsq - s * (hfsq + r));
}

// log(x) for finite x > 0; 0.693359375 has 9 significant bits, so e * it is exact.
__device__ float kc_ln(float x) {
    float y = x;
    float e = 0.0f;
    if (y < 1.17549435e-38f) {
        y = y * 16777216.0f;
        e = -24.0f;
    }
    int bits = __float_as_int(y);
    e = e + (float)((bits >> 23) - 127);
    float m = __int_as_float((bits & 0x007fffff) | 0x3f800000);
    if (m > 1.4142135f) {
        m = m * 0.5f;
        e = e + 1.0f;
    }
    return e * 0.693359375f + (kc_log1p_small(m - 1.0f) + e * -0.00021219444f);
}

// Outside (-0.42, 0.41), log(u) for u = 1 + x rounded, plus (x - (u - 1)) / u, the first
// order correction for that rounding (u - 1 is exact).
__device__ float kc_log1p(float x) {
    if (x > -0.42f && x < 0.41f) {
        return kc_log1p_small(x);
    }
    if (isnan(x) || x < -1.0f) {
        return NAN;
    }
    if (x == -1.0f) {
        return -INFINITY;
    }
    if (isinf(x)) {
        return x;
    }
    float u = 1.0f + x;
    return kc_ln(u) + (x - (u - 1.0f)) / u;
}

__device__ float kc_log(float x) {
    if (isnan(x) || x < 0.0f) {
        return NAN;
    }
    if (x == 0.0f) {
        return -INFINITY;
    }
    if (isinf(x)) {
        return x;
    }
    return kc_ln(x);
}

__device__ float kc_log2(float x) {
    if (fabsf(x - 1.0f) < 0.25f) {
        return kc_log1p_small(x - 1.0f) * 1.442695f;
    }
    return native_log2f(x);
}

__device__ float kc_log10(float x) {
    if (fabsf(x - 1.0f) < 0.25f) {
        return kc_log1p_small(x - 1.0f) * 0.4342945f;
    }
    return native_log2f(x) * 0.30103f;
}

// powf with C99 special cases; a negative base with an integral exponent is real.
__device__ float kc_pow(float x, float y) {
    if (y == 0.0f || x == 1.0f) {
        return 1.0f;
    }
    if (isnan(x) || isnan(y)) {
        return NAN;
    }
    float ax = fabsf(x);
    bool y_int = truncf(y) == y;
    bool y_odd = y_int && fabsf(y) < 16777216.0f && ((int)y & 1) != 0;
    float r;
    if (ax == 0.0f) {
        r = y < 0.0f ? INFINITY : 0.0f;
    } else if (isinf(x)) {
        r = y < 0.0f ? 0.0f : INFINITY;
    } else if (isinf(y)) {
        if (ax == 1.0f) {
            return 1.0f;
        }
        r = (ax > 1.0f) == (y > 0.0f) ? INFINITY : 0.0f;
    } else {
        if (x < 0.0f && !y_int) {
            return NAN;
        }
        r = native_exp2f(y * log2f(ax));
    }
    return y_odd && signbit(x) ? -r : r;
}

__device__ float kc_cbrt(float x) {
    float a = fabsf(x);
    if (a == 0.0f || isinf(x) || isnan(x)) {
        return x;
    }
    float r = native_exp2f(native_log2f(a) * 0.33333334f);
    r = r - (r - a / (r * r)) * 0.33333334f;
    return copysignf(r, x);
}

// Hyperbolic functions through expm1/log1p: accurate near 0, no inf/inf for large |x|.
__device__ float kc_sinh(float x) {
    float a = fabsf(x);
    if (a > 88.0f) {
        float e = native_expf(0.5f * a);
        return copysignf(0.5f * e * e, x);
    }
    float t = expm1f(a);
    return copysignf(0.5f * (t + t / (t + 1.0f)), x);
}

__device__ float kc_cosh(float x) {
    float a = fabsf(x);
    if (a > 88.0f) {
        float e = native_expf(0.5f * a);
        return 0.5f * e * e;
    }
    float e = native_expf(a);
    return 0.5f * e + 0.5f / e;
}

__device__ float kc_tanh(float x) {
    if (isnan(x)) {
        return x;
    }
    float t = expm1f(2.0f * native_fminf(fabsf(x), 15.0f));
    return copysignf(t / (t + 2.0f), x);
}

__device__ float kc_asinh(float x) {
    float a = fabsf(x);
    if (a > 4096.0f) {
        return copysignf(native_logf(a) + 0.6931472f, x);
    }
    return copysignf(log1pf(a + a * a / (1.0f + sqrtf(1.0f + a * a))), x);
}

__device__ float kc_acosh(float x) {
    if (x < 1.0f) {
        return NAN;
    }
    if (x > 4096.0f) {
        return native_logf(x) + 0.6931472f;
    }
    float t = x - 1.0f;
    return log1pf(t + sqrtf(2.0f * t + t * t));
}

__device__ float kc_atanh(float x) {
    float a = fabsf(x);
    if (a > 1.0f) {
        return NAN;
    }
    return copysignf(0.5f * log1pf(2.0f * a / (1.0f - a)), x);
}

// asinf, acosf, atanf, atan2f after Cephes (about 2 ulp, C's special cases): native ones
// may be far less accurate (WGSL allows 4096 ulp for atan).
__device__ float kc_atan(float x) {
    float a = fabsf(x);
    float base = 0.0f;
    if (a > 2.4142137f) {
        base = 1.5707964f;
        a = -1.0f / a;
    } else if (a > 0.41421357f) {
        base = 0.7853982f;
        a = (a - 1.0f) / (a + 1.0f);
    }
    float z = a * a;
    float p = ((0.080537446f * z - 0.13877685f) * z + 0.19977711f) * z - 0.3333295f;
    return copysignf(base + (p * z * a + a), x);
}

__device__ float kc_asin(float x) {
    float a = fabsf(x);
    if (a > 1.0f) {
        return NAN;
    }
    float z = a * a;
    float s = a;
    if (a > 0.5f) {
        z = 0.5f * (1.0f - a);
        s = sqrtf(z);
    }
    float p = (((0.0421632f * z + 0.024181312f) * z + 0.045470025f) * z + 0.074953005f) * z;
    float r = (p + 0.16666752f) * z * s + s;
    if (a > 0.5f) {
        r = 1.5707964f - (r + r);
    }
    return copysignf(r, x);
}

__device__ float kc_acos(float x) {
    if (fabsf(x) > 1.0f) {
        return NAN;
    }
    if (x < -0.5f) {
        return 3.1415927f - 2.0f * asinf(sqrtf(0.5f * (1.0f + x)));
    }
    if (x > 0.5f) {
        return 2.0f * asinf(sqrtf(0.5f * (1.0f - x)));
    }
    return 1.5707964f - asinf(x);
}

__device__ float kc_atan2(float y, float x) {
    if (isnan(x) || isnan(y)) {
        return NAN;
    }
    if (isinf(x) && isinf(y)) {
        return copysignf(x < 0.0f ? 2.3561945f : 0.7853982f, y);
    }
    if (x == 0.0f) {
        if (y == 0.0f) {
            return copysignf(signbit(x) ? 3.1415927f : 0.0f, y);
        }
        return copysignf(1.5707964f, y);
    }
    float t = atanf(y / x);
    return signbit(x) ? t + copysignf(3.1415927f, y) : t;
}

// erf(x) = x + x R(x^2) for |x| <= 1 (R: a minimax fit of erf(x)/x - 1).
__device__ float kc_erf_small(float x) {
    float z = x * x;
    float r = 0.12837917f + z * (-0.37612626f + z * (0.11283579f + z * (-0.026853347f
        + z * (0.005187162f + z * (-0.0007997853f + z * 7.806903e-05f)))));
    return x + x * r;
}

// erfcx(a) = e^(a^2) erfc(a) for a >= 0.5, by minimax fits: in a itself on [0.5, 2) and
// [2, 4) (a rounded t would cost 2 ulp there); beyond, t H(t - 1/6) with t = 2 / (2 + a)
// in (0, 1/3], H smooth out to infinity.
__device__ float kc_erfcx_tail(float a) {
    if (a < 2.0f) {
        float v = a - 1.25f;
        return 0.36782292f + v * (-0.20882188f + v * (0.10679568f + v * (-0.050218254f
            + v * (0.022009628f + v * (-0.009081444f + v * (0.0035626378f + v * (-0.0013279091f
            + v * (0.00045164677f + v * (-0.00015664716f + v * (7.550356e-05f
            + v * -2.402393e-05f))))))))));
    }
    if (a < 4.0f) {
        float v = a - 3.0f;
        return 0.17900115f + v * (-0.054372262f + v * (0.015884321f + v * (-0.004479372f
            + v * (0.001223391f + v * (-0.00032441877f + v * (8.267984e-05f + v * (-2.0469473e-05f
            + v * (6.0230595e-06f + v * -1.5881961e-06f))))))));
    }
    float t = 2.0f / (2.0f + a);
    float u = t - 0.16666667f;
    return t * (0.33684596f + u * (0.38054714f + u * (0.34793907f + u * (0.2243f
        + u * (0.049703877f + u * (-0.08686563f + u * (-0.15907669f + u * (0.0025847272f
        + u * 1.1828576f))))))));
}

__device__ float kc_erf(float x) {
    float a = fabsf(x);
    if (isnan(x) || a < 1.0f) {
        return kc_erf_small(x);
    }
    if (a >= 4.0f) {
        return copysignf(1.0f, x);
    }
    return copysignf(1.0f - kc_exp_sq(a, -1.0f) * kc_erfcx_tail(a), x);
}

__device__ float kc_erfc(float x) {
    float a = fabsf(x);
    if (isnan(x) || a < 0.5f) {
        return 1.0f - kc_erf_small(x);
    }
    float r = 0.0f;
    if (a < 10.5f) {
        r = kc_exp_sq(a, -1.0f) * kc_erfcx_tail(a);
    }
    if (x < 0.0f) {
        return 2.0f - r;
    }
    return r;
}

// Below -0.5, erfcx(x) = 2 e^(x^2) - erfcx(-x).
__device__ float kc_erfcx(float x) {
    if (isnan(x) || x >= 0.5f) {
        return kc_erfcx_tail(x);
    }
    if (x > -0.5f) {
        return expf(x * x) * (1.0f - kc_erf_small(x));
    }
    if (x < -9.5f) {
        return INFINITY;
    }
    return 2.0f * kc_exp_sq(x, 1.0f) - kc_erfcx_tail(-x);
}

// normcdf(x) = erfc(-x / sqrt(2)) / 2 with e^(-x^2 / 2) taken from x itself: through the
// rounded x / sqrt(2) its error would grow with x^2.
__device__ float kc_normcdf(float x) {
    float z = x * -0.70710677f;
    float a = fabsf(z);
    if (isnan(x) || a < 0.5f) {
        return 0.5f - 0.5f * kc_erf_small(z);
    }
    float r = 0.0f;
    if (a < 10.5f) {
        r = 0.5f * kc_exp_sq(x, -0.5f) * kc_erfcx_tail(a);
    }
    if (z < 0.0f) {
        return 1.0f - r;
    }
    return r;
}

// erfinv in Giles' form, with our own minimax fits: for w = -log(1 - y^2) < 5, y P(w - 2.5);
// beyond, y Q(sqrt(w) - 3) (w < 16 covers every float y < 1).
__device__ float kc_erfinv_w(float y, float w) {
    if (w < 5.0f) {
        float v = w - 2.5f;
        return y * (1.5014094f + v * (0.24664028f + v * (-0.004177668f + v * (-0.0012527556f
            + v * (0.00021857723f + v * (-4.943497e-06f + v * (-3.5236799e-06f
            + v * (4.5995577e-07f + v * (2.8191907e-08f + v * -8.237225e-09f)))))))));
    }
    float v = sqrtf(w) - 3.0f;
    return y * (2.8329768f + v * (1.0016752f + v * (0.009445346f + v * (-0.007641144f
        + v * (0.005684721f + v * (-0.0035815728f + v * (0.0014928073f + v * (-8.259428e-05f
        + v * (-0.00031646856f + v * 0.00013066817f)))))))));
}

__device__ float kc_erfinv(float y) {
    float a = fabsf(y);
    if (isnan(y) || a > 1.0f) {
        return NAN;
    }
    if (a == 1.0f) {
        return copysignf(INFINITY, y);
    }
    return kc_erfinv_w(y, -logf((1.0f - a) * (1.0f + a)));
}

// erfcinv(y) = erfinv(1 - y), where 1 - y is exact; for the tails w = -log(q (2 - q)),
// q = min(y, 2 - y), reaches 107 (s = sqrt(w) up to 10.4), where x = s T(1/s - 0.175).
__device__ float kc_erfcinv(float y) {
    if (isnan(y) || y < 0.0f || y > 2.0f) {
        return NAN;
    }
    if (y >= 0.5f && y <= 1.5f) {
        return erfinvf(1.0f - y);
    }
    float q = native_fminf(y, 2.0f - y);
    if (q == 0.0f) {
        return copysignf(INFINITY, 1.0f - y);
    }
    float w = -logf(q * (2.0f - q));
    float x;
    if (w < 16.0f) {
        x = kc_erfinv_w(1.0f - q, w);
    } else {
        float s = sqrtf(w);
        float v = 1.0f / s - 0.175f;
        x = s * (0.974998f + v * (-0.19922554f + v * (-0.07914831f + v * (0.89300907f
            + v * (-1.503062f + v * (3.2339208f + v * -10.266523f))))));
    }
    return copysignf(x, 1.0f - y);
}

// normcdfinv(p) = -sqrt(2) erfcinv(2p) = sqrt(2) erfcinv(2 - 2p), exact for p >= 0.5.
__device__ float kc_normcdfinv(float p) {
    if (p >= 0.5f) {
        return 1.4142135f * erfcinvf(2.0f - 2.0f * p);
    }
    return -1.4142135f * erfcinvf(2.0f * p);
}

// Gamma(1 + t) - 1 = t (t - 1) D(t) on [0, 1]: zero at both ends, so lgamma near 1 and 2
// keeps its relative accuracy. D: a minimax fit in t - 0.5.
__device__ float kc_gamma_d(float t) {
    float v = t - 0.5f;
    return 0.4550923f + v * (-0.1293536f + v * (0.16111313f + v * (-0.08823353f
        + v * (0.06594624f + v * (-0.042900667f + v * (0.02840589f + v * (-0.018784853f
        + v * (0.01562378f + v * (-0.011396585f + v * 0.002960976f)))))))));
}

__device__ float kc_gamma1pm1(float t) {
    return t * (t - 1.0f) * kc_gamma_d(t);
}

// lgamma for finite x > 0: on (0, 3) through log1p of Gamma - 1 (relative accuracy at
// the zeros 1 and 2); up to 8 by the recurrence (a product of exact factors); above by
// Stirling's series: (x - 1/2)(log x - 1) + log(2 pi)/2 - 1/2 + 1/(12x) - 1/(360x^3) + ...
__device__ float kc_lgamma_pos(float x) {
    if (x >= 8.0f) {
        float r = 1.0f / x;
        float z = r * r;
        float series = r * (0.083333336f - z * (0.0027777778f - z * 0.0007936508f));
        return (x - 0.5f) * (logf(x) - 1.0f) + (0.41893853f + series);
    }
    if (x < 1.0f) {
        return log1pf(kc_gamma1pm1(x)) - logf(x);
    }
    if (x <= 2.0f) {
        return log1pf(kc_gamma1pm1(x - 1.0f));
    }
    float y = x;
    float p = 1.0f;
    for (int k = 0; k < 6 && y >= 3.0f; k++) {
        y = y - 1.0f;
        p = p * y;
    }
    // lgamma(2 + t) = log((1 + t) Gamma(1 + t)) = log1p(t (1 + (t^2 - 1) D(t)))
    float t = y - 2.0f;
    return logf(p) + log1pf(t * (1.0f + (t * t - 1.0f) * kc_gamma_d(t)));
}

// |sin(pi x)| for |x| < 2^23 (x - round(x) is exact there).
__device__ float kc_abs_sinpi(float x) {
    float r = x - floorf(x + 0.5f);
    float z = r * r;
    float p = 3.1415927f + z * (-5.1677203f + z * (2.5502594f + z * (-0.59937f + z * 0.079703264f)));
    return fabsf(r * p);
}

// CUDA's lgammaf: +inf at the poles and at +-inf; above -4 by the recurrence (its factors
// are exact), below by reflection, |Gamma(x)| = pi / (|x sin(pi x)| Gamma(-x)).
__device__ float kc_lgamma(float x) {
    if (isnan(x)) {
        return x;
    }
    if (isinf(x) || (x <= 0.0f && floorf(x) == x)) {
        return INFINITY;
    }
    if (x == 1.0f || x == 2.0f) {
        return 0.0f;
    }
    if (x > 0.0f) {
        return kc_lgamma_pos(x);
    }
    if (x > -4.0f) {
        // lgamma(x) = lgamma(x + n) - log|x (x + 1) ... (x + n - 1)|, x + n in (0, 1)
        float z = x;
        float p = 1.0f;
        for (int k = 0; k < 4 && z < 0.0f; k++) {
            p = p * z;
            z = z + 1.0f;
        }
        return kc_lgamma_pos(z) - logf(fabsf(p));
    }
    return 1.1447299f - logf(fabsf(x) * kc_abs_sinpi(x)) - kc_lgamma_pos(-x);
}

// a b - fl(a b) exactly, for a finite normal product (Dekker: with 12-bit halves every
// partial product is exact).
__device__ float kc_mul_err(float a, float b, float p) {
    float ah = kc_split_hi(a);
    float al = a - ah;
    float bh = kc_split_hi(b);
    float bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// tgamma: Gamma(1 + f) = 1 + kc_gamma1pm1(f) on [0, 1], carried to x by the recurrence.
// The factors x - 1, x - 2, ... (above 1) and x, x + 1, ... (below -2) are exact, the
// product's rounding errors are summed into c (relative) and applied once at the end, so
// Gamma(n) = (n - 1)! is exact while it fits. Below 1 the product is rescaled by 2^-100
// before it can overflow; Gamma(1 + f) < 1 comes first above 1, so the product overflows
// only when Gamma does.
__device__ float kc_tgamma(float x) {
    if (isnan(x)) {
        return x;
    }
    if (x == 0.0f) {
        return copysignf(INFINITY, x);
    }
    if (x < 0.0f && floorf(x) == x) {
        return NAN;
    }
    if (x > 35.5f) {
        return INFINITY;
    }
    if (x < -42.0f) {
        float h = floorf(x) * 0.5f;
        return copysignf(0.0f, floorf(h) == h ? 1.0f : -1.0f);
    }
    float z = x;
    float c = 0.0f;
    if (x >= 1.0f) {
        float p = 1.0f + kc_gamma1pm1(x - floorf(x));
        for (int k = 0; k < 36 && z >= 2.0f; k++) {
            z = z - 1.0f;
            float q = p * z;
            c = c + kc_mul_err(p, z, q) / q;
            p = q;
        }
        if (isinf(p)) {
            return p;
        }
        return p + p * c;
    }
    float p = 1.0f;
    float scale = 1.0f;
    for (int k = 0; k < 44 && z < 1.0f; k++) {
        float q = p * z;
        c = c + kc_mul_err(p, z, q) / q;
        p = q;
        z = z + 1.0f;
        if (fabsf(p) > 1e30f) {
            p = p * 7.888609e-31f;
            scale = 7.888609e-31f;
        }
    }
    float r = (1.0f + kc_gamma1pm1(z - 1.0f)) / p;
    return (r - r * c) * scale;
}

// fmaf: a b + c rounded (almost always) once. The product's rounding error comes from
// 12-bit halves (Dekker: every partial product is exact), the sum's from a two-sum, and
// both are added back at the end.
__device__ float kc_fma(float a, float b, float c) {
    float p = a * b;
    if (!isfinite(p) || !isfinite(c) || p == 0.0f) {
        return p + c;
    }
    float e = kc_mul_err(a, b, p);
    float s = p + c;
    float v = s - p;
    float t = (p - (s - v)) + (c - v);
    return s + (t + e);
}

__device__ float kc_rcbrt(float x) {
    if (x == 0.0f) {
        return copysignf(INFINITY, x);
    }
    return 1.0f / cbrtf(x);
}

// ldexpf(x, n): beyond +-300 the result is 0 or inf anyway; three exact power-of-two steps.
__device__ float kc_ldexp(float x, float n) {
    int k = (int)native_fminf(native_fmaxf(n, -300.0f), 300.0f);
    int h = k / 3;
    return kc_scale(x * kc_pow2i(h), k - h);
}

// sinpif and cospif: |x| = (n + 2r) / 2 exactly with |r| <= 1/4, then the target's sin or
// cos of r pi (|r pi| < 0.8, where they are accurate). From 2^23 on every float is an
// integer: sinpi gives a zero of x's sign, cospi 1 or -1 by parity (+0 at half-integers).
__device__ float kc_sinpi(float x) {
    if (isinf(x) || isnan(x)) {
        return NAN;
    }
    float ax = fabsf(x);
    float v = 0.0f;
    if (ax < 8388608.0f) {
        float n = rintf(2.0f * ax);
        float r = (ax - 0.5f * n) * 3.14159265358979f;
        int q = (int)n & 3;
        v = (q & 1) == 0 ? sinf(r) : cosf(r);
        v = (q & 2) == 0 || v == 0.0f ? v : -v;  // +0, not -0, at the integers
    }
    return signbit(x) ? -v : v;
}

__device__ float kc_cospi(float x) {
    if (isinf(x) || isnan(x)) {
        return NAN;
    }
    float ax = fabsf(x);
    if (ax >= 8388608.0f) {
        bool odd = ax < 16777216.0f && ((int)ax & 1) != 0;
        return odd ? -1.0f : 1.0f;
    }
    float n = rintf(2.0f * ax);
    float r = (ax - 0.5f * n) * 3.14159265358979f;
    int q = (int)n & 3;
    float v = (q & 1) == 0 ? cosf(r) : sinf(r);
    return q == 0 || q == 3 || v == 0.0f ? v : -v;  // +0 at the half-integers
}

// frexpf's two results (builtins.POINTER_BUILTINS): the significand in [0.5, 1) with x's
// sign, and the exponent; x itself and 0 for zero, Inf and NaN. A subnormal is scaled by
// 2^24 first (a driver that flushes subnormals sees a zero).
__device__ float kc_frexp(float x) {
    if (x == 0.0f || isinf(x) || isnan(x)) {
        return x;
    }
    float v = fabsf(x) < 1.17549435e-38f ? x * 16777216.0f : x;
    return __uint_as_float((__float_as_uint(v) & 0x807fffffu) | 0x3f000000u);
}

__device__ int kc_frexp_exp(float x) {
    if (x == 0.0f || isinf(x) || isnan(x)) {
        return 0;
    }
    bool tiny = fabsf(x) < 1.17549435e-38f;
    float v = tiny ? x * 16777216.0f : x;
    return (int)((__float_as_uint(v) >> 23) & 0xffu) - 126 - (tiny ? 24 : 0);
}
