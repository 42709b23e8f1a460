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

// Logarithms: native ones may be accurate only in absolute terms near 1, so near 1 a
// series in s = t / (2 + t) (log1p(t) = 2 atanh(s), |t| < 1/4) gives relative accuracy;
// elsewhere log(u) * x / (u - 1) corrects u = 1 + x in log1p.
float kc_log1p_small(float t) {
    float s = t / (2.0 + t);
    float s2 = s * s;
    float p = 0.2 + s2 * (0.14285715 + s2 * 0.11111111);
    return 2.0 * s * (1.0 + s2 * (0.33333334 + s2 * p));
}

float kc_log1p(float x) {
    if (abs(x) < 0.25) {
        return kc_log1p_small(x);
    }
    if (kc_isinf(x)) {
        return x > 0.0 ? x : kc_nan();
    }
    float u = 1.0 + x;
    return log(u) * (x / (u - 1.0));
}

float kc_log(float x) {
    return abs(x - 1.0) < 0.25 ? kc_log1p_small(x - 1.0) : log(x);
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

float kc_expm1(float x) {
    if (abs(x) < 0.25) {
        float p = 0.041666668 + x * (0.008333334 + x * (0.0013888889 + x * 0.0001984127));
        return x * (1.0 + x * (0.5 + x * (0.16666667 + x * p)));
    }
    return exp(x) - 1.0;
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
