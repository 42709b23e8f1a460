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

// Exponentials from arithmetic alone: a native exp may be 60 ulp off for large |x| (its
// argument reduction is the driver's). n = round(x / ln2) and r = x - n ln2 with ln2 split
// (Cody-Waite: n * 0.693359375 is exact), then e^r - 1 on |r| <= ln2 / 2 by a minimax fit.
fn kc_pow2i(n: i32) -> f32 {
    return bitcast<f32>((n + 127i) << 23u);
}

// x * 2^n for n in [-252, 254], as two exact power-of-two factors.
fn kc_scale(x: f32, n: i32) -> f32 {
    let h = n / 2i;
    return x * kc_pow2i(h) * kc_pow2i(n - h);
}

fn kc_expm1_poly(r: f32) -> f32 {
    let p = 0.49999994f + r * (0.16666512f + r * (0.041668303f + r * (0.008369828f
        + r * 0.001382035f)));
    return r + r * r * p;
}

// e^(hi + lo) for |lo| < 2^-10: lo joins the reduced argument.
fn kc_exp_hl(hi: f32, lo: f32) -> f32 {
    if (hi > 88.72284f) {
        return kc_inf();
    }
    if (hi < -104.0f) {
        return 0.0f;
    }
    let n = floor(hi * 1.442695f + 0.5f);
    let r = (hi - n * 0.693359375f) - n * -0.00021219444f + lo;
    return kc_scale(1.0f + kc_expm1_poly(r), i32(n));
}

fn kc_exp(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    return kc_exp_hl(x, 0.0f);
}

fn kc_exp2(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    if (x >= 128.0f) {
        return kc_inf();
    }
    if (x < -152.0f) {
        return 0.0f;
    }
    let n = floor(x + 0.5f);
    return kc_scale(1.0f + kc_expm1_poly((x - n) * 0.6931472f), i32(n));
}

// e^x - 1 = (2^n - 1) + 2^n (e^r - 1): no cancellation, and 2^n - 1 is exact.
fn kc_expm1(x: f32) -> f32 {
    if (x == 0.0f) {
        return x; // -0 stays -0
    }
    if (abs(x) < 0.3465f) {
        return kc_expm1_poly(x);
    }
    if (kc_isnan(x) || x > 20.0f) {
        return kc_exp(x);
    }
    if (x < -17.5f) {
        return -1.0f;
    }
    let n = floor(x * 1.442695f + 0.5f);
    let r = (x - n * 0.693359375f) - n * -0.00021219444f;
    let s = kc_pow2i(i32(n));
    return (s - 1.0f) + s * kc_expm1_poly(r);
}

// The high half of x (12 significant bits): products of two halves are exact.
fn kc_split_hi(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
}

