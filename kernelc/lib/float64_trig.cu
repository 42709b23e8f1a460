// kernelc's float64 trigonometric functions, hypot and cbrt, written with `double` and
// lowered under the exact 64-bit policy like float64_math.cu. The polynomial kernels and
// the inverse functions follow fdlibm's algorithms and use its published minimax
// coefficients (Sun Microsystems, 1993: "Permission to use, copy, modify, and distribute
// this software is freely granted, provided that this notice is preserved"); cbrt is
// fdlibm's as optimised by Bruce D. Evans (FreeBSD). The argument reduction is our own:
// Payne-Hanek on 32-bit words, exact for every finite double.

// 2/pi's bits after the binary point, 32 a word (word 0 holds 2^-1 .. 2^-32): the reduction
// of the largest double reads words up to 36.
__constant__ unsigned int kc_f64_two_over_pi[37] = {
    0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u, 0xdb629599u, 0x3c439041u, 0xfe5163abu,
    0xdebbc561u, 0xb7246e3au, 0x424dd2e0u, 0x06492eeau, 0x09d1921cu, 0xfe1deb1cu, 0xb129a73eu,
    0xe88235f5u, 0x2ebb4484u, 0xe99c7026u, 0xb45f7e41u, 0x3991d639u, 0x835339f4u, 0x9c845f8bu,
    0xbdf9283bu, 0x1ff897ffu, 0xde05980fu, 0xef2f118bu, 0x5a0a6d1fu, 0x6d367ecfu, 0x27cb09b7u,
    0x4f463f66u, 0x9e5fea2du, 0x7527bac7u, 0xebe5f17bu, 0x3d0739f7u, 0x8a5292eau, 0x6bfb5fb1u,
    0x1f8d5d08u, 0x56033046u};

// x with its low word cleared: at most 21 significant bits, so products of two are exact.
__device__ double kc_f64_clear_low(double x) {
    return __longlong_as_double(__double_as_longlong(x) & (long long)0xffffffff00000000ULL);
}

// x with the low 27 bits of its significand cleared: 26 significant bits (Dekker's split,
// by masking, so it cannot overflow).
__device__ double kc_f64_split26(double x) {
    return __longlong_as_double(__double_as_longlong(x) & (long long)0xfffffffff8000000ULL);
}

