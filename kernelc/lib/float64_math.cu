// kernelc's float64 math functions, written with `double` and lowered under the exact
// 64-bit policy (so every operation is float64.cu's, bit for bit IEEE): fdlibm's
// algorithms (Sun Microsystems, 1993: "Permission to use, copy, modify, and distribute
// this software is freely granted, provided that this notice is preserved"), within 1 ulp.

// exp: x = k ln2 + r, |r| <= ln2 / 2 (ln2 in two parts, so k ln2_hi is exact), a rational
// approximation of exp(r), then the scale by 2^k.
__device__ double kc_f64_exp(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x > 7.09782712893383973096e+02) {
        return 1.0e308 * 1.0e308;
    }
    if (x < -7.45133219101941108420e+02) {
        return 0.0;
    }
    if (fabs(x) < 3.7252902984e-09) {
        return 1.0 + x;  // |x| < 2^-28
    }
    double k = rint(x * 1.44269504088896338700e+00);
    double hi = x - k * 6.93147180369123816490e-01;
    double lo = k * 1.90821492927058770002e-10;
    double r = hi - lo;
    double t = r * r;
    double c = r - t * (1.66666666666666019037e-01 + t * (-2.77777777770155933842e-03 +
               t * (6.61375632143793436117e-05 + t * (-1.65339022054652515390e-06 +
               t * 4.13813679705723846039e-08))));
    double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    return ldexp(y, k);
}

// log: x = 2^k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2); log(1 + f) = f - s (f - R) with
// s = f / (2 + f) and R a polynomial in s^2.
__device__ double kc_f64_log(double x) {
    if (isnan(x) || x < 0.0) {
        return (x - x) / (x - x);  // NaN (quiet, x's payload for a NaN x)
    }
    if (x == 0.0) {
        return -1.0e308 * 1.0e308;
    }
    if (isinf(x)) {
        return x;
    }
    int k = 0;
    double v = x;
    if (v < 2.2250738585072014e-308) {
        v = v * 1.80143985094819840000e+16;  // a subnormal: scale by 2^54
        k = -54;
    }
    long long bits = __double_as_longlong(v);
    int hx = (int)(bits >> 32);
    k = k + ((hx >> 20) - 1023);
    hx = hx & 0x000fffff;
    int i = (hx + 0x95f64) & 0x100000;
    long long high = (long long)(hx | (i ^ 0x3ff00000));
    v = __longlong_as_double((high << 32) | (bits & 0xffffffffLL));  // v or v/2
    k = k + (i >> 20);
    double f = v - 1.0;
    double dk = (double)k;
    double ln2_hi = 6.93147180369123816490e-01;
    double ln2_lo = 1.90821492927058770002e-10;
    if ((0x000fffff & (2 + hx)) < 3) {  // -2^-20 <= f < 2^-20
        if (f == 0.0) {
            return dk * ln2_hi + dk * ln2_lo;
        }
        double r = f * f * (0.5 - 0.33333333333333333 * f);
        return dk * ln2_hi - ((r - dk * ln2_lo) - f);
    }
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 +
                w * 1.531383769920937332e-01));
    double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 +
                w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    double r = t2 + t1;
    if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
        double hfsq = 0.5 * f * f;
        return dk * ln2_hi - ((hfsq - (s * (hfsq + r) + dk * ln2_lo)) - f);
    }
    return dk * ln2_hi - ((s * (f - r) - dk * ln2_lo) - f);
}

// exp2: 2^x = 2^k exp(r ln2), r = x - rint(x) exact and |r ln2| <= 0.35, so the rounding of
// r ln2 costs at most a quarter ulp.
__device__ double kc_f64_exp2(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x > 1024.0) {
        return 1.0e308 * 1.0e308;
    }
    if (x < -1080.0) {
        return 0.0;
    }
    double k = rint(x);
    return ldexp(exp((x - k) * 6.93147180559945286227e-01), k);
}

// log2 and log10: log x times the constant (relative errors add: within 2 ulp).
__device__ double kc_f64_log2(double x) {
    return log(x) * 1.44269504088896338700e+00;
}

__device__ double kc_f64_log10(double x) {
    return log(x) * 4.34294481903251816668e-01;
}

