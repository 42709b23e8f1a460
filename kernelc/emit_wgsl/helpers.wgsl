// kernelc WGSL helpers: CUDA semantics where WGSL differs or leaves results indeterminate.
// One helper per blank-line-separated block; a helper comes after the helpers it uses.
// The emitter copies only the blocks a program uses, in this order.

// Run-time constants: u.k_n >= 0, so min(u.k_n, 0) is a zero no compiler can fold. WGSL
// rejects constant expressions that are infinite or NaN, and drivers fold x * 0.0 to 0.
fn kc_zero_bits() -> u32 {
    return u32(min(u.k_n, 0i));
}

fn kc_zero() -> f32 {
    return f32(min(u.k_n, 0i));
}

fn kc_inf() -> f32 {
    return bitcast<f32>(0x7f800000u | kc_zero_bits());
}

fn kc_nan() -> f32 {
    return bitcast<f32>(0x7fffffffu | kc_zero_bits());
}

// Identities that hide a value from constant evaluation: WGSL rejects overflow, division
// by zero and domain errors in constant expressions (C leaves them to run time), and
// drivers fold x - x to 0 (wrong for Inf and NaN). The f32 one selects on a uniform.
fn kc_opaque_f32(x: f32) -> f32 {
    return select(x, kc_zero(), u.k_n < 0i);
}

fn kc_opaque_i32(x: i32) -> i32 {
    return x;
}

fn kc_opaque_u32(x: u32) -> u32 {
    return x;
}

// Classification by bits: WGSL may assume finite math, so x != x is not a NaN test.
fn kc_isnan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn kc_isinf(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn kc_isfinite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn kc_signbit(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x80000000u) != 0u;
}

fn kc_copysign(x: f32, y: f32) -> f32 {
    return bitcast<f32>((bitcast<u32>(x) & 0x7fffffffu) | (bitcast<u32>(y) & 0x80000000u));
}

// float -> int as CUDA's cvt.rzi: truncate, saturate, NaN -> 0.
fn kc_f2i(x: f32) -> i32 {
    if (kc_isnan(x)) {
        return 0i;
    }
    if (x >= 2147483648.0f) {
        return 2147483647i;
    }
    if (x <= -2147483648.0f) {
        return i32(-2147483648);
    }
    return i32(x);
}

fn kc_f2u(x: f32) -> u32 {
    if (kc_isnan(x) || x <= 0.0f) {
        return 0u;
    }
    if (x >= 4294967296.0f) {
        return 4294967295u;
    }
    return u32(x);
}

// C integer division (WGSL's `/` and `%` truncate too); by zero it gives what CUDA's
// hardware sequence gives: x / 0 is -1 (all ones for u32), x % 0 is x.
fn kc_idiv(x: i32, y: i32) -> i32 {
    return select(x / y, -1i, y == 0i);
}

fn kc_imod(x: i32, y: i32) -> i32 {
    return select(x % y, x, y == 0i);
}

fn kc_udiv(x: u32, y: u32) -> u32 {
    return select(x / y, 4294967295u, y == 0u);
}

fn kc_umod(x: u32, y: u32) -> u32 {
    return select(x % y, x, y == 0u);
}

// fminf/fmaxf: a NaN operand yields the other operand.
fn kc_fmin(x: f32, y: f32) -> f32 {
    if (kc_isnan(x)) {
        return y;
    }
    if (kc_isnan(y)) {
        return x;
    }
    return min(x, y);
}

fn kc_fmax(x: f32, y: f32) -> f32 {
    if (kc_isnan(x)) {
        return y;
    }
    if (kc_isnan(y)) {
        return x;
    }
    return max(x, y);
}

fn kc_fdim(x: f32, y: f32) -> f32 {
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    return select(0.0f, x - y, x > y);
}

// roundf: half away from zero; x - trunc(x) is exact, so 0.49999997f stays 0.
fn kc_round(x: f32) -> f32 {
    let t = trunc(x);
    return select(t, t + sign(x), abs(x - t) >= 0.5f);
}

