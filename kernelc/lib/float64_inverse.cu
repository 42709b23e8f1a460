// kernelc's float64 inverse functions (the inverse hyperbolic functions, erfinv, erfcinv,
// normcdfinv) and exp10, rsqrt, rcbrt, written with `double` and lowered under the exact
// 64-bit policy like float64_math.cu, whose log1p they call, and float64_special.cu, whose
// exp with a tail, error function fit and double-double helpers they call.
//
// The inverse hyperbolic functions are log1p of an argument that loses nothing to
// cancellation; rsqrt and rcbrt round the quotient 1 / sqrt(x) (1 / cbrt(x)) and correct it
// by one Newton step whose residual 1 - x r^2 (1 - x r^3) is carried exactly; the inverse
// error functions take Newton steps from a float32 estimate on a residual that keeps its
// digits: erf(x) - y from the fit's own terms near 0, erfc(x) - q beyond, and in the tail
// log erfc(x) - log q (both logs as double-doubles), so erfcinv reaches subnormal q.

// ------------------------------------------------------------------ inverse hyperbolic

// asinh: log1p(a + a^2 / (1 + sqrt(1 + a^2))) for a = |x| <= 2; log1p(2a - 1 +
// 1 / (a + sqrt(a^2 + 1))) (a - 1 exact) up to 2^28; log(a) + ln 2 beyond, as log1p(a - 1).
__device__ double kc_f64_asinh(double x) {
    if (isnan(x) || isinf(x)) {
        return x + x;
    }
    double a = fabs(x);
    if (a < 3.725290298461914e-09) {  // 2^-28: asinh x = x (1 - x^2 / 6)
        return x;
    }
    double w = a - 1.0;
    if (a <= 2.0) {
        double t = a * a;
        w = a + t / (1.0 + sqrt(1.0 + t));
    } else if (a <= 268435456.0) {
        w = w + (a + 1.0 / (a + sqrt(a * a + 1.0)));
    }
    double v = log1p(w);
    if (a > 268435456.0) {
        v = v + 6.93147180559945286227e-01;
    }
    return x < 0.0 ? -v : v;
}

// acosh: NaN below 1; log1p(t + sqrt(2t + t^2)) for t = x - 1 (exact) up to x = 2;
// log1p(x - 1 + x - 1 / (x + sqrt(x^2 - 1))) up to 2^28; log(x) + ln 2 beyond.
__device__ double kc_f64_acosh(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x < 1.0) {
        return NAN;
    }
    double t = x - 1.0;
    double w = t;
    if (x <= 2.0) {
        w = t + sqrt(2.0 * t + t * t);
    } else if (x <= 268435456.0) {
        w = t + (x - 1.0 / (x + sqrt(x * x - 1.0)));
    }
    double v = log1p(w);
    if (x > 268435456.0) {
        v = v + 6.93147180559945286227e-01;
    }
    return v;
}

// atanh: log1p(2a / (1 - a)) / 2 for a = |x| (1 - a exact from a = 1/2), written 2a +
// 2a^2 / (1 - a) below 1/2; +-Inf at +-1, NaN beyond.
__device__ double kc_f64_atanh(double x) {
    double a = fabs(x);
    if (isnan(x)) {
        return x + x;
    }
    if (a > 1.0) {
        return NAN;
    }
    if (a == 1.0) {
        return x / 0.0;
    }
    if (a < 3.725290298461914e-09) {  // 2^-28: atanh x = x (1 + x^2 / 3)
        return x;
    }
    double t = a + a;
    double w = a < 0.5 ? t + t * a / (1.0 - a) : t / (1.0 - a);
    double v = 0.5 * log1p(w);
    return x < 0.0 ? -v : v;
}

// ------------------------------------------------------------------ exp10, rsqrt, rcbrt

