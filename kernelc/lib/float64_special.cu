// kernelc's float64 special functions (pow, the error and gamma functions, and C99's exact
// helpers remainder, nextafter, logb, ilogb, fdim), written with `double` and lowered under
// the exact 64-bit policy like float64_math.cu, whose exp and log they call. The algorithms
// and minimax coefficients are fdlibm's (Sun Microsystems, 1993 and 2004: "Permission to
// use, copy, modify, and distribute this software is freely granted, provided that this
// notice is preserved"); where fdlibm rounds an intermediate result that a bound of a few
// ulp cannot afford (x^2 in erfc, log x in lgamma's Stirling part), the value is carried
// as a double-double (hi + lo) into one final exp.
//
// Every float64 operation here is a call of a word-level function that shader compilers
// inline, and their compile time grows faster than the code: so polynomials are loops over
// one coefficient table, and each function reaches its expensive parts (exp, log, the
// rational fits) from one call site, choosing the arguments first.

// ------------------------------------------------------------------ shared parts

// Offsets and lengths in kc_sp_horner's table (coefficients highest degree first).
#define KC_SP_EXP 0
#define KC_SP_EXP_N 5
#define KC_SP_LOG 5
#define KC_SP_LOG_N 6
#define KC_SP_ONE 11
#define KC_SP_ONE_N 1
#define KC_SP_ERF_P 12
#define KC_SP_ERF_P_N 5
#define KC_SP_ERF_Q 17
#define KC_SP_ERF_Q_N 6
#define KC_SP_ERF1_P 23
#define KC_SP_ERF1_P_N 7
#define KC_SP_ERF1_Q 30
#define KC_SP_ERF1_Q_N 7
#define KC_SP_ERFC_RA 37
#define KC_SP_ERFC_RA_N 8
#define KC_SP_ERFC_SA 45
#define KC_SP_ERFC_SA_N 9
#define KC_SP_ERFC_RB 54
#define KC_SP_ERFC_RB_N 7
#define KC_SP_ERFC_SB 61
#define KC_SP_ERFC_SB_N 8
#define KC_SP_SIN 69
#define KC_SP_SIN_N 5
#define KC_SP_COS 74
#define KC_SP_COS_N 6
#define KC_SP_LG_A 80
#define KC_SP_LG_A_N 12
#define KC_SP_LG_T 92
#define KC_SP_LG_T_N 15
#define KC_SP_LG_U 107
#define KC_SP_LG_U_N 6
#define KC_SP_LG_V 113
#define KC_SP_LG_V_N 6
#define KC_SP_LG_S 119
#define KC_SP_LG_S_N 7
#define KC_SP_LG_R 126
#define KC_SP_LG_R_N 7
#define KC_SP_LG_W 133
#define KC_SP_LG_W_N 6
#define KC_SP_EXPNEG 139
#define KC_SP_EXPNEG_N 11