// x with its high word replaced by `hi` (fdlibm's SET_HIGH_WORD).
__device__ double kc_f64_with_high(double x, int hi) {
    long long bits = __double_as_longlong(x);
    return __longlong_as_double(((long long)hi << 32) | (bits & 0xffffffffLL));
}

__device__ int kc_f64_high(double x) {
    return (int)(__double_as_longlong(x) >> 32);
}

// expm1: e^x - 1 without cancellation: x = k ln2 + r (r with its rounding error c), a
// rational approximation of e^r - 1 in r^2 / 2, then the scale by 2^k done so that
// subtracting 1 loses nothing (fdlibm's s_expm1.c).
__device__ double kc_f64_expm1(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x > 7.09782712893383973096e+02) {
        return 1.0e308 * 1.0e308;
    }
    if (x < -3.88162421113569373274e+01) {
        return -1.0;  // e^x below half an ulp of 1
    }
    double ln2_hi = 6.93147180369123816490e-01;
    double ln2_lo = 1.90821492927058770002e-10;
    double ax = fabs(x);
    int k = 0;
    double c = 0.0;
    double v = x;
    if (ax > 0.5 * 6.93147180559945286227e-01) {
        double hi = 0.0;
        double lo = 0.0;
        if (ax < 1.5 * 6.93147180559945286227e-01) {
            k = x > 0.0 ? 1 : -1;
            hi = x > 0.0 ? x - ln2_hi : x + ln2_hi;
            lo = x > 0.0 ? ln2_lo : -ln2_lo;
        } else {
            double t = trunc(1.44269504088896338700e+00 * x + (x < 0.0 ? -0.5 : 0.5));
            k = (int)t;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        v = hi - lo;
        c = (hi - v) - lo;
    } else if (ax < 5.551115123125783e-17) {
        return x;  // |x| < 2^-54
    }
    double hfx = 0.5 * v;
    double hxs = v * hfx;
    double r1 = 1.0 + hxs * (-3.33333333333331316428e-02 + hxs * (1.58730158725481460165e-03 +
                hxs * (-7.93650757867487942473e-05 + hxs * (4.00821782732936239552e-06 +
                hxs * -2.01099218183624371326e-07))));
    double t = 3.0 - r1 * hfx;
    double e = hxs * ((r1 - t) / (6.0 - v * t));
    if (k == 0) {
        return v - (v * e - hxs);
    }
    e = v * (e - c) - c;
    e = e - hxs;
    if (k == -1) {
        return 0.5 * (v - e) - 0.5;
    }
    if (k == 1) {
        if (v < -0.25) {
            return -2.0 * (e - (v + 0.5));
        }
        return 1.0 + 2.0 * (v - e);
    }
    if (k <= -2 || k > 56) {
        double y = 1.0 - (e - v);
        return ldexp(y, (double)k) - 1.0;
    }
    if (k < 20) {
        double y = (1.0 - ldexp(1.0, (double)(-k))) - (e - v);
        return ldexp(y, (double)k);
    }
    double y = (v - (e + ldexp(1.0, (double)(-k)))) + 1.0;
    return ldexp(y, (double)k);
}