// x - n pi/2 = y0 + y1 (|y1| below an ulp of y0, |y0| <= pi/4), and n mod 4.
// Payne-Hanek on words: x = m 2^e with m < 2^53; of m * 2/pi only the bits from 2^1 down
// matter (higher ones add multiples of 4), so m times 224 bits of 2/pi starting at the
// word holding 2^(1-e)'s factor gives x 2/pi mod 4 with at least 191 fraction bits, the
// omitted tail below 2^-138. No double lies closer than 2^-62 to a multiple of pi/2, so the
// fraction keeps 75 correct bits; its leading 96 times pi/2 (96 bits) give y0 and y1.
__device__ void kc_f64_rem_pio2(double x, double &y0, double &y1, int &quadrant) {
    int hx = kc_f64_high(x);
    int ix = hx & 0x7fffffff;
    if (ix <= 0x3fe921fb) {  // |x| <= pi/4 (and a little more): no reduction
        y0 = x;
        y1 = 0.0;
        quadrant = 0;
        return;
    }
    unsigned int mh = (unsigned int)(ix & 0x000fffff) | 0x00100000u;
    unsigned int ml = (unsigned int)__double_as_longlong(x);
    int e = (ix >> 20) - 1075;
    int i0 = (e - 2) >> 5;  // floor((e - 2) / 32): may be -2 or -1 for small x
    unsigned int g[7] = {0u, 0u, 0u, 0u, 0u, 0u, 0u};  // the window, least significant first
    for (int t = 0; t < 7; t++) {
        int i = i0 + 6 - t;
        unsigned int w = kc_f64_two_over_pi[i < 0 ? 0 : i];
        g[t] = i < 0 ? 0u : w;
    }
    // p = m * g mod 2^224 (the low word of m, then the high word one word up); every
    // product plus its carries fits 64 bits
    unsigned int p[8] = {0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u};
    unsigned long long acc = 0ULL;
    for (int t = 0; t < 7; t++) {
        acc = (unsigned long long)ml * g[t] + (acc >> 32);
        p[t] = (unsigned int)acc;
    }
    acc = 0ULL;
    for (int t = 0; t < 6; t++) {
        acc = (unsigned long long)mh * g[t] + p[t + 1] + (acc >> 32);
        p[t + 1] = (unsigned int)acc;
    }
    // the binary point of p is at bit s (191..222): f[4]'s low bits are n, f[3..0] the
    // fraction's leading 128 bits
    int s = 32 * i0 + 224 - e;
    unsigned int f[5] = {0u, 0u, 0u, 0u, 0u};
    for (int k = 0; k < 5; k++) {
        int b = s - 128 + 32 * k;
        int w = b >> 5;
        int sh = b & 31;
        f[k] = (p[w] >> sh) | ((p[w + 1] << 1) << (31 - sh));
    }
    int n = (int)(f[4] & 3u);
    bool negative = (f[3] & 0x80000000u) != 0u;
    if (negative) {  // fraction >= 1/2: the next multiple, and 1 - fraction
        n = n + 1;
        unsigned int borrow = 1u;
        for (int k = 0; k < 4; k++) {
            unsigned int v = ~f[k] + borrow;
            borrow = (borrow != 0u && v == 0u) ? 1u : 0u;
            f[k] = v;
        }
    }
    // normalise the fraction (its leading one to bit 127): whole words, then bits
    int z = 0;
    for (int k = 0; k < 3; k++) {
        if (f[3] == 0u) {
            f[3] = f[2];
            f[2] = f[1];
            f[1] = f[0];
            f[0] = 0u;
            z = z + 32;
        }
    }
    int lz = 1054 - (kc_f64_high((double)f[3]) >> 20);  // f[3]'s leading zeros (of 32)
    if (lz > 0) {
        f[3] = (f[3] << lz) | (f[2] >> (32 - lz));
        f[2] = (f[2] << lz) | (f[1] >> (32 - lz));
        f[1] = (f[1] << lz) | (f[0] >> (32 - lz));
        z = z + lz;
    }
    // q = f[3..1] * pi/2 (2^95 pi/2 in three words): in [2^190, 2^192)
    unsigned int a[3] = {f[1], f[2], f[3]};
    unsigned int c[3] = {0xc4c6628bu, 0x2168c234u, 0xc90fdaa2u};
    unsigned int q[6] = {0u, 0u, 0u, 0u, 0u, 0u};
    for (int i = 0; i < 3; i++) {
        acc = 0ULL;
        for (int j = 0; j < 3; j++) {
            acc = (unsigned long long)a[i] * c[j] + q[i + j] + (acc >> 32);
            q[i + j] = (unsigned int)acc;
        }
        q[i + 3] = (unsigned int)(acc >> 32);
    }
    if ((q[5] & 0x80000000u) == 0u) {  // the leading one to bit 191
        for (int k = 5; k > 0; k--) {
            q[k] = (q[k] << 1) | (q[k - 1] >> 31);
        }
        q[0] = q[0] << 1;
        z = z + 1;
    }
    // r = q 2^(-191 - z): y0 its leading 53 bits (exponent -z), y1 the next 64
    unsigned int yh = ((unsigned int)(1023 - z) << 20) | ((q[5] >> 11) & 0x000fffffu);
    unsigned int yl = (q[5] << 21) | (q[4] >> 11);
    unsigned int th = (q[4] << 21) | (q[3] >> 11);
    unsigned int tl = (q[3] << 21) | (q[2] >> 11);
    double r0 = __longlong_as_double((long long)(((unsigned long long)yh << 32) | yl));
    double r1 = ldexp((double)(((unsigned long long)th << 32) | tl), (double)(-116 - z));
    if (negative != (hx < 0)) {
        r0 = -r0;
        r1 = -r1;
    }
    y0 = r0;
    y1 = r1;
    quadrant = (hx < 0 ? -n : n) & 3;
}

// sin(x + y) for |x| <= pi/4, y the tail of x (used when `tail`).
__device__ double kc_f64_ksin(double x, double y, bool tail) {
    double z = x * x;
    double w = z * z;
    double r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 +
               z * 2.75573137070700676789e-06) +
               z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
    double v = z * x;
    if (!tail) {
        return x + v * (-1.66666666666666324348e-01 + z * r);
    }
    return x - ((z * (0.5 * y - v * r) - y) - v * -1.66666666666666324348e-01);
}