// c[first] t^(n-1) + ... + c[first + n - 1].
__device__ double kc_sp_horner(double t, int first, int n) {
    double c[150] = {
        4.13813679705723846039e-08, -1.65339022054652515390e-06, 6.61375632143793436117e-05,
        -2.77777777770155933842e-03, 1.66666666666666019037e-01, 2.06975017800338417784e-01,
        2.30660745775561754067e-01, 2.72728123808534006489e-01, 3.33333329818377432918e-01,
        4.28571428578550184252e-01, 5.99999999999994648725e-01, 1.0,
        -2.37630166566501626084e-05, -5.77027029648944159157e-03, -2.84817495755985104766e-02,
        -3.25042107247001499370e-01, 1.28379167095512558561e-01, -3.96022827877536812320e-06,
        1.32494738004321644526e-04, 5.08130628187576562776e-03, 6.50222499887672944485e-02,
        3.97917223959155352819e-01, 1.0, -2.16637559486879084300e-03,
        3.54783043256182359371e-02, -1.10894694282396677476e-01, 3.18346619901161753674e-01,
        -3.72207876035701323847e-01, 4.14856118683748331666e-01, -2.36211856075265944077e-03,
        1.19844998467991074170e-02, 1.36370839120290507362e-02, 1.26171219808761642112e-01,
        7.18286544141962662868e-02, 5.40397917702171048937e-01, 1.06420880400844228286e-01,
        1.0, -9.81432934416914548592e+00, -8.12874355063065934246e+01,
        -1.84605092906711035994e+02, -1.62396669462573470355e+02, -6.23753324503260060396e+01,
        -1.05586262253232909814e+01, -6.93858572707181764372e-01, -9.86494403484714822705e-03,
        -6.04244152148580987438e-02, 6.57024977031928170135e+00, 1.08635005541779435134e+02,
        4.29008140027567833386e+02, 6.45387271733267880336e+02, 4.34565877475229228821e+02,
        1.37657754143519042600e+02, 1.96512716674392571292e+01, 1.0,
        -4.83519191608651397019e+02, -1.02509513161107724954e+03, -6.37566443368389627722e+02,
        -1.60636384855821916062e+02, -1.77579549177547519889e+01, -7.99283237680523006574e-01,
        -9.86494292470009928597e-03, -2.24409524465858183362e+01, 4.74528541206955367215e+02,
        2.55305040643316442583e+03, 3.19985821950859553908e+03, 1.53672958608443695994e+03,
        3.25792512996573918826e+02, 3.03380607434824582924e+01, 1.0,
        1.58969099521155010221e-10, -2.50507602534068634195e-08, 2.75573137070700676789e-06,
        -1.98412698298579493134e-04, 8.33333333332248946124e-03, -1.13596475577881948265e-11,
        2.08757232129817482790e-09, -2.75573143513906633035e-07, 2.48015872894767294178e-05,
        -1.38888888888741095749e-03, 4.16666666666666019037e-02, 4.48640949618915160150e-05,
        2.52144565451257326939e-05, 1.08011567247583939954e-04, 2.20862790713908385557e-04,
        5.10069792153511336608e-04, 1.19270763183362067845e-03, 2.89051383673415629091e-03,
        7.38555086081402883957e-03, 2.05808084325167332806e-02, 6.73523010531292681824e-02,
        3.22467033424113591611e-01, 7.72156649015328655494e-02, 3.35529192635519073543e-04,
        -3.12754168375120860518e-04, 3.15632070903625950361e-04, -5.38595305356740546715e-04,
        8.81081882437654011382e-04, -1.40346469989232843813e-03, 2.25964780900612472250e-03,
        -3.68452016781138256760e-03, 6.10053870246291332635e-03, -1.03142241298341437450e-02,
        1.79706750811820387126e-02, -3.27885410759859649565e-02, 6.46249402391333854778e-02,
        -1.47587722994593911752e-01, 4.83836122723810047042e-01, 1.33810918536787660377e-02,
        2.28963728064692451092e-01, 9.77717527963372745603e-01, 1.45492250137234768737e+00,
        6.32827064025093366517e-01, -7.72156649015328655494e-02, 3.21709242282423911810e-03,
        1.04222645593369134254e-01, 7.69285150456672783825e-01, 2.12848976379893395361e+00,
        2.45597793713041134822e+00, 1.0, 3.19475326584100867617e-05,
        1.84028451407337715652e-03, 2.66422703033638609560e-02, 1.46350472652464452805e-01,
        3.25778796408930981787e-01, 2.14982415960608852501e-01, -7.72156649015328655494e-02,
        7.32668430744625636189e-06, 7.77942496381893596434e-04, 1.86459191715652901344e-02,
        1.71933865632803078993e-01, 7.21935547567138069525e-01, 1.39200533467621045958e+00,
        1.0, -1.63092934096575273989e-03, 8.36339918996282139126e-04,
        -5.95187557450339963135e-04, 7.93650558643019558500e-04, -2.77777777728775536470e-03,
        8.33333333333329678849e-02, 2.755731922398589e-07, -2.7557319223985893e-06,
        2.48015873015873e-05, -0.0001984126984126984, 0.001388888888888889,
        -0.008333333333333333, 0.041666666666666664, -0.16666666666666666, 0.5, -1.0, 1.0
    };
    double r = 0.0;
    for (int k = first; k < first + n; k++) {
        r = r * t + c[k];
    }
    return r;
}

__device__ double kc_sp_ratio(double t, int p, int pn, int q, int qn) {
    return kc_sp_horner(t, p, pn) / kc_sp_horner(t, q, qn);
}

// x with its low word cleared (fdlibm's SET_LOW_WORD(x, 0)): at most 21 significant bits,
// so that the product of two such values is exact.
__device__ double kc_sp_high_part(double x) {
    return __longlong_as_double(__double_as_longlong(x) & -4294967296LL);
}

// a * b - p for p = a * b rounded, to within 2^-70 |p|: a and b split at their low words
// (21 + 32 bits), so every partial product but the smallest is exact.
__device__ double kc_sp_mul_err(double a, double b, double p) {
    double ah = kc_sp_high_part(a);
    double al = a - ah;
    double bh = kc_sp_high_part(b);
    double bl = b - bh;
    return ((ah * bh - p) + (ah * bl + al * bh)) + al * bl;
}