// C fmod, exact: binary long division of |x| by |y| in which every subtraction is exact.
fn kc_fmod(x: f32, y: f32) -> f32 {
    let ax = abs(x);
    let ay = abs(y);
    if (kc_isnan(x) || kc_isnan(y) || kc_isinf(x) || ay == 0.0f) {
        return kc_nan();
    }
    if (ax < ay) {
        return x;
    }
    var t = ay;
    for (var k = 0; k < 300 && t * 2.0f <= ax; k++) {
        t = t * 2.0f;
    }
    var r = ax;
    for (var k = 0; k < 300; k++) {
        if (r >= t) {
            r = r - t;
        }
        if (t <= ay) {
            break;
        }
        t = t * 0.5f;
    }
    return kc_copysign(r, x);
}

fn kc_hypot(x: f32, y: f32) -> f32 {
    if (kc_isinf(x) || kc_isinf(y)) {
        return kc_inf();
    }
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    let a = max(abs(x), abs(y));
    if (a == 0.0f) {
        return 0.0f;
    }
    let r = min(abs(x), abs(y)) / a;
    return a * sqrt(1.0f + r * r);
}

// 10^x = 2^(n*L_hi) * 2^(n*L_lo + f*L) with n = trunc(x): n*L_hi is exact (L_hi has 18
// significant bits), so the large part of the exponent carries no rounding error.
fn kc_exp10(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    let c = clamp(x, -64.0f, 64.0f);
    let n = trunc(c);
    let f = c - n;
    return exp2(n * 3.321929931640625f) * exp2(n * -1.8367533e-06f + f * 3.321928f);
}

// Logarithms: native ones may be accurate only in absolute terms near 1 (WGSL allows
// 2^-21 there), so near 1 a series in s = t / (2 + t) (log1p(t) = 2 atanh(s), |t| < 1/4)
// gives relative accuracy; elsewhere log(u) * x / (u - 1) corrects u = 1 + x in log1p.
fn kc_log1p_small(t: f32) -> f32 {
    let s = t / (2.0f + t);
    let s2 = s * s;
    let p = 0.2f + s2 * (0.14285715f + s2 * 0.11111111f);
    return 2.0f * s * (1.0f + s2 * (0.33333334f + s2 * p));
}

fn kc_log1p(x: f32) -> f32 {
    if (abs(x) < 0.25f) {
        return kc_log1p_small(x);
    }
    if (kc_isinf(x)) {
        return select(kc_nan(), x, x > 0.0f);
    }
    let u = 1.0f + x;
    return log(u) * (x / (u - 1.0f));
}

fn kc_log(x: f32) -> f32 {
    return select(log(x), kc_log1p_small(x - 1.0f), abs(x - 1.0f) < 0.25f);
}

fn kc_log2(x: f32) -> f32 {
    return select(log2(x), kc_log1p_small(x - 1.0f) * 1.442695f, abs(x - 1.0f) < 0.25f);
}

fn kc_log10(x: f32) -> f32 {
    let near_one = kc_log1p_small(x - 1.0f) * 0.4342945f;
    return select(log2(x) * 0.30103f, near_one, abs(x - 1.0f) < 0.25f);
}

// powf with C99 special cases; a negative base with an integral exponent is real.
fn kc_pow(x: f32, y: f32) -> f32 {
    if (y == 0.0f || x == 1.0f) {
        return 1.0f;
    }
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    let ax = abs(x);
    let y_int = trunc(y) == y;
    let y_odd = y_int && abs(y) < 16777216.0f && (i32(y) & 1i) != 0i;
    var r: f32;
    if (ax == 0.0f) {
        r = select(0.0f, kc_inf(), y < 0.0f);
    } else if (kc_isinf(x)) {
        r = select(kc_inf(), 0.0f, y < 0.0f);
    } else if (kc_isinf(y)) {
        if (ax == 1.0f) {
            return 1.0f;
        }
        r = select(0.0f, kc_inf(), (ax > 1.0f) == (y > 0.0f));
    } else {
        if (x < 0.0f && !y_int) {
            return kc_nan();
        }
        r = exp2(y * kc_log2(ax));
    }
    return select(r, -r, y_odd && kc_signbit(x));
}

fn kc_expm1(x: f32) -> f32 {
    if (abs(x) < 0.25f) {
        let p = 0.041666668f + x * (0.008333334f + x * (0.0013888889f + x * 0.0001984127f));
        return x * (1.0f + x * (0.5f + x * (0.16666667f + x * p)));
    }
    return exp(x) - 1.0f;
}