// log1p: log(1 + x) with 1 + x's rounding error c carried as a correction (fdlibm's
// s_log1p.c), the same polynomial as log.
__device__ double kc_f64_log1p(double x) {
    int hx = kc_f64_high(x);
    int ax = hx & 0x7fffffff;
    int k = 1;
    int hu = 0;
    double f = 0.0;
    double c = 0.0;
    if (hx < 0x3fda827a) {  // x < 0.41422
        if (ax >= 0x3ff00000) {  // x <= -1
            if (x == -1.0) {
                return -1.0e308 * 1.0e308;
            }
            return (x - x) / (x - x);
        }
        if (ax < 0x3e200000) {  // |x| < 2^-29
            if (ax < 0x3c900000) {
                return x;
            }
            return x - x * x * 0.5;
        }
        if (hx > 0 || hx <= (int)0xbfd2bec3) {  // -0.2929 < x < 0.41422
            k = 0;
            f = x;
            hu = 1;
        }
    }
    if (hx >= 0x7ff00000) {
        return x + x;  // +Inf and NaN
    }
    double ln2_hi = 6.93147180369123816490e-01;
    double ln2_lo = 1.90821492927058770002e-10;
    if (k != 0) {
        double u = x;
        if (hx < 0x43400000) {
            u = 1.0 + x;
            hu = kc_f64_high(u);
            k = (hu >> 20) - 1023;
            c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
            c = c / u;
        } else {
            hu = kc_f64_high(u);
            k = (hu >> 20) - 1023;
            c = 0.0;
        }
        hu = hu & 0x000fffff;
        if (hu < 0x6a09e) {
            u = kc_f64_with_high(u, hu | 0x3ff00000);  // u normalised
        } else {
            k = k + 1;
            u = kc_f64_with_high(u, hu | 0x3fe00000);  // u / 2 normalised
            hu = (0x00100000 - hu) >> 2;
        }
        f = u - 1.0;
    }
    double dk = (double)k;
    double hfsq = 0.5 * f * f;
    if (hu == 0) {  // |f| < 2^-20
        if (f == 0.0) {
            if (k == 0) {
                return 0.0;
            }
            c = c + dk * ln2_lo;
            return dk * ln2_hi + c;
        }
        double r = hfsq * (1.0 - 0.66666666666666666 * f);
        if (k == 0) {
            return f - r;
        }
        return dk * ln2_hi - ((r - (dk * ln2_lo + c)) - f);
    }
    double s = f / (2.0 + f);
    double z = s * s;
    double r = z * (6.666666666666735130e-01 + z * (3.999999999940941908e-01 +
               z * (2.857142874366239149e-01 + z * (2.222219843214978396e-01 +
               z * (1.818357216161805012e-01 + z * (1.531383769920937332e-01 +
               z * 1.479819860511658591e-01))))));
    if (k == 0) {
        return f - (hfsq - s * (hfsq + r));
    }
    return dk * ln2_hi - ((hfsq - (s * (hfsq + r) + (dk * ln2_lo + c))) - f);
}

// sinh, cosh, tanh from expm1 and exp (fdlibm's e_sinh.c, e_cosh.c, s_tanh.c); past
// log(DBL_MAX), exp(|x| / 2) squared so the result overflows only where it must.
__device__ double kc_f64_sinh(double x) {
    if (isnan(x) || isinf(x)) {
        return x + x;
    }
    double h = x < 0.0 ? -0.5 : 0.5;
    double ax = fabs(x);
    if (ax < 22.0) {
        if (ax < 3.725290298461914e-09) {
            return x;  // |x| < 2^-28
        }
        double t = expm1(ax);
        if (ax < 1.0) {
            return h * (2.0 * t - t * t / (t + 1.0));
        }
        return h * (t + t / (t + 1.0));
    }
    if (ax < 7.09782712893383973096e+02) {
        return h * exp(ax);
    }
    double w = exp(0.5 * ax);
    return (h * w) * w;
}

__device__ double kc_f64_cosh(double x) {
    if (isnan(x) || isinf(x)) {
        return x * x;
    }
    double ax = fabs(x);
    if (ax < 0.3465735902799726) {  // |x| < ln2 / 2
        double t = expm1(ax);
        double w = 1.0 + t;
        if (ax < 5.551115123125783e-17) {
            return w;
        }
        return 1.0 + (t * t) / (w + w);
    }
    if (ax < 22.0) {
        double t = exp(ax);
        return 0.5 * t + 0.5 / t;
    }
    if (ax < 7.09782712893383973096e+02) {
        return 0.5 * exp(ax);
    }
    double w = exp(0.5 * ax);
    return (0.5 * w) * w;
}

__device__ double kc_f64_tanh(double x) {
    if (isnan(x)) {
        return x + x;
    }
    double ax = fabs(x);
    double z = 1.0;
    if (ax < 22.0) {
        if (ax < 2.7755575615628914e-17) {
            return x * (1.0 + x);  // |x| < 2^-55
        }
        if (ax >= 1.0) {
            double t = expm1(2.0 * ax);
            z = 1.0 - 2.0 / (t + 2.0);
        } else {
            double t = expm1(-2.0 * ax);
            z = -t / (t + 2.0);
        }
    }
    return x < 0.0 ? -z : z;
}