// cos(x + y) for |x| <= pi/4: 1 - z/2 rounded, its rounding error carried into the rest.
__device__ double kc_f64_kcos(double x, double y) {
    double z = x * x;
    double w = z * z;
    double r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 +
               z * 2.48015872894767294178e-05)) +
               w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 +
               z * -1.13596475577881948265e-11));
    double hz = 0.5 * z;
    double u = 1.0 - hz;
    return u + (((1.0 - u) - hz) + (z * r - x * y));
}

// tan(x + y) for |x| <= pi/4 (odd: -1/tan(x + y)); past 0.6744, tan(pi/4 - x) form.
__device__ double kc_f64_ktan(double x, double y, bool odd) {
    int hx = kc_f64_high(x);
    int ix = hx & 0x7fffffff;
    if (ix < 0x3e300000) {  // |x| < 2^-28
        return odd ? -1.0 / (x + y) : x;
    }
    bool big = ix >= 0x3fe59428;
    double xx = x;
    double yy = y;
    if (big) {
        if (hx < 0) {
            xx = -xx;
            yy = -yy;
        }
        double d = 7.85398163397448278999e-01 - xx;
        double dl = 3.06161699786838301793e-17 - yy;
        xx = d + dl;
        yy = 0.0;
    }
    double z = xx * xx;
    double w = z * z;
    double r = 1.33333333333201242699e-01 + w * (2.18694882948595424599e-02 +
               w * (3.59207910759131235356e-03 + w * (5.88041240820264096874e-04 +
               w * (7.81794442939557092300e-05 + w * -1.85586374855275456654e-05))));
    double v = z * (5.39682539762260521377e-02 + w * (8.86323982359930005737e-03 +
               w * (1.45620945432529025516e-03 + w * (2.46463134818469906812e-04 +
               w * (7.14072491382608190305e-05 + w * 2.59073051863633712884e-05)))));
    double s = z * xx;
    r = yy + z * (s * (r + v) + yy);
    r = r + 3.33333333333334091986e-01 * s;
    w = xx + r;
    if (big) {
        double k = odd ? -1.0 : 1.0;
        double t = k - 2.0 * (xx - (w * w / (w + k) - r));
        return hx < 0 ? -t : t;
    }
    if (!odd) {
        return w;
    }
    // -1/(xx + r) with w's rounding error: a Newton step on a short quotient
    double wh = kc_f64_clear_low(w);
    double vv = r - (wh - xx);
    double a = -1.0 / w;
    double t = kc_f64_clear_low(a);
    double e = 1.0 + t * wh;
    return t + a * (e + t * vv);
}

__device__ double kc_f64_sin(double x) {
    if (isnan(x) || isinf(x)) {
        return x - x;
    }
    if ((kc_f64_high(x) & 0x7fffffff) < 0x3e500000) {
        return x;  // |x| < 2^-26
    }
    double y0 = 0.0;
    double y1 = 0.0;
    int n = 0;
    kc_f64_rem_pio2(x, y0, y1, n);
    double v = (n & 1) == 0 ? kc_f64_ksin(y0, y1, true) : kc_f64_kcos(y0, y1);
    return (n & 2) == 0 ? v : -v;
}

__device__ double kc_f64_cos(double x) {
    if (isnan(x) || isinf(x)) {
        return x - x;
    }
    if ((kc_f64_high(x) & 0x7fffffff) < 0x3e400000) {
        return 1.0;  // |x| < 2^-27
    }
    double y0 = 0.0;
    double y1 = 0.0;
    int n = 0;
    kc_f64_rem_pio2(x, y0, y1, n);
    double v = (n & 1) == 0 ? kc_f64_kcos(y0, y1) : kc_f64_ksin(y0, y1, true);
    return (n == 0 || n == 3) ? v : -v;
}

__device__ double kc_f64_tan(double x) {
    if (isnan(x) || isinf(x)) {
        return x - x;
    }
    double y0 = 0.0;
    double y1 = 0.0;
    int n = 0;
    kc_f64_rem_pio2(x, y0, y1, n);
    return kc_f64_ktan(y0, y1, (n & 1) != 0);
}

// r pi as y0 + y1 for |r| <= 1/4: pi in three parts, the first two of 26 bits, and r split
// in two, so that the four leading products are exact.
__device__ void kc_f64_mul_pi(double r, double &y0, double &y1) {
    double rh = kc_f64_split26(r);
    double rl = r - rh;
    double p1 = 3.1415926814079285;
    double p2 = -2.781813535079891e-08;
    double hi = rh * p1;
    double mid = rl * p1 + rh * p2;
    double lo = rl * p2 + r * 1.2246467991473532e-16;
    double t = mid + lo;
    double s = hi + t;
    y0 = s;
    y1 = t - (s - hi);
}

