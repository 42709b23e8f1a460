// kernelc GLSL ES 3.00 helpers: CUDA semantics where GLSL differs or leaves results undefined.
// One helper per blank-line-separated block; a helper comes after the helpers it uses.
// The emitter copies only the blocks a program uses, in this order.

// Run-time constants: u.k_n >= 0, so min(u.k_n, 0) is a zero no compiler can fold; GLSL
// compilers would otherwise fold Inf/NaN bit patterns and x * 0.0 (to 0).
uint kc_zero_bits() {
    return uint(min(u.k_n, 0));
}

float kc_zero() {
    return float(min(u.k_n, 0));
}

float kc_inf() {
    return uintBitsToFloat(0x7f800000u | kc_zero_bits());
}

float kc_nan() {
    return uintBitsToFloat(0x7fffffffu | kc_zero_bits());
}

// An identity the compiler cannot see through: drivers fold x - x to 0 (wrong for Inf
// and NaN).
float kc_opaque_float(float x) {
    return u.k_n < 0 ? kc_zero() : x;
}

// Classification by bits: GLSL ES need not honour NaN, so x != x is not a NaN test.
bool kc_isnan(float x) {
    return (floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u;
}

bool kc_isinf(float x) {
    return (floatBitsToUint(x) & 0x7fffffffu) == 0x7f800000u;
}

bool kc_isfinite(float x) {
    return (floatBitsToUint(x) & 0x7f800000u) != 0x7f800000u;
}

bool kc_signbit(float x) {
    return (floatBitsToUint(x) & 0x80000000u) != 0u;
}

float kc_copysign(float x, float y) {
    uint sign_bit = floatBitsToUint(y) & 0x80000000u;
    return uintBitsToFloat((floatBitsToUint(x) & 0x7fffffffu) | sign_bit);
}

// float -> int as CUDA's cvt.rzi: truncate, saturate, NaN -> 0.
int kc_f2i(float x) {
    if (kc_isnan(x)) {
        return 0;
    }
    if (x >= 2147483648.0) {
        return 2147483647;
    }
    if (x <= -2147483648.0) {
        return -2147483647 - 1;
    }
    return int(x);
}

uint kc_f2u(float x) {
    if (kc_isnan(x) || x <= 0.0) {
        return 0u;
    }
    if (x >= 4294967296.0) {
        return 4294967295u;
    }
    return uint(x);
}

// fminf/fmaxf: a NaN operand yields the other operand.
float kc_fmin(float x, float y) {
    if (kc_isnan(x)) {
        return y;
    }
    if (kc_isnan(y)) {
        return x;
    }
    return min(x, y);
}

float kc_fmax(float x, float y) {
    if (kc_isnan(x)) {
        return y;
    }
    if (kc_isnan(y)) {
        return x;
    }
    return max(x, y);
}

float kc_fdim(float x, float y) {
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    return (x > y ? x - y : 0.0);
}

// roundf: half away from zero; x - trunc(x) is exact, so 0.49999997 stays 0.
float kc_round(float x) {
    float t = trunc(x);
    return (abs(x - t) >= 0.5 ? t + sign(x) : t);
}

// C fmod, exact: binary long division of |x| by |y| in which every subtraction is exact.
float kc_fmod(float x, float y) {
    float ax = abs(x);
    float ay = abs(y);
    if (kc_isnan(x) || kc_isnan(y) || kc_isinf(x) || ay == 0.0) {
        return kc_nan();
    }
    if (ax < ay) {
        return x;
    }
    float t = ay;
    for (int k = 0; k < 300 && t * 2.0 <= ax; k++) {
        t = t * 2.0;
    }
    float r = ax;
    for (int k = 0; k < 300; k++) {
        if (r >= t) {
            r = r - t;
        }
        if (t <= ay) {
            break;
        }
        t = t * 0.5;
    }
    return kc_copysign(r, x);
}

float kc_hypot(float x, float y) {
    if (kc_isinf(x) || kc_isinf(y)) {
        return kc_inf();
    }
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    float a = max(abs(x), abs(y));
    if (a == 0.0) {
        return 0.0;
    }
    float r = min(abs(x), abs(y)) / a;
    return a * sqrt(1.0 + r * r);
}

// Exponentials from arithmetic alone: a native exp may be 60 ulp off for large |x| (its
// argument reduction is the driver's). n = round(x / ln2) and r = x - n ln2 with ln2 split
// (Cody-Waite: n * 0.693359375 is exact), then e^r - 1 on |r| <= ln2 / 2 by a minimax fit.
float kc_pow2i(int n) {
    return intBitsToFloat((n + 127) << 23);
}

// x * 2^n for n in [-252, 254], as two exact power-of-two factors.
float kc_scale(float x, int n) {
    int h = n / 2;
    return x * kc_pow2i(h) * kc_pow2i(n - h);
}

float kc_expm1_poly(float r) {
    float p = 0.49999994 + r * (0.16666512 + r * (0.041668303 + r * (0.008369828
        + r * 0.001382035)));
    return r + r * r * p;
}

// e^(hi + lo) for |lo| < 2^-10: lo joins the reduced argument.
float kc_exp_hl(float hi, float lo) {
    if (hi > 88.72284) {
        return kc_inf();
    }
    if (hi < -104.0) {
        return 0.0;
    }
    float n = floor(hi * 1.442695 + 0.5);
    float r = (hi - n * 0.693359375) - n * -0.00021219444 + lo;
    return kc_scale(1.0 + kc_expm1_poly(r), int(n));
}

float kc_exp(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    return kc_exp_hl(x, 0.0);
}

float kc_exp2(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    if (x >= 128.0) {
        return kc_inf();
    }
    if (x < -152.0) {
        return 0.0;
    }
    float n = floor(x + 0.5);
    return kc_scale(1.0 + kc_expm1_poly((x - n) * 0.6931472), int(n));
}

// e^x - 1 = (2^n - 1) + 2^n (e^r - 1): no cancellation, and 2^n - 1 is exact.
float kc_expm1(float x) {
    if (x == 0.0) {
        return x; // -0 stays -0
    }
    if (abs(x) < 0.3465) {
        return kc_expm1_poly(x);
    }
    if (kc_isnan(x) || x > 20.0) {
        return kc_exp(x);
    }
    if (x < -17.5) {
        return -1.0;
    }
    float n = floor(x * 1.442695 + 0.5);
    float r = (x - n * 0.693359375) - n * -0.00021219444;
    float s = kc_pow2i(int(n));
    return (s - 1.0) + s * kc_expm1_poly(r);
}

// The high half of x (12 significant bits): products of two halves are exact.
float kc_split_hi(float x) {
    return uintBitsToFloat(floatBitsToUint(x) & 0xfffff000u);
}

// e^(s x^2) for s = 1, -1 or -1/2: with x = xh + xl, s xh^2 is exact, so the large part of
// the exponent carries no rounding error (a rounded x^2 would cost up to 60 ulp).
float kc_exp_sq(float x, float s) {
    float xh = kc_split_hi(x);
    float xl = x - xh;
    return kc_exp_hl(s * xh * xh, s * xl * (x + xh));
}

// 10^x = 2^(n*L_hi) * 2^(n*L_lo + f*L) with n = trunc(x): n*L_hi is exact (L_hi has 18
// significant bits), so the large part of the exponent carries no rounding error.
float kc_exp10(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    float c = clamp(x, -64.0, 64.0);
    float n = trunc(c);
    float f = c - n;
    return exp2(n * 3.321929931640625) * exp2(n * -1.8367533e-06 + f * 3.321928);
}

// Logarithms: native ones may be accurate only in absolute terms near 1 (and 3 ulp
// elsewhere), so ours reduce x = m 2^e, m in [sqrt(1/2), sqrt(2)), exactly and take
// log(m) = log1p(f) from the series of 2 atanh(s), s = f / (2 + f) (|f| <= 0.42), written
// so that its rounding errors fall on small terms: f - (f^2/2 - s (f^2/2 + R(s^2))).
float kc_log1p_small(float f) {
    float s = f / (2.0 + f);
    float z = s * s;
    float r = z * (0.6666667 + z * (0.4 + z * (0.2857143 + z * (0.22222222 + z * (0.18181819
        + z * 0.15384616)))));
    float hfsq = 0.5 * f * f;
    return f - (hfsq - s * (hfsq + r));
}

// log(x) for finite x > 0; 0.693359375 has 9 significant bits, so e * it is exact.
float kc_ln(float x) {
    float y = x;
    float e = 0.0;
    if (y < 1.17549435e-38) {
        y = y * 16777216.0;
        e = -24.0;
    }
    int bits = floatBitsToInt(y);
    e = e + float((bits >> 23) - 127);
    float m = intBitsToFloat((bits & 0x007fffff) | 0x3f800000);
    if (m > 1.4142135) {
        m = m * 0.5;
        e = e + 1.0;
    }
    return e * 0.693359375 + (kc_log1p_small(m - 1.0) + e * -0.00021219444);
}

// Outside (-0.42, 0.41), log(u) for u = 1 + x rounded, plus (x - (u - 1)) / u, the first
// order correction for that rounding (u - 1 is exact).
float kc_log1p(float x) {
    if (x > -0.42 && x < 0.41) {
        return kc_log1p_small(x);
    }
    if (kc_isnan(x) || x < -1.0) {
        return kc_nan();
    }
    if (x == -1.0) {
        return -kc_inf();
    }
    if (kc_isinf(x)) {
        return x;
    }
    float u = 1.0 + x;
    return kc_ln(u) + (x - (u - 1.0)) / u;
}

float kc_log(float x) {
    if (kc_isnan(x) || x < 0.0) {
        return kc_nan();
    }
    if (x == 0.0) {
        return -kc_inf();
    }
    if (kc_isinf(x)) {
        return x;
    }
    return kc_ln(x);
}

float kc_log2(float x) {
    return abs(x - 1.0) < 0.25 ? kc_log1p_small(x - 1.0) * 1.442695 : log2(x);
}

float kc_log10(float x) {
    return abs(x - 1.0) < 0.25 ? kc_log1p_small(x - 1.0) * 0.4342945 : log2(x) * 0.30103;
}

// powf with C99 special cases; a negative base with an integral exponent is real.
float kc_pow(float x, float y) {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    float ax = abs(x);
    bool y_int = trunc(y) == y;
    bool y_odd = y_int && abs(y) < 16777216.0 && (int(y) & 1) != 0;
    float r;
    if (ax == 0.0) {
        r = (y < 0.0 ? kc_inf() : 0.0);
    } else if (kc_isinf(x)) {
        r = (y < 0.0 ? 0.0 : kc_inf());
    } else if (kc_isinf(y)) {
        if (ax == 1.0) {
            return 1.0;
        }
        r = ((ax > 1.0) == (y > 0.0) ? kc_inf() : 0.0);
    } else {
        if (x < 0.0 && !y_int) {
            return kc_nan();
        }
        r = exp2(y * kc_log2(ax));
    }
    return (y_odd && kc_signbit(x) ? -r : r);
}

float kc_cbrt(float x) {
    float a = abs(x);
    if (a == 0.0 || kc_isinf(x) || kc_isnan(x)) {
        return x;
    }
    float r = exp2(log2(a) * 0.33333334);
    r = r - (r - a / (r * r)) * 0.33333334;
    return kc_copysign(r, x);
}

// Hyperbolic functions through expm1/log1p: accurate near 0, no inf/inf for large |x|.
float kc_sinh(float x) {
    float a = abs(x);
    if (a > 88.0) {
        float e = exp(0.5 * a);
        return kc_copysign(0.5 * e * e, x);
    }
    float t = kc_expm1(a);
    return kc_copysign(0.5 * (t + t / (t + 1.0)), x);
}

float kc_cosh(float x) {
    float a = abs(x);
    if (a > 88.0) {
        float e = exp(0.5 * a);
        return 0.5 * e * e;
    }
    float e = exp(a);
    return 0.5 * e + 0.5 / e;
}

float kc_tanh(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    float t = kc_expm1(2.0 * min(abs(x), 15.0));
    return kc_copysign(t / (t + 2.0), x);
}

float kc_asinh(float x) {
    float a = abs(x);
    if (a > 4096.0) {
        return kc_copysign(log(a) + 0.6931472, x);
    }
    return kc_copysign(kc_log1p(a + a * a / (1.0 + sqrt(1.0 + a * a))), x);
}

float kc_acosh(float x) {
    if (x < 1.0) {
        return kc_nan();
    }
    if (x > 4096.0) {
        return log(x) + 0.6931472;
    }
    float t = x - 1.0;
    return kc_log1p(t + sqrt(2.0 * t + t * t));
}

float kc_atanh(float x) {
    float a = abs(x);
    if (a > 1.0) {
        return kc_nan();
    }
    return kc_copysign(0.5 * kc_log1p(2.0 * a / (1.0 - a)), x);
}

// asinf, acosf, atanf, atan2f after Cephes (about 2 ulp, C's special cases): native ones
// may be far less accurate.
float kc_atan(float x) {
    float a = abs(x);
    float base = 0.0;
    if (a > 2.4142137) {
        base = 1.5707964;
        a = -1.0 / a;
    } else if (a > 0.41421357) {
        base = 0.7853982;
        a = (a - 1.0) / (a + 1.0);
    }
    float z = a * a;
    float p = ((0.080537446 * z - 0.13877685) * z + 0.19977711) * z - 0.3333295;
    return kc_copysign(base + (p * z * a + a), x);
}

float kc_asin(float x) {
    float a = abs(x);
    if (a > 1.0) {
        return kc_nan();
    }
    float z = a * a;
    float s = a;
    if (a > 0.5) {
        z = 0.5 * (1.0 - a);
        s = sqrt(z);
    }
    float p = (((0.0421632 * z + 0.024181312) * z + 0.045470025) * z + 0.074953005) * z;
    float r = (p + 0.16666752) * z * s + s;
    if (a > 0.5) {
        r = 1.5707964 - (r + r);
    }
    return kc_copysign(r, x);
}

float kc_acos(float x) {
    if (abs(x) > 1.0) {
        return kc_nan();
    }
    if (x < -0.5) {
        return 3.1415927 - 2.0 * kc_asin(sqrt(0.5 * (1.0 + x)));
    }
    if (x > 0.5) {
        return 2.0 * kc_asin(sqrt(0.5 * (1.0 - x)));
    }
    return 1.5707964 - kc_asin(x);
}

float kc_atan2(float y, float x) {
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    if (kc_isinf(x) && kc_isinf(y)) {
        return kc_copysign(x < 0.0 ? 2.3561945 : 0.7853982, y);
    }
    if (x == 0.0) {
        if (y == 0.0) {
            return kc_copysign(kc_signbit(x) ? 3.1415927 : 0.0, y);
        }
        return kc_copysign(1.5707964, y);
    }
    float t = kc_atan(y / x);
    return kc_signbit(x) ? t + kc_copysign(3.1415927, y) : t;
}

// erf(x) = x + x R(x^2) for |x| <= 1 (R: a minimax fit of erf(x)/x - 1).
float kc_erf_small(float x) {
    float z = x * x;
    float r = 0.12837917 + z * (-0.37612626 + z * (0.11283579 + z * (-0.026853347
        + z * (0.005187162 + z * (-0.0007997853 + z * 7.806903e-05)))));
    return x + x * r;
}

// erfcx(a) = e^(a^2) erfc(a) for a >= 0.5, by minimax fits: in a itself on [0.5, 2) and
// [2, 4) (a rounded t would cost 2 ulp there); beyond, t H(t - 1/6) with t = 2 / (2 + a)
// in (0, 1/3], H smooth out to infinity.
float kc_erfcx_tail(float a) {
    if (a < 2.0) {
        float v = a - 1.25;
        return 0.36782292 + v * (-0.20882188 + v * (0.10679568 + v * (-0.050218254
            + v * (0.022009628 + v * (-0.009081444 + v * (0.0035626378 + v * (-0.0013279091
            + v * (0.00045164677 + v * (-0.00015664716 + v * (7.550356e-05
            + v * -2.402393e-05))))))))));
    }
    if (a < 4.0) {
        float v = a - 3.0;
        return 0.17900115 + v * (-0.054372262 + v * (0.015884321 + v * (-0.004479372
            + v * (0.001223391 + v * (-0.00032441877 + v * (8.267984e-05 + v * (-2.0469473e-05
            + v * (6.0230595e-06 + v * -1.5881961e-06))))))));
    }
    float t = 2.0 / (2.0 + a);
    float u = t - 0.16666667;
    return t * (0.33684596 + u * (0.38054714 + u * (0.34793907 + u * (0.2243
        + u * (0.049703877 + u * (-0.08686563 + u * (-0.15907669 + u * (0.0025847272
        + u * 1.1828576))))))));
}

float kc_erf(float x) {
    float a = abs(x);
    if (kc_isnan(x) || a < 1.0) {
        return kc_erf_small(x);
    }
    if (a >= 4.0) {
        return kc_copysign(1.0, x);
    }
    return kc_copysign(1.0 - kc_exp_sq(a, -1.0) * kc_erfcx_tail(a), x);
}

float kc_erfc(float x) {
    float a = abs(x);
    if (kc_isnan(x) || a < 0.5) {
        return 1.0 - kc_erf_small(x);
    }
    float r = 0.0;
    if (a < 10.5) {
        r = kc_exp_sq(a, -1.0) * kc_erfcx_tail(a);
    }
    if (x < 0.0) {
        return 2.0 - r;
    }
    return r;
}

// Below -0.5, erfcx(x) = 2 e^(x^2) - erfcx(-x).
float kc_erfcx(float x) {
    if (kc_isnan(x) || x >= 0.5) {
        return kc_erfcx_tail(x);
    }
    if (x > -0.5) {
        return kc_exp(x * x) * (1.0 - kc_erf_small(x));
    }
    if (x < -9.5) {
        return kc_inf();
    }
    return 2.0 * kc_exp_sq(x, 1.0) - kc_erfcx_tail(-x);
}

// normcdf(x) = erfc(-x / sqrt(2)) / 2 with e^(-x^2 / 2) taken from x itself: through the
// rounded x / sqrt(2) its error would grow with x^2.
float kc_normcdf(float x) {
    float z = x * -0.70710677;
    float a = abs(z);
    if (kc_isnan(x) || a < 0.5) {
        return 0.5 - 0.5 * kc_erf_small(z);
    }
    float r = 0.0;
    if (a < 10.5) {
        r = 0.5 * kc_exp_sq(x, -0.5) * kc_erfcx_tail(a);
    }
    if (z < 0.0) {
        return 1.0 - r;
    }
    return r;
}

// erfinv in Giles' form, with our own minimax fits: for w = -log(1 - y^2) < 5, y P(w - 2.5);
// beyond, y Q(sqrt(w) - 3) (w < 16 covers every float y < 1).
float kc_erfinv_w(float y, float w) {
    if (w < 5.0) {
        float v = w - 2.5;
        return y * (1.5014094 + v * (0.24664028 + v * (-0.004177668 + v * (-0.0012527556
            + v * (0.00021857723 + v * (-4.943497e-06 + v * (-3.5236799e-06
            + v * (4.5995577e-07 + v * (2.8191907e-08 + v * -8.237225e-09)))))))));
    }
    float v = sqrt(w) - 3.0;
    return y * (2.8329768 + v * (1.0016752 + v * (0.009445346 + v * (-0.007641144
        + v * (0.005684721 + v * (-0.0035815728 + v * (0.0014928073 + v * (-8.259428e-05
        + v * (-0.00031646856 + v * 0.00013066817)))))))));
}

float kc_erfinv(float y) {
    float a = abs(y);
    if (kc_isnan(y) || a > 1.0) {
        return kc_nan();
    }
    if (a == 1.0) {
        return kc_copysign(kc_inf(), y);
    }
    return kc_erfinv_w(y, -kc_log((1.0 - a) * (1.0 + a)));
}

// erfcinv(y) = erfinv(1 - y), where 1 - y is exact; for the tails w = -log(q (2 - q)),
// q = min(y, 2 - y), reaches 107 (s = sqrt(w) up to 10.4), where x = s T(1/s - 0.175).
float kc_erfcinv(float y) {
    if (kc_isnan(y) || y < 0.0 || y > 2.0) {
        return kc_nan();
    }
    if (y >= 0.5 && y <= 1.5) {
        return kc_erfinv(1.0 - y);
    }
    float q = min(y, 2.0 - y);
    if (q == 0.0) {
        return kc_copysign(kc_inf(), 1.0 - y);
    }
    float w = -kc_log(q * (2.0 - q));
    float x;
    if (w < 16.0) {
        x = kc_erfinv_w(1.0 - q, w);
    } else {
        float s = sqrt(w);
        float v = 1.0 / s - 0.175;
        x = s * (0.974998 + v * (-0.19922554 + v * (-0.07914831 + v * (0.89300907
            + v * (-1.503062 + v * (3.2339208 + v * -10.266523))))));
    }
    return kc_copysign(x, 1.0 - y);
}

// normcdfinv(p) = -sqrt(2) erfcinv(2p) = sqrt(2) erfcinv(2 - 2p), exact for p >= 0.5.
float kc_normcdfinv(float p) {
    if (p >= 0.5) {
        return 1.4142135 * kc_erfcinv(2.0 - 2.0 * p);
    }
    return -1.4142135 * kc_erfcinv(2.0 * p);
}

// Gamma(1 + t) - 1 = t (t - 1) D(t) on [0, 1]: zero at both ends, so lgamma near 1 and 2
// keeps its relative accuracy. D: a minimax fit in t - 0.5.
float kc_gamma_d(float t) {
    float v = t - 0.5;
    return 0.4550923 + v * (-0.1293536 + v * (0.16111313 + v * (-0.08823353
        + v * (0.06594624 + v * (-0.042900667 + v * (0.02840589 + v * (-0.018784853
        + v * (0.01562378 + v * (-0.011396585 + v * 0.002960976)))))))));
}

float kc_gamma1pm1(float t) {
    return t * (t - 1.0) * kc_gamma_d(t);
}

// lgamma for finite x > 0: on (0, 3) through log1p of Gamma - 1 (relative accuracy at
// the zeros 1 and 2); up to 8 by the recurrence (a product of exact factors); above by
// Stirling's series: (x - 1/2)(log x - 1) + log(2 pi)/2 - 1/2 + 1/(12x) - 1/(360x^3) + ...
float kc_lgamma_pos(float x) {
    if (x >= 8.0) {
        float r = 1.0 / x;
        float z = r * r;
        float series = r * (0.083333336 - z * (0.0027777778 - z * 0.0007936508));
        return (x - 0.5) * (kc_log(x) - 1.0) + (0.41893853 + series);
    }
    if (x < 1.0) {
        return kc_log1p(kc_gamma1pm1(x)) - kc_log(x);
    }
    if (x <= 2.0) {
        return kc_log1p(kc_gamma1pm1(x - 1.0));
    }
    float y = x;
    float p = 1.0;
    for (int k = 0; k < 6 && y >= 3.0; k++) {
        y = y - 1.0;
        p = p * y;
    }
    // lgamma(2 + t) = log((1 + t) Gamma(1 + t)) = log1p(t (1 + (t^2 - 1) D(t)))
    float t = y - 2.0;
    return kc_log(p) + kc_log1p(t * (1.0 + (t * t - 1.0) * kc_gamma_d(t)));
}

// |sin(pi x)| for |x| < 2^23 (x - round(x) is exact there).
float kc_abs_sinpi(float x) {
    float r = x - floor(x + 0.5);
    float z = r * r;
    float p = 3.1415927 + z * (-5.1677203 + z * (2.5502594 + z * (-0.59937 + z * 0.079703264)));
    return abs(r * p);
}

// CUDA's lgammaf: +inf at the poles and at +-inf; above -4 by the recurrence (its factors
// are exact), below by reflection, |Gamma(x)| = pi / (|x sin(pi x)| Gamma(-x)).
float kc_lgamma(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    if (kc_isinf(x) || (x <= 0.0 && floor(x) == x)) {
        return kc_inf();
    }
    if (x == 1.0 || x == 2.0) {
        return 0.0;
    }
    if (x > 0.0) {
        return kc_lgamma_pos(x);
    }
    if (x > -4.0) {
        // lgamma(x) = lgamma(x + n) - log|x (x + 1) ... (x + n - 1)|, x + n in (0, 1)
        float z = x;
        float p = 1.0;
        for (int k = 0; k < 4 && z < 0.0; k++) {
            p = p * z;
            z = z + 1.0;
        }
        return kc_lgamma_pos(z) - kc_log(abs(p));
    }
    return 1.1447299 - kc_log(abs(x) * kc_abs_sinpi(x)) - kc_lgamma_pos(-x);
}

// a b - fl(a b) exactly, for a finite normal product (Dekker: with 12-bit halves every
// partial product is exact).
float kc_mul_err(float a, float b, float p) {
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
float kc_tgamma(float x) {
    if (kc_isnan(x)) {
        return x;
    }
    if (x == 0.0) {
        return kc_copysign(kc_inf(), x);
    }
    if (x < 0.0 && floor(x) == x) {
        return kc_nan();
    }
    if (x > 35.5) {
        return kc_inf();
    }
    if (x < -42.0) {
        float h = floor(x) * 0.5;
        return kc_copysign(0.0, floor(h) == h ? 1.0 : -1.0);
    }
    float z = x;
    float c = 0.0;
    if (x >= 1.0) {
        float p = 1.0 + kc_gamma1pm1(x - floor(x));
        for (int k = 0; k < 36 && z >= 2.0; k++) {
            z = z - 1.0;
            float q = p * z;
            c = c + kc_mul_err(p, z, q) / q;
            p = q;
        }
        if (kc_isinf(p)) {
            return p;
        }
        return p + p * c;
    }
    float p = 1.0;
    float scale = 1.0;
    for (int k = 0; k < 44 && z < 1.0; k++) {
        float q = p * z;
        c = c + kc_mul_err(p, z, q) / q;
        p = q;
        z = z + 1.0;
        if (abs(p) > 1e30) {
            p = p * 7.888609e-31;
            scale = 7.888609e-31;
        }
    }
    float r = (1.0 + kc_gamma1pm1(z - 1.0)) / p;
    return (r - r * c) * scale;
}

// fmaf: a b + c rounded (almost always) once. The product's rounding error comes from
// 12-bit halves (Dekker: every partial product is exact), the sum's from a two-sum, and
// both are added back at the end.
float kc_fma(float a, float b, float c) {
    float p = a * b;
    if (!kc_isfinite(p) || !kc_isfinite(c) || p == 0.0) {
        return p + c;
    }
    float e = kc_mul_err(a, b, p);
    float s = p + c;
    float v = s - p;
    float t = (p - (s - v)) + (c - v);
    return s + (t + e);
}

float kc_rcbrt(float x) {
    if (x == 0.0) {
        return kc_copysign(kc_inf(), x);
    }
    return 1.0 / kc_cbrt(x);
}

// ldexpf(x, n): beyond +-300 the result is 0 or inf anyway; three exact power-of-two steps.
float kc_ldexp(float x, float n) {
    int k = int(clamp(n, -300.0, 300.0));
    int h = k / 3;
    return kc_scale(x * kc_pow2i(h), k - h);
}

// C integer division: truncating. GLSL leaves `%` of negative operands and division by
// zero undefined, so both work on magnitudes. x / 0 is -1 and x % 0 is x (what CUDA's
// hardware sequence gives); INT_MIN / -1 is INT_MIN, INT_MIN % -1 is 0 (as in WGSL).
uint kc_uabs(int x) {
    return x < 0 ? 0u - uint(x) : uint(x);
}

int kc_idiv(int x, int y) {
    if (y == 0) {
        return -1;
    }
    uint q = kc_uabs(x) / kc_uabs(y);
    return (x < 0) != (y < 0) ? int(0u - q) : int(q);
}

int kc_imod(int x, int y) {
    if (y == 0) {
        return x;
    }
    uint r = kc_uabs(x) % kc_uabs(y);
    return x < 0 ? int(0u - r) : int(r);
}

uint kc_udiv(uint x, uint y) {
    return y == 0u ? 4294967295u : x / y;
}

uint kc_umod(uint x, uint y) {
    return y == 0u ? x : x % y;
}

// Element `pos` of a texture `w` texels wide (arrays are stored row by row).
ivec2 kc_texel(int pos, int w) {
    return ivec2(pos % w, pos / w);
}