// a + b - s exactly, for s = a + b rounded (Knuth's two-sum).
__device__ double kc_sp_add_err(double a, double b, double s) {
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

// exp(x + xl) for a small tail xl: exp's reduction (float64_math.cu) with xl joined to the
// reduced argument's low part, so the tail is not rounded away.
__device__ double kc_sp_exp_dd(double x, double xl) {
    if (x > 7.09782712893383973096e+02) {
        return HUGE_VAL;
    }
    if (x < -7.45133219101941108420e+02) {
        return 0.0;
    }
    double k = rint(x * 1.44269504088896338700e+00);
    double hi = x - k * 6.93147180369123816490e-01;
    double lo = k * 1.90821492927058770002e-10 - xl;
    double r = hi - lo;
    double t = r * r;
    double c = r - t * kc_sp_horner(t, KC_SP_EXP, KC_SP_EXP_N);
    double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    return ldexp(y, k);
}

// log2(ax) = t1 + t2 for finite ax > 0, t1 with its low word clear (fdlibm's e_pow.c):
// ax = 2^n m with m near 1 or 1.5, s = (m - b) / (m + b) carried in two parts, and
// log(m / b) = 2s + (2/3) s^3 + s^4 L(s^2) summed in extra precision.
__device__ void kc_sp_log2_dd(double ax, double &t1, double &t2) {
    int n = 0;
    double v = ax;
    if (v < 2.2250738585072014e-308) {
        v = v * 9007199254740992.0;  // a subnormal: scale by 2^53
        n = -53;
    }
    int ix = kc_f64_high(v);
    n = n + ((ix >> 20) - 1023);
    int j = ix & 0x000fffff;
    ix = j | 0x3ff00000;
    int k = 0;
    if (j > 0x3988e && j < 0xbb67a) {  // sqrt(3/2) <= m < sqrt(3)
        k = 1;
    } else if (j >= 0xbb67a) {
        n = n + 1;
        ix = ix - 0x00100000;
    }
    v = kc_f64_with_high(v, ix);
    double b = k == 1 ? 1.5 : 1.0;
    double dp_h = k == 1 ? 5.84962487220764160156e-01 : 0.0;  // log2(1.5) in two parts
    double dp_l = k == 1 ? 1.35003920212974897128e-08 : 0.0;
    double u = v - b;
    double w = 1.0 / (v + b);
    double s = u * w;
    double s_h = kc_sp_high_part(s);
    double t_h = __longlong_as_double((long long)(((ix >> 1) | 0x20000000) + 0x00080000 +
                 (k << 18)) << 32);  // v + b, its high part
    double t_l = v - (t_h - b);
    double s_l = w * ((u - s_h * t_h) - s_h * t_l);
    double s2 = s * s;
    double r = s2 * s2 * kc_sp_horner(s2, KC_SP_LOG, KC_SP_LOG_N) + s_l * (s_h + s);
    s2 = s_h * s_h;
    t_h = kc_sp_high_part(3.0 + s2 + r);
    t_l = r - ((t_h - 3.0) - s2);
    u = s_h * t_h;
    w = s_l * t_h + t_l * s;
    double p_h = kc_sp_high_part(u + w);
    double p_l = w - (p_h - u);
    double z_h = 9.61796700954437255859e-01 * p_h;  // 2 / (3 ln 2) in two parts
    double z_l = -7.02846165095275826516e-09 * p_h + p_l * 9.61796693925975554329e-01 + dp_l;
    double dn = (double)n;
    t1 = kc_sp_high_part(((z_h + z_l) + dp_h) + dn);
    t2 = z_l - (((t1 - dn) - dp_h) - z_h);
}

// log(ax) = hi + lo for finite ax > 0: log2(ax) times ln 2, whose high part has 21 bits,
// so t1 times it is exact.
__device__ void kc_sp_log_dd(double ax, double &hi, double &lo) {
    double t1 = 0.0;
    double t2 = 0.0;
    kc_sp_log2_dd(ax, t1, t2);
    double h = t1 * 6.93147182464599609375e-01;
    double l = t1 * -1.90465429995776804525e-09 + t2 * 6.93147180559945286227e-01;
    hi = h + l;
    lo = l - (hi - h);
}

// ------------------------------------------------------------------ pow

// 2^(p_h + p_l) for -1075 <= p_h + p_l <= 1024, p_h with at most 42 significant bits
// (fdlibm's e_pow.c): the integer part n split off exactly, 2^f = exp(f ln 2) with f ln 2
// in two parts, then scaled by 2^n (rounded once where the result is subnormal).
__device__ double kc_sp_exp2_dd(double p_h, double p_l) {
    double n = rint(p_h + p_l);
    p_h = p_h - n;  // exact: p_h and n are multiples of p_h's ulp
    double t = kc_sp_high_part(p_l + p_h);
    double u = t * 6.93147182464599609375e-01;
    double v = (p_l - (t - p_h)) * 6.93147180559945286227e-01 + t * -1.90465429995776804525e-09;
    double z = u + v;
    double w = v - (z - u);
    t = z * z;
    double t1 = z - t * kc_sp_horner(t, KC_SP_EXP, KC_SP_EXP_N);
    double r = (z * t1) / (t1 - 2.0) - (w + z * w);
    return ldexp(1.0 - (r - z), n);
}

// pow: C99's special cases first (pow(x, +-0) = 1 and pow(1, y) = 1 even for a NaN, signed
// zeros and infinities, negative bases with integral y), then 2^(y log2|x|) with log2|x|
// and the product carried in extra precision (fdlibm's e_pow.c).
__device__ double kc_f64_pow(double x, double y) {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    double ax = fabs(x);
    double ay = fabs(y);
    bool y_int = trunc(y) == y;
    bool y_odd = y_int && ay < 9007199254740992.0 && trunc(0.5 * y) != 0.5 * y;
    // +Inf or +0 where |x|^y is certainly out of range (|y| > 2^31 and |x| not within
    // 2^-20 of 1, or y infinite): +Inf when |x| > 1 and y > 0 or |x| < 1 and y < 0
    double beyond = (ax > 1.0) == (y > 0.0) ? HUGE_VAL : 0.0;
    if (isinf(y)) {
        return ax == 1.0 ? 1.0 : beyond;
    }
    if (ax == 0.0 || isinf(x)) {  // |x|^y is 0 or Inf; an odd y keeps -0's and -Inf's sign
        double m = (ax == 0.0) == (y < 0.0) ? HUGE_VAL : 0.0;
        return signbit(x) && y_odd ? -m : m;
    }
    if (x < 0.0 && !y_int) {
        return (x - x) / (x - x);
    }
    if (y == 1.0) {
        return x;
    }
    if (y == -1.0) {
        return 1.0 / x;
    }
    if (y == 2.0) {
        return x * x;
    }
    if (y == 0.5) {
        return sqrt(x);
    }
    double sign = x < 0.0 && y_odd ? -1.0 : 1.0;
    if (ax == 1.0) {
        return sign;
    }
    int ix = kc_f64_high(ax);
    if (ay > 2147483648.0 && (ay > 1.8446744073709552e+19 || ix < 0x3fefffff || ix > 0x3ff00000)) {
        return sign * beyond;
    }
    double t1 = 0.0;
    double t2 = 0.0;
    kc_sp_log2_dd(ax, t1, t2);
    // y log2|x| = p_h + p_l, p_h exact (both factors have their low words clear)
    double y1 = kc_sp_high_part(y);
    double p_l = (y - y1) * t1 + y * t2;
    double p_h = y1 * t1;
    double z = p_l + p_h;
    if (z > 1024.0 || (z == 1024.0 && p_l + 8.0085662595372944372e-17 > z - p_h)) {
        return sign * HUGE_VAL;
    }
    if (z < -1075.0 || (z == -1075.0 && p_l <= z - p_h)) {
        return sign * 0.0;
    }
    return sign * kc_sp_exp2_dd(p_h, p_l);
}

// ------------------------------------------------------------------ error functions

// The rational fit for a = |x| (fdlibm's s_erf.c) and its argument: erf(a) = a + a R(a^2)
// below 0.84375, erf(a) = erx + R(a - 1) below 1.25 (erx = 0.845062911510467529297, 24
// bits), and log(a erfcx(a)) = R(1/a^2) - 0.5625 beyond (two fits, split at 1/0.35; the
// second tends to log(1/sqrt(pi)) as a grows, so it serves up to +Inf).
__device__ double kc_sp_erf_fit(double a) {
    double t = a * a;
    int p = KC_SP_ERF_P;
    int pn = KC_SP_ERF_P_N;
    int q = KC_SP_ERF_Q;
    int qn = KC_SP_ERF_Q_N;
    if (a >= 1.25) {
        t = 1.0 / t;
        bool near = a < 2.857142857142857;
        p = near ? KC_SP_ERFC_RA : KC_SP_ERFC_RB;
        pn = near ? KC_SP_ERFC_RA_N : KC_SP_ERFC_RB_N;
        q = near ? KC_SP_ERFC_SA : KC_SP_ERFC_SB;
        qn = near ? KC_SP_ERFC_SA_N : KC_SP_ERFC_SB_N;
    } else if (a >= 0.84375) {
        t = a - 1.0;
        p = KC_SP_ERF1_P;
        pn = KC_SP_ERF1_P_N;
        q = KC_SP_ERF1_Q;
        qn = KC_SP_ERF1_Q_N;
    }
    double r = kc_sp_ratio(t, p, pn, q, qn);
    return a >= 1.25 ? r - 0.5625 : r;
}

// erfc(a + al) for 1.25 <= a < 28 and a small tail al, given c = log(a erfcx(a)) (with
// ln 2 subtracted to halve it): one exp of c - (a + al)^2, the square and the sum carried
// as a double-double, then the division by a + al.
__device__ double kc_sp_erfc_tail(double a, double al, double c, double cl) {
    double sq = a * a;
    double sql = kc_sp_mul_err(a, a, sq) + 2.0 * a * al;
    double h = c - sq;
    double l = kc_sp_add_err(c, -sq, h) + (cl - sql);
    double e = kc_sp_exp_dd(h, l) / a;
    return e - e * (al / a);
}

// erf (mode 0) and erfc (mode 1) from one evaluation of the fit and of the tail.
__device__ double kc_sp_erf_erfc(double x, int mode) {
    if (isnan(x)) {
        return x + x;
    }
    double a = fabs(x);
    bool erfc_ = mode == 1;
    if (a < 1.3877787807814457e-17) {  // 2^-56: erf x = 2x / sqrt(pi), scaled near 0
        return erfc_ ? 1.0 - x : 0.125 * (8.0 * x + 1.02703333676410069053e+00 * x);
    }
    double r = kc_sp_erf_fit(fmin(a, 28.0));
    if (a < 0.84375) {
        double e = x * r;
        if (!erfc_) {
            return x + e;
        }
        return x < 0.25 ? 1.0 - (x + e) : 0.5 - ((x - 0.5) + e);
    }
    // erf(a) = erx + r below 1.25; erfc(a) = tail beyond (0 past 28)
    double tail = 0.0;
    if (a >= 1.25 && a < 28.0 && (erfc_ || a < 6.0)) {
        tail = kc_sp_erfc_tail(a, 0.0, r, 0.0);
    }
    double erx = 8.45062911510467529297e-01;
    if (!erfc_) {
        double v = a < 1.25 ? erx + r : 1.0 - tail;
        return x < 0.0 ? -v : v;
    }
    if (a < 1.25) {
        return x > 0.0 ? (1.0 - erx) - r : 1.0 + (erx + r);
    }
    return x > 0.0 ? tail : 2.0 - tail;
}

__device__ double kc_f64_erf(double x) {
    return kc_sp_erf_erfc(x, 0);
}

__device__ double kc_f64_erfc(double x) {
    return kc_sp_erf_erfc(x, 1);
}

// erfcx(x) = e^(x^2) erfc(x), a = |x|: e^(a^2) erfc(x) below 1.25 (a^2 exact as a
// double-double), exp(fit) / x beyond 1.25 (no e^(x^2) to overflow: the fit is of
// log(x erfcx(x)) itself), and 2 e^(x^2) - exp(fit) / a below -1.25 (no cancellation: the
// first term is at least 9, the second at most 0.5), both exps from one loop.
__device__ double kc_f64_erfcx(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x < -26.7) {
        return HUGE_VAL;  // 2 e^(x^2) overflows below -26.63
    }
    double a = fabs(x);
    double r = kc_sp_erf_fit(a);
    double sq = a * a;
    double sql = a < 1.25 || x < 0.0 ? kc_sp_mul_err(a, a, sq) : 0.0;
    double e[2] = {0.0, 0.0};
    int first = a < 1.25 || x < 0.0 ? 0 : 1;
    int last = a >= 1.25 ? 1 : 0;
    for (int k = first; k <= last; k++) {
        double h = k == 0 ? sq : r;
        e[k] = kc_sp_exp_dd(h, k == 0 ? sql : 0.0);
    }
    if (a >= 1.25) {
        return x > 0.0 ? e[1] / a : 2.0 * e[0] - e[1] / a;
    }
    double erx = 8.45062911510467529297e-01;
    double c = 0.0;  // erfc(x)
    if (a < 0.84375) {
        c = x < 0.25 ? 1.0 - (x + x * r) : 0.5 - ((x - 0.5) + x * r);
    } else {
        c = x > 0.0 ? (1.0 - erx) - r : 1.0 + (erx + r);
    }
    return e[0] * c;
}