fn kc_cbrt(x: f32) -> f32 {
    let a = abs(x);
    if (a == 0.0f || kc_isinf(x) || kc_isnan(x)) {
        return x;
    }
    var r = exp2(log2(a) * 0.33333334f);
    r = r - (r - a / (r * r)) * 0.33333334f;
    return kc_copysign(r, x);
}

// Hyperbolic functions through expm1/log1p: accurate near 0, no inf/inf for large |x|.
fn kc_sinh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 88.0f) {
        let e = exp(0.5f * a);
        return kc_copysign(0.5f * e * e, x);
    }
    let t = kc_expm1(a);
    return kc_copysign(0.5f * (t + t / (t + 1.0f)), x);
}

fn kc_cosh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 88.0f) {
        let e = exp(0.5f * a);
        return 0.5f * e * e;
    }
    let e = exp(a);
    return 0.5f * e + 0.5f / e;
}

fn kc_tanh(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    let t = kc_expm1(2.0f * min(abs(x), 15.0f));
    return kc_copysign(t / (t + 2.0f), x);
}

fn kc_asinh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 4096.0f) {
        return kc_copysign(log(a) + 0.6931472f, x);
    }
    return kc_copysign(kc_log1p(a + a * a / (1.0f + sqrt(1.0f + a * a))), x);
}

fn kc_acosh(x: f32) -> f32 {
    if (x < 1.0f) {
        return kc_nan();
    }
    if (x > 4096.0f) {
        return log(x) + 0.6931472f;
    }
    let t = x - 1.0f;
    return kc_log1p(t + sqrt(2.0f * t + t * t));
}

fn kc_atanh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 1.0f) {
        return kc_nan();
    }
    return kc_copysign(0.5f * kc_log1p(2.0f * a / (1.0f - a)), x);
}

// asinf, acosf, atanf, atan2f after Cephes (about 2 ulp, C's special cases): native ones
// may be far less accurate (WGSL allows 4096 ulp for atan).
fn kc_atan(x: f32) -> f32 {
    var a = abs(x);
    var base = 0.0f;
    if (a > 2.4142137f) {
        base = 1.5707964f;
        a = -1.0f / a;
    } else if (a > 0.41421357f) {
        base = 0.7853982f;
        a = (a - 1.0f) / (a + 1.0f);
    }
    let z = a * a;
    let p = ((0.080537446f * z - 0.13877685f) * z + 0.19977711f) * z - 0.3333295f;
    return kc_copysign(base + (p * z * a + a), x);
}

fn kc_asin(x: f32) -> f32 {
    let a = abs(x);
    if (a > 1.0f) {
        return kc_nan();
    }
    var z = a * a;
    var s = a;
    if (a > 0.5f) {
        z = 0.5f * (1.0f - a);
        s = sqrt(z);
    }
    let p = (((0.0421632f * z + 0.024181312f) * z + 0.045470025f) * z + 0.074953005f) * z;
    var r = (p + 0.16666752f) * z * s + s;
    if (a > 0.5f) {
        r = 1.5707964f - (r + r);
    }
    return kc_copysign(r, x);
}

fn kc_acos(x: f32) -> f32 {
    if (abs(x) > 1.0f) {
        return kc_nan();
    }
    if (x < -0.5f) {
        return 3.1415927f - 2.0f * kc_asin(sqrt(0.5f * (1.0f + x)));
    }
    if (x > 0.5f) {
        return 2.0f * kc_asin(sqrt(0.5f * (1.0f - x)));
    }
    return 1.5707964f - kc_asin(x);
}

fn kc_atan2(y: f32, x: f32) -> f32 {
    if (kc_isnan(x) || kc_isnan(y)) {
        return kc_nan();
    }
    if (kc_isinf(x) && kc_isinf(y)) {
        return kc_copysign(select(0.7853982f, 2.3561945f, x < 0.0f), y);
    }
    if (x == 0.0f) {
        if (y == 0.0f) {
            return kc_copysign(select(0.0f, 3.1415927f, kc_signbit(x)), y);
        }
        return kc_copysign(1.5707964f, y);
    }
    let t = kc_atan(y / x);
    return select(t, t + kc_copysign(3.1415927f, y), kc_signbit(x));
}