// exp10: e^(x ln 10) with x ln 10 carried as a double-double (ln 10 in two parts, the
// product's rounding error) into float64_special.cu's exp with a tail.
__device__ double kc_f64_exp10(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x > 308.5) {
        return HUGE_VAL;
    }
    if (x < -324.0) {
        return 0.0;
    }
    double h = x * 2.302585092994046;
    double l = kc_sp_mul_err(x, 2.302585092994046, h) + x * -2.1707562233822494e-16;
    return kc_sp_exp_dd(h, l);
}

// rsqrt: r = 1 / sqrt(x) (within about 1 ulp), then r + r (1 - x r^2) / 2 with the
// residual exact to 2^-70: x r = u + eu and u r = p + ep exactly, 1 - p exact.
__device__ double kc_f64_rsqrt(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x == 0.0) {
        return 1.0 / x;  // +-Inf
    }
    if (x < 0.0) {
        return NAN;
    }
    if (isinf(x)) {
        return 0.0;
    }
    double r = 1.0 / sqrt(x);
    double u = x * r;
    double eu = kc_sp_mul_err(x, r, u);
    double p = u * r;
    double e = ((1.0 - p) - kc_sp_mul_err(u, r, p)) - eu * r;
    return r + (0.5 * r) * e;
}

// rcbrt: r = 1 / cbrt(a) for a = |x|, then r + r (1 - a r^3) / 3 with the residual carried
// as rsqrt's (a r = u + eu, a r^2 = v + ev, v r = p + ep).
__device__ double kc_f64_rcbrt(double x) {
    if (isnan(x) || x == 0.0 || isinf(x)) {
        return 1.0 / cbrt(x);  // NaN, +-Inf, +-0
    }
    double a = fabs(x);
    double r = 1.0 / cbrt(a);
    double u = a * r;
    double eu = kc_sp_mul_err(a, r, u);
    double v = u * r;
    double ev = kc_sp_mul_err(u, r, v) + eu * r;
    double p = v * r;
    double e = ((1.0 - p) - kc_sp_mul_err(v, r, p)) - ev * r;
    double y = r + (0.333333333333333333 * r) * e;
    return x < 0.0 ? -y : y;
}

// ------------------------------------------------------------------ inverse error functions

// x >= 0 with erf(x) = a for a <= 1/2, else with erfc(x) = q, as hi + lo (the returned hi
// and `lo`). Newton steps from a float32 estimate (erfinvf, erfcinvf; below 10^-37, where
// float32 flushes, x^2 = t - log(pi s) / 2 with t = -log q, s = t - log(pi t) / 2), each on
// a residual with float64_special.cu's fit r (kc_sp_erf_fit):
//   a <= 1/2:          erf(x) - a = (x - a) + x r            (x - a exact)
//   x < 1.25:          erfc(x) - q, erfc(x) from r as in kc_sp_erf_erfc
//   x >= 1.25 (tail):  log erfc(x) - log q = r - log x - (x^2 + log q), x^2, log x and
//                      log q double-doubles (x^2 + log q cancels exactly)
// and the derivative in float32 (it only scales a correction that is already small): two
// steps from erfinvf's and erfcinvf's estimates, three from the tail's. In the tail, step
// 0 takes log q from the call site of log x.
__device__ double kc_inv_erf(double a, double q, double &lo) {
    bool central = a <= 0.5;
    bool tail = !central && q < 0.08;  // erfc(1.25) = 0.0771
    bool far = tail && q < 1.0e-37;
    double x = 0.0;
    if (central) {
        x = a < 1.0e-30 ? a * 8.86226925452758013649e-01 : (double)erfinvf((float)a);
    } else if (!far) {
        x = (double)erfcinvf((float)q);
    }
    double lqh = 0.0;
    double lql = 0.0;
    double step = 0.0;
    for (int k = tail ? 0 : 1; k <= (far ? 3 : 2); k++) {
        double lh = 0.0;
        double ll = 0.0;
        if (tail) {
            kc_sp_log_dd(k == 0 ? q : x - step, lh, ll);
        }
        if (k == 0) {
            lqh = lh;
            lql = ll;
            if (far) {
                float t = (float)(-lh);
                float s = t - 0.5f * logf(3.14159265f * t);
                x = (double)sqrtf(t - 0.5f * logf(3.14159265f * s));
            }
        } else {
            x = x - step;
            double r = kc_sp_erf_fit(x);
            double f = 0.0;  // the residual, with the sign of the step
            double e = x * x;  // the exponent of the float32 derivative
            double d = 1.0;
            if (central) {
                f = (x - a) + x * r;
            } else if (!tail || x < 1.25) {
                double c = x < 0.84375 ? 0.5 - ((x - 0.5) + x * r) : 1.54937088489532470703e-01 - r;
                f = q - c;
            } else {
                double sql = kc_sp_mul_err(x, x, e);
                f = (e + lqh) - ((r - lh) - ((sql + lql) + ll));
                e = r;
                d = x;
            }
            step = f * (double)(0.886226925f * expf((float)e) / (float)d);
        }
    }
    double h = x - step;
    lo = (x - h) - step;
    return h;
}