// normcdf(x) = erfc(t) / 2, t = -x / sqrt(2) carried as th + tl. For |th| >= 1.25 the tail
// takes tl (and ln 2 in its exponent, to halve); below, the first-order term
// -tl e^(-th^2) / sqrt(pi) is added, with e^(-th^2) from a short series (it only needs a
// few digits).
__device__ double kc_f64_normcdf(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (fabs(x) > 40.0) {
        return x > 0.0 ? 1.0 : 0.0;
    }
    double th = -x * 7.07106781186547572737e-01;
    double tl = kc_sp_mul_err(-x, 7.07106781186547572737e-01, th) + x * 4.833646656726457e-17;
    double a = fabs(th);
    double r = kc_sp_erf_fit(a);
    if (a >= 1.25) {
        double c = r - 6.93147180559945286227e-01;  // - ln 2 in two parts
        double cl = kc_sp_add_err(r, -6.93147180559945286227e-01, c) - 2.3190468138462996e-17;
        double tail = kc_sp_erfc_tail(a, th > 0.0 ? tl : -tl, c, cl);
        return th > 0.0 ? tail : 1.0 - tail;
    }
    double erx = 8.45062911510467529297e-01;
    double c = 0.0;  // erfc(th)
    if (a < 0.84375) {
        c = th < 0.25 ? 1.0 - (th + th * r) : 0.5 - ((th - 0.5) + th * r);
    } else {
        c = th > 0.0 ? (1.0 - erx) - r : 1.0 + (erx + r);
    }
    double g = kc_sp_horner(th * th, KC_SP_EXPNEG, KC_SP_EXPNEG_N);
    return 0.5 * c - tl * 5.64189583547756279280e-01 * g;
}