// e^(s x^2) for s = 1, -1 or -1/2: with x = xh + xl, s xh^2 is exact, so the large part of
// the exponent carries no rounding error (a rounded x^2 would cost up to 60 ulp).
fn kc_exp_sq(x: f32, s: f32) -> f32 {
    let xh = kc_split_hi(x);
    let xl = x - xh;
    return kc_exp_hl(s * xh * xh, s * xl * (x + xh));
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

// Logarithms: native ones may be accurate only in absolute terms near 1 (and 3 ulp
// elsewhere), so ours reduce x = m 2^e, m in [sqrt(1/2), sqrt(2)), exactly and take
// log(m) = log1p(f) from the series of 2 atanh(s), s = f / (2 + f) (|f| <= 0.42), written
// so that its rounding errors fall on small terms: f - (f^2/2 - s (f^2/2 + R(s^2))).
fn kc_log1p_small(f: f32) -> f32 {
    let s = f / (2.0f + f);
    let z = s * s;
    let r = z * (0.6666667f + z * (0.4f + z * (0.2857143f + z * (0.22222222f + z * (0.18181819f
        + z * 0.15384616f)))));
    let hfsq = 0.5f * f * f;
    return f - (hfsq - s * (hfsq + r));
}

// log(x) for finite x > 0; 0.693359375 has 9 significant bits, so e * it is exact.
fn kc_ln(x: f32) -> f32 {
    var y = x;
    var e = 0.0f;
    if (y < 1.17549435e-38f) {
        y = y * 16777216.0f;
        e = -24.0f;
    }
    let bits = bitcast<i32>(y);
    e = e + f32((bits >> 23u) - 127i);
    var m = bitcast<f32>((bits & 0x007fffffi) | 0x3f800000i);
    if (m > 1.4142135f) {
        m = m * 0.5f;
        e = e + 1.0f;
    }
    return e * 0.693359375f + (kc_log1p_small(m - 1.0f) + e * -0.00021219444f);
}

// Outside (-0.42, 0.41), log(u) for u = 1 + x rounded, plus (x - (u - 1)) / u, the first
// order correction for that rounding (u - 1 is exact).
fn kc_log1p(x: f32) -> f32 {
    if (x > -0.42f && x < 0.41f) {
        return kc_log1p_small(x);
    }
    if (kc_isnan(x) || x < -1.0f) {
        return kc_nan();
    }
    if (x == -1.0f) {
        return -kc_inf();
    }
    if (kc_isinf(x)) {
        return x;
    }
    let u = 1.0f + x;
    return kc_ln(u) + (x - (u - 1.0f)) / u;
}

fn kc_log(x: f32) -> f32 {
    if (kc_isnan(x) || x < 0.0f) {
        return kc_nan();
    }
    if (x == 0.0f) {
        return -kc_inf();
    }
    if (kc_isinf(x)) {
        return x;
    }
    return kc_ln(x);
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

// erf(x) = x + x R(x^2) for |x| <= 1 (R: a minimax fit of erf(x)/x - 1).
fn kc_erf_small(x: f32) -> f32 {
    let z = x * x;
    let r = 0.12837917f + z * (-0.37612626f + z * (0.11283579f + z * (-0.026853347f
        + z * (0.005187162f + z * (-0.0007997853f + z * 7.806903e-05f)))));
    return x + x * r;
}

// erfcx(a) = e^(a^2) erfc(a) for a >= 0.5, by minimax fits: in a itself on [0.5, 2) and
// [2, 4) (a rounded t would cost 2 ulp there); beyond, t H(t - 1/6) with t = 2 / (2 + a)
// in (0, 1/3], H smooth out to infinity.
fn kc_erfcx_tail(a: f32) -> f32 {
    if (a < 2.0f) {
        let v = a - 1.25f;
        return 0.36782292f + v * (-0.20882188f + v * (0.10679568f + v * (-0.050218254f
            + v * (0.022009628f + v * (-0.009081444f + v * (0.0035626378f + v * (-0.0013279091f
            + v * (0.00045164677f + v * (-0.00015664716f + v * (7.550356e-05f
            + v * -2.402393e-05f))))))))));
    }
    if (a < 4.0f) {
        let v = a - 3.0f;
        return 0.17900115f + v * (-0.054372262f + v * (0.015884321f + v * (-0.004479372f
            + v * (0.001223391f + v * (-0.00032441877f + v * (8.267984e-05f + v * (-2.0469473e-05f
            + v * (6.0230595e-06f + v * -1.5881961e-06f))))))));
    }
    let t = 2.0f / (2.0f + a);
    let u = t - 0.16666667f;
    return t * (0.33684596f + u * (0.38054714f + u * (0.34793907f + u * (0.2243f
        + u * (0.049703877f + u * (-0.08686563f + u * (-0.15907669f + u * (0.0025847272f
        + u * 1.1828576f))))))));
}

fn kc_erf(x: f32) -> f32 {
    let a = abs(x);
    if (kc_isnan(x) || a < 1.0f) {
        return kc_erf_small(x);
    }
    if (a >= 4.0f) {
        return kc_copysign(1.0f, x);
    }
    return kc_copysign(1.0f - kc_exp_sq(a, -1.0f) * kc_erfcx_tail(a), x);
}

fn kc_erfc(x: f32) -> f32 {
    let a = abs(x);
    if (kc_isnan(x) || a < 0.5f) {
        return 1.0f - kc_erf_small(x);
    }
    var r = 0.0f;
    if (a < 10.5f) {
        r = kc_exp_sq(a, -1.0f) * kc_erfcx_tail(a);
    }
    if (x < 0.0f) {
        return 2.0f - r;
    }
    return r;
}

// Below -0.5, erfcx(x) = 2 e^(x^2) - erfcx(-x).
fn kc_erfcx(x: f32) -> f32 {
    if (kc_isnan(x) || x >= 0.5f) {
        return kc_erfcx_tail(x);
    }
    if (x > -0.5f) {
        return kc_exp(x * x) * (1.0f - kc_erf_small(x));
    }
    if (x < -9.5f) {
        return kc_inf();
    }
    return 2.0f * kc_exp_sq(x, 1.0f) - kc_erfcx_tail(-x);
}

// normcdf(x) = erfc(-x / sqrt(2)) / 2 with e^(-x^2 / 2) taken from x itself: through the
// rounded x / sqrt(2) its error would grow with x^2.
fn kc_normcdf(x: f32) -> f32 {
    let z = x * -0.70710677f;
    let a = abs(z);
    if (kc_isnan(x) || a < 0.5f) {
        return 0.5f - 0.5f * kc_erf_small(z);
    }
    var r = 0.0f;
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
fn kc_erfinv_w(y: f32, w: f32) -> f32 {
    if (w < 5.0f) {
        let v = w - 2.5f;
        return y * (1.5014094f + v * (0.24664028f + v * (-0.004177668f + v * (-0.0012527556f
            + v * (0.00021857723f + v * (-4.943497e-06f + v * (-3.5236799e-06f
            + v * (4.5995577e-07f + v * (2.8191907e-08f + v * -8.237225e-09f)))))))));
    }
    let v = sqrt(w) - 3.0f;
    return y * (2.8329768f + v * (1.0016752f + v * (0.009445346f + v * (-0.007641144f
        + v * (0.005684721f + v * (-0.0035815728f + v * (0.0014928073f + v * (-8.259428e-05f
        + v * (-0.00031646856f + v * 0.00013066817f)))))))));
}

fn kc_erfinv(y: f32) -> f32 {
    let a = abs(y);
    if (kc_isnan(y) || a > 1.0f) {
        return kc_nan();
    }
    if (a == 1.0f) {
        return kc_copysign(kc_inf(), y);
    }
    return kc_erfinv_w(y, -kc_log((1.0f - a) * (1.0f + a)));
}

// erfcinv(y) = erfinv(1 - y), where 1 - y is exact; for the tails w = -log(q (2 - q)),
// q = min(y, 2 - y), reaches 107 (s = sqrt(w) up to 10.4), where x = s T(1/s - 0.175).
fn kc_erfcinv(y: f32) -> f32 {
    if (kc_isnan(y) || y < 0.0f || y > 2.0f) {
        return kc_nan();
    }
    if (y >= 0.5f && y <= 1.5f) {
        return kc_erfinv(1.0f - y);
    }
    let q = min(y, 2.0f - y);
    if (q == 0.0f) {
        return kc_copysign(kc_inf(), 1.0f - y);
    }
    let w = -kc_log(q * (2.0f - q));
    var x: f32;
    if (w < 16.0f) {
        x = kc_erfinv_w(1.0f - q, w);
    } else {
        let s = sqrt(w);
        let v = 1.0f / s - 0.175f;
        x = s * (0.974998f + v * (-0.19922554f + v * (-0.07914831f + v * (0.89300907f
            + v * (-1.503062f + v * (3.2339208f + v * -10.266523f))))));
    }
    return kc_copysign(x, 1.0f - y);
}

// normcdfinv(p) = -sqrt(2) erfcinv(2p) = sqrt(2) erfcinv(2 - 2p), exact for p >= 0.5.
fn kc_normcdfinv(p: f32) -> f32 {
    if (p >= 0.5f) {
        return 1.4142135f * kc_erfcinv(2.0f - 2.0f * p);
    }
    return -1.4142135f * kc_erfcinv(2.0f * p);
}

// Gamma(1 + t) - 1 = t (t - 1) D(t) on [0, 1]: zero at both ends, so lgamma near 1 and 2
// keeps its relative accuracy. D: a minimax fit in t - 0.5.
fn kc_gamma_d(t: f32) -> f32 {
    let v = t - 0.5f;
    return 0.4550923f + v * (-0.1293536f + v * (0.16111313f + v * (-0.08823353f
        + v * (0.06594624f + v * (-0.042900667f + v * (0.02840589f + v * (-0.018784853f
        + v * (0.01562378f + v * (-0.011396585f + v * 0.002960976f)))))))));
}

fn kc_gamma1pm1(t: f32) -> f32 {
    return t * (t - 1.0f) * kc_gamma_d(t);
}

// lgamma for finite x > 0: on (0, 3) through log1p of Gamma - 1 (relative accuracy at
// the zeros 1 and 2); up to 8 by the recurrence (a product of exact factors); above by
// Stirling's series: (x - 1/2)(log x - 1) + log(2 pi)/2 - 1/2 + 1/(12x) - 1/(360x^3) + ...
fn kc_lgamma_pos(x: f32) -> f32 {
    if (x >= 8.0f) {
        let r = 1.0f / x;
        let z = r * r;
        let series = r * (0.083333336f - z * (0.0027777778f - z * 0.0007936508f));
        return (x - 0.5f) * (kc_log(x) - 1.0f) + (0.41893853f + series);
    }
    if (x < 1.0f) {
        return kc_log1p(kc_gamma1pm1(x)) - kc_log(x);
    }
    if (x <= 2.0f) {
        return kc_log1p(kc_gamma1pm1(x - 1.0f));
    }
    var y = x;
    var p = 1.0f;
    for (var k = 0; k < 6i && y >= 3.0f; k++) {
        y = y - 1.0f;
        p = p * y;
    }
    // lgamma(2 + t) = log((1 + t) Gamma(1 + t)) = log1p(t (1 + (t^2 - 1) D(t)))
    let t = y - 2.0f;
    return kc_log(p) + kc_log1p(t * (1.0f + (t * t - 1.0f) * kc_gamma_d(t)));
}

// |sin(pi x)| for |x| < 2^23 (x - round(x) is exact there).
fn kc_abs_sinpi(x: f32) -> f32 {
    let r = x - floor(x + 0.5f);
    let z = r * r;
    let p = 3.1415927f + z * (-5.1677203f + z * (2.5502594f + z * (-0.59937f + z * 0.079703264f)));
    return abs(r * p);
}

// CUDA's lgammaf: +inf at the poles and at +-inf; above -4 by the recurrence (its factors
// are exact), below by reflection, |Gamma(x)| = pi / (|x sin(pi x)| Gamma(-x)).
fn kc_lgamma(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    if (kc_isinf(x) || (x <= 0.0f && floor(x) == x)) {
        return kc_inf();
    }
    if (x == 1.0f || x == 2.0f) {
        return 0.0f;
    }
    if (x > 0.0f) {
        return kc_lgamma_pos(x);
    }
    if (x > -4.0f) {
        // lgamma(x) = lgamma(x + n) - log|x (x + 1) ... (x + n - 1)|, x + n in (0, 1)
        var z = x;
        var p = 1.0f;
        for (var k = 0; k < 4 && z < 0.0f; k++) {
            p = p * z;
            z = z + 1.0f;
        }
        return kc_lgamma_pos(z) - kc_log(abs(p));
    }
    return 1.1447299f - kc_log(abs(x) * kc_abs_sinpi(x)) - kc_lgamma_pos(-x);
}

// a b - fl(a b) exactly, for a finite normal product (Dekker: with 12-bit halves every
// partial product is exact).
fn kc_mul_err(a: f32, b: f32, p: f32) -> f32 {
    let ah = kc_split_hi(a);
    let al = a - ah;
    let bh = kc_split_hi(b);
    let bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// tgamma: Gamma(1 + f) = 1 + kc_gamma1pm1(f) on [0, 1], carried to x by the recurrence.
// The factors x - 1, x - 2, ... (above 1) and x, x + 1, ... (below -2) are exact, the
// product's rounding errors are summed into c (relative) and applied once at the end, so
// Gamma(n) = (n - 1)! is exact while it fits. Below 1 the product is rescaled by 2^-100
// before it can overflow; Gamma(1 + f) < 1 comes first above 1, so the product overflows
// only when Gamma does.
fn kc_tgamma(x: f32) -> f32 {
    if (kc_isnan(x)) {
        return x;
    }
    if (x == 0.0f) {
        return kc_copysign(kc_inf(), x);
    }
    if (x < 0.0f && floor(x) == x) {
        return kc_nan();
    }
    if (x > 35.5f) {
        return kc_inf();
    }
    if (x < -42.0f) {
        let h = floor(x) * 0.5f;
        return kc_copysign(0.0f, select(-1.0f, 1.0f, floor(h) == h));
    }
    var z = x;
    var c = 0.0f;
    if (x >= 1.0f) {
        var p = 1.0f + kc_gamma1pm1(x - floor(x));
        for (var k = 0; k < 36i && z >= 2.0f; k++) {
            z = z - 1.0f;
            let q = p * z;
            c = c + kc_mul_err(p, z, q) / q;
            p = q;
        }
        if (kc_isinf(p)) {
            return p;
        }
        return p + p * c;
    }
    var p = 1.0f;
    var scale = 1.0f;
    for (var k = 0; k < 44i && z < 1.0f; k++) {
        let q = p * z;
        c = c + kc_mul_err(p, z, q) / q;
        p = q;
        z = z + 1.0f;
        if (abs(p) > 1e30f) {
            p = p * 7.888609e-31f;
            scale = 7.888609e-31f;
        }
    }
    let r = (1.0f + kc_gamma1pm1(z - 1.0f)) / p;
    return (r - r * c) * scale;
}

// fmaf: a b + c rounded (almost always) once. The product's rounding error comes from
// 12-bit halves (Dekker: every partial product is exact), the sum's from a two-sum, and
// both are added back at the end.
fn kc_fma(a: f32, b: f32, c: f32) -> f32 {
    let p = a * b;
    if (!kc_isfinite(p) || !kc_isfinite(c) || p == 0.0f) {
        return p + c;
    }
    let e = kc_mul_err(a, b, p);
    let s = p + c;
    let v = s - p;
    let t = (p - (s - v)) + (c - v);
    return s + (t + e);
}

fn kc_rcbrt(x: f32) -> f32 {
    if (x == 0.0f) {
        return kc_copysign(kc_inf(), x);
    }
    return 1.0f / kc_cbrt(x);
}

// ldexpf(x, n): beyond +-300 the result is 0 or inf anyway; three exact power-of-two steps.
fn kc_ldexp(x: f32, n: f32) -> f32 {
    let k = i32(clamp(n, -300.0f, 300.0f));
    let h = k / 3i;
    return kc_scale(x * kc_pow2i(h), k - h);
}