// sinpi and cospi: |x| = (n + 2r) / 2 exactly, |r| <= 1/4, then sin or cos of r pi.
// sinpi of an integer is a zero of x's sign, cospi of a half-integer +0 (C23's choices).
__device__ void kc_f64_pi_reduce(double ax, double &y0, double &y1, int &quadrant) {
    double n2 = rint(2.0 * ax);
    kc_f64_mul_pi(ax - 0.5 * n2, y0, y1);
    quadrant = (int)((long long)n2 & 3LL);
}

__device__ double kc_f64_sinpi(double x) {
    if (isnan(x) || isinf(x)) {
        return x - x;
    }
    double ax = fabs(x);
    double v = 0.0;
    if (ax < 4503599627370496.0) {  // below 2^52 (beyond, every double is an integer)
        double y0 = 0.0;
        double y1 = 0.0;
        int n = 0;
        kc_f64_pi_reduce(ax, y0, y1, n);
        v = (n & 1) == 0 ? kc_f64_ksin(y0, y1, true) : kc_f64_kcos(y0, y1);
        v = (n & 2) == 0 ? v : 0.0 - v;  // 0 - v: +0 for v = +0
    }
    return signbit(x) ? -v : v;
}

__device__ double kc_f64_cospi(double x) {
    if (isnan(x) || isinf(x)) {
        return x - x;
    }
    double ax = fabs(x);
    if (ax >= 4503599627370496.0) {  // an integer: 1 or -1 by its parity
        bool odd = ax < 9007199254740992.0 && ((int)__double_as_longlong(ax) & 1) != 0;
        return odd ? -1.0 : 1.0;
    }
    double y0 = 0.0;
    double y1 = 0.0;
    int n = 0;
    kc_f64_pi_reduce(ax, y0, y1, n);
    double v = (n & 1) == 0 ? kc_f64_kcos(y0, y1) : kc_f64_ksin(y0, y1, true);
    return (n == 0 || n == 3) ? v : 0.0 - v;
}

// asin and acos's rational approximation of (asin(s) - s) / s^3 in t = s^2 (|s| <= 0.5).
__device__ double kc_f64_asin_ratio(double t) {
    double p = t * (1.66666666666666657415e-01 + t * (-3.25565818622400915405e-01 +
               t * (2.01212532134862925881e-01 + t * (-4.00555345006794114027e-02 +
               t * (7.91534994289814532176e-04 + t * 3.47933107596021167570e-05)))));
    double q = 1.0 + t * (-2.40339491173441421878e+00 + t * (2.02094576023350569471e+00 +
               t * (-6.88283971605453293030e-01 + t * 7.70381505559019352791e-02)));
    return p / q;
}

// asin: x + x R(x^2) below 0.5; above, pi/2 - 2 asin(sqrt((1 - |x|) / 2)) with the root
// in two parts where it must be exact (fdlibm's e_asin.c).
__device__ double kc_f64_asin(double x) {
    int hx = kc_f64_high(x);
    int ix = hx & 0x7fffffff;
    double pio2_hi = 1.57079632679489655800e+00;
    double pio2_lo = 6.12323399573676603587e-17;
    double pio4_hi = 7.85398163397448278999e-01;
    if (ix >= 0x3ff00000) {
        if (fabs(x) == 1.0) {
            return x * pio2_hi + x * pio2_lo;
        }
        return (x - x) / (x - x);  // |x| > 1 or NaN
    }
    if (ix < 0x3fe00000) {
        if (ix < 0x3e400000) {
            return x;  // |x| < 2^-27
        }
        return x + x * kc_f64_asin_ratio(x * x);
    }
    double t = (1.0 - fabs(x)) * 0.5;
    double r = kc_f64_asin_ratio(t);
    double s = sqrt(t);
    double v = 0.0;
    if (ix >= 0x3fef3333) {  // |x| > 0.975
        v = pio2_hi - (2.0 * (s + s * r) - pio2_lo);
    } else {
        double w = kc_f64_clear_low(s);
        double c = (t - w * w) / (s + w);
        double p = 2.0 * s * r - (pio2_lo - 2.0 * c);
        double q = pio4_hi - 2.0 * w;
        v = pio4_hi - (p - q);
    }
    return hx > 0 ? v : -v;
}