// ------------------------------------------------------------------ gamma functions

// sin(pi x) for finite x >= 0: x mod 2 (exact), a quarter period r, then fdlibm's sin or
// cos kernel (k_sin.c, k_cos.c) on pi r carried as a double-double.
__device__ double kc_sp_sinpi(double x) {
    double m = x - 2.0 * floor(0.5 * x);
    double r = m - rint(2.0 * m) * 0.5;  // in [-1/4, 1/4], exact
    double q = rint(2.0 * m);            // sin(pi m) = (sin, cos, -sin, -cos, sin)(pi r)
    bool use_cos = q == 1.0 || q == 3.0;
    double hi = r * 3.14159265358979311600e+00;
    double lo = kc_sp_mul_err(r, 3.14159265358979311600e+00, hi) + r * 1.2246467991473532e-16;
    double z = hi * hi;
    double v = 0.0;
    if (use_cos) {
        double w = z * kc_sp_horner(z, KC_SP_COS, KC_SP_COS_N);
        double hz = 0.5 * z;
        double c = 1.0 - hz;
        v = c + (((1.0 - c) - hz) + (z * w - hi * lo));
    } else {
        double w = kc_sp_horner(z, KC_SP_SIN, KC_SP_SIN_N);
        double u = z * hi;
        v = hi - ((z * (0.5 * lo - u * w) - lo) - u * -1.66666666666666324348e-01);
    }
    return q == 2.0 || q == 3.0 ? -v : v;
}