// erfinv: NaN outside [-1, 1], +-Inf at +-1; |y| > 1/2 through erfc with q = 1 - |y|
// (exact); below 2^-900 scaled by 2^128 (erfinv is linear there) so that the Newton steps
// keep every digit of a subnormal result.
__device__ double kc_f64_erfinv(double y) {
    double a = fabs(y);
    if (isnan(y)) {
        return y + y;
    }
    if (a > 1.0) {
        return NAN;
    }
    if (a == 1.0 || a == 0.0) {
        return a == 0.0 ? y : y * HUGE_VAL;
    }
    bool tiny = a < 1.18098741722e-271;  // 2^-900
    double lo = 0.0;
    double x = kc_inv_erf(tiny ? a * 3.40282366920938463463e+38 : a, 1.0 - a, lo);
    if (tiny) {
        x = x * 2.93873587705571876992e-39;
    }
    return y < 0.0 ? -x : x;
}

// erfcinv(q) = hi + lo for 0 < q < 2: erfcinv(2 - q) = -erfcinv(q), 2 - q exact for q > 1;
// through erf with a = 1 - q (exact) for 1/2 <= q <= 1.
__device__ double kc_inv_erfc(double q, double &lo) {
    double m = q > 1.0 ? 2.0 - q : q;
    double h = kc_inv_erf(1.0 - m, m, lo);
    if (q > 1.0) {
        lo = -lo;
        return -h;
    }
    return h;
}

// erfcinv: NaN outside [0, 2], +Inf at 0, -Inf at 2.
__device__ double kc_f64_erfcinv(double q) {
    if (isnan(q)) {
        return q + q;
    }
    if (q < 0.0 || q > 2.0) {
        return NAN;
    }
    if (q == 0.0 || q == 2.0) {
        return q == 0.0 ? HUGE_VAL : -HUGE_VAL;
    }
    double lo = 0.0;
    return kc_inv_erfc(q, lo);
}

// normcdfinv(p) = -sqrt(2) erfcinv(2p) (2p exact), erfcinv's hi + lo times sqrt(2) in two
// parts, rounded once; NaN outside [0, 1], -Inf at 0, +Inf at 1, +0 at 1/2.
__device__ double kc_f64_normcdfinv(double p) {
    if (isnan(p)) {
        return p + p;
    }
    if (p < 0.0 || p > 1.0) {
        return NAN;
    }
    if (p == 0.0 || p == 1.0) {
        return p == 0.0 ? -HUGE_VAL : HUGE_VAL;
    }
    if (p == 0.5) {
        return 0.0;
    }
    double lo = 0.0;
    double h = kc_inv_erfc(p + p, lo);
    double v = h * 1.4142135623730951;
    double w = kc_sp_mul_err(h, 1.4142135623730951, v) + (h * -9.667293313452913e-17 +
               lo * 1.4142135623730951);
    return -(v + w);
}