// acos: pi/2 - (x + x R(x^2)) below 0.5; above, 2 asin(sqrt((1 -+ x) / 2)) (e_acos.c).
__device__ double kc_f64_acos(double x) {
    int hx = kc_f64_high(x);
    int ix = hx & 0x7fffffff;
    double pio2_hi = 1.57079632679489655800e+00;
    double pio2_lo = 6.12323399573676603587e-17;
    if (ix >= 0x3ff00000) {
        if (x == 1.0) {
            return 0.0;
        }
        if (x == -1.0) {
            return 3.14159265358979311600e+00 + 2.0 * pio2_lo;
        }
        return (x - x) / (x - x);
    }
    if (ix < 0x3fe00000) {
        if (ix <= 0x3c600000) {
            return pio2_hi + pio2_lo;  // |x| < 2^-57
        }
        double r = kc_f64_asin_ratio(x * x);
        return pio2_hi - (x - (pio2_lo - x * r));
    }
    if (hx < 0) {
        double z = (1.0 + x) * 0.5;
        double s = sqrt(z);
        double w = kc_f64_asin_ratio(z) * s - pio2_lo;
        return 3.14159265358979311600e+00 - 2.0 * (s + w);
    }
    double z = (1.0 - x) * 0.5;
    double s = sqrt(z);
    double df = kc_f64_clear_low(s);
    double c = (z - df * df) / (s + df);
    double w = kc_f64_asin_ratio(z) * s + c;
    return 2.0 * (df + w);
}

// atan: |x| reduced to [0, 7/16] by atan(x) = atan(b) + atan((x - b) / (1 + b x)) for b in
// {1/2, 1, 3/2, inf}, then x - x P(x^2) (fdlibm's s_atan.c).
__device__ double kc_f64_atan(double x) {
    int hx = kc_f64_high(x);
    int ix = hx & 0x7fffffff;
    if (ix >= 0x44100000) {  // |x| >= 2^66
        if (isnan(x)) {
            return x + x;
        }
        double v = 1.57079632679489655800e+00 + 6.12323399573676603587e-17;
        return hx > 0 ? v : -v;
    }
    int id = -1;
    double t = x;
    if (ix < 0x3fdc0000) {  // |x| < 7/16
        if (ix < 0x3e200000) {
            return x;  // |x| < 2^-29
        }
    } else {
        t = fabs(x);
        if (ix < 0x3ff30000) {  // |x| < 19/16
            if (ix < 0x3fe60000) {  // |x| < 11/16
                id = 0;
                t = (2.0 * t - 1.0) / (2.0 + t);
            } else {
                id = 1;
                t = (t - 1.0) / (t + 1.0);
            }
        } else if (ix < 0x40038000) {  // |x| < 39/16
            id = 2;
            t = (t - 1.5) / (1.0 + 1.5 * t);
        } else {
            id = 3;
            t = -1.0 / t;
        }
    }
    double z = t * t;
    double w = z * z;
    double s1 = z * (3.33333333333329318027e-01 + w * (1.42857142725034663711e-01 +
                w * (9.09088713343650656196e-02 + w * (6.66107313738753120669e-02 +
                w * (4.97687799461593236017e-02 + w * 1.62858201153657823623e-02)))));
    double s2 = w * (-1.99999999998764832476e-01 + w * (-1.11111104054623557880e-01 +
                w * (-7.69187620504482999495e-02 + w * (-5.83357013379057348645e-02 +
                w * -3.65315727442169155270e-02))));
    if (id < 0) {
        return t - t * (s1 + s2);
    }
    double hi = 4.63647609000806093515e-01;  // atan(1/2), atan(1), atan(3/2), pi/2
    double lo = 2.26987774529616870924e-17;
    if (id == 1) {
        hi = 7.85398163397448278999e-01;
        lo = 3.06161699786838301793e-17;
    } else if (id == 2) {
        hi = 9.82793723247329054082e-01;
        lo = 1.39033110312309984516e-17;
    } else if (id == 3) {
        hi = 1.57079632679489655800e+00;
        lo = 6.12323399573676603587e-17;
    }
    double v = hi - ((t * (s1 + s2) - lo) - t);
    return hx < 0 ? -v : v;
}