// (a - 1/2)(log a - 1) + w(1/a) = hi + lo (lgamma(a) for a >= 8; log a - 1 is exact as
// log a >= 2), given log a = lh + ll and fdlibm's fit w of the rest (within 2^-58.74).
__device__ void kc_sp_stirling(double a, double lh, double ll, double &hi, double &lo) {
    double z = 1.0 / a;
    double w = 4.18938533204672725052e-01 + z * kc_sp_horner(z * z, KC_SP_LG_W, KC_SP_LG_W_N);
    double m = a - 0.5;
    double b = lh - 1.0;
    double h = m * b;
    double l = kc_sp_mul_err(m, b, h) + m * ll;
    double s = h + w;
    l = l + kc_sp_add_err(h, w, s);
    hi = s + l;
    lo = l - (hi - s);
}

// lgamma(a) for 2^-70 <= a < 8 minus the log term (fdlibm's e_lgamma_r.c): on (0, 2) the
// shift by log a below 0.9, then around 1 and 2 a polynomial or rational function in y
// (relative accuracy at the zeros) and around the minimum tc a polynomial; on [2, 8)
// lgamma(2 + y) and the recurrence. `arg` is the argument of the log term and `sign` its
// sign in the result (0: none).
__device__ double kc_sp_lgamma_small(double a, double &arg, double &sign) {
    int ix = kc_f64_high(a);
    double tc = 1.46163214496836224576e+00;
    double y = 0.0;
    int kind = 0;  // 0: near 2, 1: near tc, 2: near 1, 3: [2, 8)
    arg = a;
    sign = -1.0;
    if (ix <= 0x3feccccc) {  // a < 0.9: lgamma(a + 1) - log a
        if (ix >= 0x3fe76944) {
            y = 1.0 - a;
        } else if (ix >= 0x3fcda661) {
            y = a - (tc - 1.0);
            kind = 1;
        } else {
            y = a;
            kind = 2;
        }
    } else if (a < 2.0) {
        sign = 0.0;
        if (ix >= 0x3ffbb4c3) {
            y = 2.0 - a;
        } else if (ix >= 0x3ff3b4c4) {
            y = a - tc;
            kind = 1;
        } else {
            y = a - 1.0;
            kind = 2;
        }
    } else {
        y = a - floor(a);
        kind = 3;
        double z = 1.0;
        for (double k = floor(a) - 1.0; k >= 2.0; k = k - 1.0) {
            z = z * (y + k);
        }
        arg = z;
        sign = a >= 3.0 ? 1.0 : 0.0;
    }
    int p = kind == 0 ? KC_SP_LG_A : (kind == 1 ? KC_SP_LG_T : (kind == 2 ? KC_SP_LG_U : KC_SP_LG_S));
    int pn = kind == 0 ? KC_SP_LG_A_N : (kind == 1 ? KC_SP_LG_T_N :
             (kind == 2 ? KC_SP_LG_U_N : KC_SP_LG_S_N));
    int q = kind == 2 ? KC_SP_LG_V : (kind == 3 ? KC_SP_LG_R : KC_SP_ONE);
    int qn = kind == 2 ? KC_SP_LG_V_N : (kind == 3 ? KC_SP_LG_R_N : KC_SP_ONE_N);
    double f = kc_sp_ratio(y, p, pn, q, qn);
    if (kind == 0) {
        return y * f - 0.5 * y;
    }
    if (kind == 1) {  // tf + y^2 T(y), tt the tail of tf
        return -1.21486290535849611461e-01 + (y * y * f - -3.63867699703950536541e-18);
    }
    return (kind == 2 ? -0.5 : 0.5) * y + y * f;
}

// lgamma: log|Gamma(x)|; +Inf at 0, the negative integers and +-Inf; for x < 0 the
// reflection log(pi / |x sin(pi x)|) - lgamma(-x), which cancels near lgamma's negative
// zeros (as CUDA's does). Both logs (the reflection's and lgamma's own) come from one loop.
__device__ double kc_f64_lgamma(double x) {
    if (isnan(x) || isinf(x)) {
        return x * x;
    }
    double a = fabs(x);
    if (a == 0.0 || (x < 0.0 && a >= 4503599627370496.0)) {  // 2^52: a negative integer
        return HUGE_VAL;
    }
    bool tiny = a < 8.470329472543003e-22;  // 2^-70: lgamma(x) = -log|x|
    bool reflect = x < 0.0 && !tiny;
    double s = reflect ? fabs(kc_sp_sinpi(a)) : 1.0;
    if (s == 0.0) {
        return HUGE_VAL;
    }
    double arg = a;
    double sign = -1.0;
    double r = 0.0;
    if (a == 1.0 || a == 2.0) {
        sign = 0.0;
    } else if (!tiny && a < 8.0) {
        r = kc_sp_lgamma_small(a, arg, sign);
    }
    double v[2] = {s * a, arg};
    double lh[2] = {0.0, 0.0};
    double ll[2] = {0.0, 0.0};
    for (int k = reflect ? 0 : 1; k < 2; k++) {
        double h = 0.0;
        double l = 0.0;
        kc_sp_log_dd(v[k], h, l);
        lh[k] = h;
        ll[k] = l;
    }
    if (a >= 8.0 && a < 2.8823037615171174e+17) {  // 2^58
        double h = 0.0;
        double l = 0.0;
        kc_sp_stirling(a, lh[1], ll[1], h, l);
        r = h + l;
    } else if (a >= 8.0) {
        r = a * (lh[1] - 1.0) + a * ll[1];
    } else if (sign != 0.0) {
        r = sign * lh[1] + (r + sign * ll[1]);
    }
    if (!reflect) {
        return r;
    }
    return (1.1447298858494002 - lh[0]) + ((1.0265951162707826e-17 - ll[0]) - r);
}

// tgamma: Gamma(x) = Gamma(z) / (x (x + 1) ... (x + n - 1)), z = x + n >= 8, the product
// and z in double-double, Gamma(z) = exp(lgamma(z)) with z's tail times digamma(z) joined
// to the exponent. For x <= -20 the reflection Gamma(x) = -pi / (y sin(pi y) Gamma(y)),
// y = -x, the product y sin(pi y) from the same loop and pi / Gamma(y) = exp(log pi -
// lgamma(y)) scaled by 2^64, so that a subnormal result is rounded once. NaN at the
// negative integers and -Inf, +-Inf at +-0, +Inf past 171.62, (n - 1)! exactly at
// n = 1 .. 23.
__device__ double kc_f64_tgamma(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (x == 0.0) {
        return 1.0 / x;
    }
    if (isinf(x)) {
        return x > 0.0 ? x : x - x;
    }
    if (x < 0.0 && trunc(x) == x) {
        return (x - x) / (x - x);
    }
    if (x > 171.625) {  // Gamma(171.6243769563027) = DBL_MAX
        return HUGE_VAL;
    }
    if (x <= 23.0 && trunc(x) == x) {  // (x - 1)! exactly, while it fits 53 bits
        double f = 1.0;
        for (double k = 2.0; k < x; k = k + 1.0) {
            f = f * k;
        }
        return f;
    }
    if (fabs(x) < 5.551115123125783e-17) {  // 2^-54: Gamma(x) = 1/x - Euler's gamma
        return 1.0 / x - 5.77215664901532860607e-01;
    }
    bool reflect = x <= -20.0;
    double y = reflect ? -x : x;
    double s = reflect ? kc_sp_sinpi(y) : 0.0;
    double ph = 1.0;
    double pl = 0.0;
    double zh = y;
    double zl = 0.0;
    for (int k = 0; k < (reflect ? 2 : 30) && (reflect || zh < 8.0); k++) {
        double f = reflect ? (k == 0 ? y : s) : zh;
        double h = ph * f;
        pl = kc_sp_mul_err(ph, f, h) + (reflect ? 0.0 : ph * zl) + pl * f;
        ph = h + pl;
        pl = pl - (ph - h);
        if (!reflect) {
            double t = zh + 1.0;
            zl = zl + kc_sp_add_err(zh, 1.0, t);
            zh = t;
        }
    }
    double lh = 0.0;
    double ll = 0.0;
    kc_sp_log_dd(zh, lh, ll);
    double gh = 0.0;
    double gl = 0.0;
    kc_sp_stirling(zh, lh, ll, gh, gl);
    gl = gl + zl * (lh - 0.5 / zh);  // digamma(z) ~ log z - 1/(2z)
    if (reflect) {  // pi exp(-lgamma(y)) 2^64 = exp(log pi + 64 ln 2 - lgamma(y))
        double h = 45.5061494416859 - gh;
        gl = kc_sp_add_err(45.5061494416859, -gh, h) + (8.283220972492456e-16 - gl);
        gh = h;
    }
    double q = kc_sp_exp_dd(gh, gl) / ph;
    double g = pl == 0.0 ? q : q - q * (pl / ph);  // (q may be Inf where pl is 0)
    return reflect ? -ldexp(g, -64.0) : g;
}