// atan2: the quadrant from the signs, atan(|y / x|) inside it (fdlibm's e_atan2.c).
__device__ double kc_f64_atan2(double y, double x) {
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    double pi = 3.14159265358979311600e+00;
    double pi_lo = 1.22464679914735317720e-16;
    double pio2 = 1.57079632679489655800e+00;
    double pio4 = 7.85398163397448278999e-01;
    bool ny = signbit(y);
    bool nx = signbit(x);
    if (y == 0.0) {
        if (!nx) {
            return y;  // atan2(+-0, +x) = +-0
        }
        return ny ? -pi : pi;
    }
    if (x == 0.0) {
        return ny ? -pio2 : pio2;
    }
    double v = 0.0;
    if (isinf(x)) {
        if (isinf(y)) {
            v = nx ? 3.0 * pio4 : pio4;
        } else {
            v = nx ? pi : 0.0;
        }
        return ny ? -v : v;
    }
    if (isinf(y)) {
        return ny ? -pio2 : pio2;
    }
    int k = ((kc_f64_high(y) & 0x7ff00000) - (kc_f64_high(x) & 0x7ff00000)) >> 20;
    if (k > 60) {
        v = pio2 + 0.5 * pi_lo;  // |y / x| > 2^60
        return ny ? -v : v;
    }
    if (nx && k < -60) {
        v = 0.0;  // |y| / x < -2^-60: the result is pi
    } else {
        v = atan(fabs(y / x));
    }
    if (!nx) {
        return ny ? -v : v;
    }
    v = pi - (v - pi_lo);
    return ny ? -v : v;
}

// hypot: scaled so the larger operand is in [1, 2), the sum of squares from exact products
// of 26-bit halves (a double-double rounded once), then one correctly rounded square root.
__device__ double kc_f64_square2(double a, double &lo) {
    double ah = kc_f64_split26(a);
    double al = a - ah;
    double hi = ah * ah;
    lo = 2.0 * ah * al + al * al;
    return hi;
}

__device__ double kc_f64_hypot(double x, double y) {
    if (isinf(x) || isinf(y)) {
        return 1.0e308 * 1.0e308;  // +Inf, even with a NaN operand
    }
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    double a = fabs(x);
    double b = fabs(y);
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b == 0.0) {
        return a;
    }
    int ea = (kc_f64_high(a) >> 20) - 1023;
    int eb = (kc_f64_high(b) >> 20) - 1023;
    if (ea - eb > 60) {
        return a + b;  // b^2 below half an ulp of a^2
    }
    double scale = 0.0;
    if (ea == -1023) {  // a subnormal: both below 2^-1022, scaled up exactly first
        a = a * 18014398509481984.0;  // 2^54
        b = b * 18014398509481984.0;
        scale = -54.0;
        ea = (kc_f64_high(a) >> 20) - 1023;
    }
    a = ldexp(a, (double)(-ea));  // exact: b >= a 2^-61 stays normal
    b = ldexp(b, (double)(-ea));
    double al = 0.0;
    double bl = 0.0;
    double ah = kc_f64_square2(a, al);
    double bh = kc_f64_square2(b, bl);
    double h = ah + bh;
    double e = (ah - h) + bh;  // ah >= bh: exact
    double sum = h + (e + al + bl);
    return ldexp(sqrt(sum), scale + (double)ea);
}

// cbrt: a 5-bit estimate from the exponent divided by 3, a polynomial to 23 bits, rounded
// away from zero, then one Newton step (error below 0.667 ulp).
__device__ double kc_f64_cbrt(double x) {
    int hx = kc_f64_high(x);
    unsigned int sign = (unsigned int)hx & 0x80000000u;
    int ix = hx & 0x7fffffff;
    if (ix >= 0x7ff00000) {
        return x + x;
    }
    unsigned int top = 0u;
    if (ix < 0x00100000) {  // zero or subnormal
        if (x == 0.0) {
            return x;
        }
        int it = kc_f64_high(x * 18014398509481984.0) & 0x7fffffff;  // 2^54
        top = (unsigned int)(it / 3 + 696219795);
    } else {
        top = (unsigned int)(ix / 3 + 715094163);
    }
    double t = __longlong_as_double((long long)((unsigned long long)(sign | top) << 32));
    double r = (t * t) * (t / x);
    t = t * ((1.87595182427177009643 + r * (-1.88497979543377169875 +
         r * 1.621429720105354466140)) + ((r * r) * r) * (-0.758397934778766047437 +
         r * 0.145996192886612446982));
    long long b = __double_as_longlong(t);
    t = __longlong_as_double((b + 0x80000000LL) & (long long)0xffffffffc0000000ULL);
    double s = t * t;
    r = x / s;
    double w = t + t;
    r = (r - t) / (w + r);
    return t + t * r;
}