// ------------------------------------------------------------------ exact helpers

// remainder: x - n y with n the integer nearest x / y (ties to even), exact: x reduced
// modulo 2|y| by fmod, then at most two exact subtractions of |y| (fdlibm's e_remainder.c).
__device__ double kc_f64_remainder(double x, double y) {
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    if (isinf(x) || y == 0.0) {
        return NAN;
    }
    double p = fabs(y);
    double r = x;
    if (p < 8.98846567431157953865e+307) {  // 2p finite
        r = fmod(x, p + p);
    }
    r = fabs(r);
    if (p < 4.4501477170144028e-308) {  // 2^-1021: p / 2 would round
        if (r + r > p) {
            r = r - p;
            if (r + r >= p) {
                r = r - p;
            }
        }
    } else {
        double h = 0.5 * p;
        if (r > h) {
            r = r - p;
            if (r >= h) {
                r = r - p;
            }
        }
    }
    return signbit(x) ? -r : r;
}

// modf's value: the fractional part, with x's sign (+-0 for +-Inf; NaN stays NaN).
__device__ double kc_f64_modf(double x) {
    if (isinf(x)) {
        return copysign(0.0, x);
    }
    return copysign(x - trunc(x), x);
}

// remquo's quotient: as kc_remquo_quo (math.cu), in double.
__device__ int kc_f64_remquo_quo(double x, double y) {
    if (isnan(x) || isnan(y) || isinf(x) || isinf(y) || y == 0.0) {
        return 0;
    }
    double p = fabs(y);
    double r = p < 2.2471164185778949e+307 ? fmod(x, 8.0 * p) : x;  // 8p finite
    int bits = (int)rint(fabs((r - kc_f64_remainder(r, y)) / y)) & 7;
    return signbit(x) != signbit(y) ? -bits : bits;
}

// nextafter: the next double after x toward y (y itself when equal, the smallest
// subnormal of y's sign after a zero).
__device__ double kc_f64_nextafter(double x, double y) {
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    if (x == y) {
        return y;
    }
    if (x == 0.0) {
        return copysign(4.94065645841246544177e-324, y);
    }
    long long bits = __double_as_longlong(x);
    bits = (x < y) == (x > 0.0) ? bits + 1 : bits - 1;
    return __longlong_as_double(bits);
}

// ilogb: the unbiased exponent (of the leading bit, for a subnormal); INT_MIN for 0 and
// NaN, INT_MAX for +-Inf (CUDA's FP_ILOGB0, FP_ILOGBNAN).
__device__ int kc_f64_ilogb(double x) {
    if (x == 0.0 || isnan(x)) {
        return INT_MIN;
    }
    if (isinf(x)) {
        return INT_MAX;
    }
    int hx = kc_f64_high(x) & 0x7fffffff;
    if (hx >= 0x00100000) {
        return (hx >> 20) - 1023;
    }
    int hv = kc_f64_high(fabs(x) * 18014398509481984.0) & 0x7fffffff;  // 2^54
    return (hv >> 20) - 1023 - 54;
}

// logb: ilogb as a double; -Inf at 0, +Inf at +-Inf.
__device__ double kc_f64_logb(double x) {
    if (isnan(x)) {
        return x + x;
    }
    if (isinf(x)) {
        return x * x;
    }
    if (x == 0.0) {
        return -HUGE_VAL;
    }
    return (double)kc_f64_ilogb(x);
}

// fdim: x - y where x > y, else +0; NaN if either is.
__device__ double kc_f64_fdim(double x, double y) {
    if (isnan(x) || isnan(y)) {
        return x + y;
    }
    return x > y ? x - y : 0.0;
}
