// kernelc's float32 Bessel functions: j0f, j1f, y0f, y1f, jnf, ynf, cyl_bessel_i0f and
// cyl_bessel_i1f (kc_<fn>, built-ins of kernelc.ir.builtins.MATH). Our own fits (mpmath
// at 30 digits, Chebyshev interpolation converted to monomials; the table and where each
// piece sits in it come from tools/fit_bessel_coefficients.py):
//
// - |x| < 8: J0, J1 by polynomials in x^2 near 0 and, between, in t = x - c (exact) about
//   each zero of the piece rounded to float, c, with J(c) itself as the constant term:
//   relative accuracy at the zeros. (A zero carried as z_hi + z_lo, (x - z_hi) - z_lo,
//   is not safe: Mesa folds the two constants into one.) Y0 = (2/pi) log(x) J0(x) +
//   R0(x), Y1 = (2/pi) (log(x) J1(x) - 1/x) + R1(x), with R0, R1 entire and fitted the
//   same way (accurate in absolute terms at Y's zeros, as CUDA's bound is).
// - x >= 8: modulus and phase, J = sqrt(2/(pi x)) M(x) cos(theta), Y = ... sin(theta),
//   theta = x - (2n + 1) pi/4 + phi(x), M - 1 and phi / u fitted in v = u^2, u = 8/x.
//   x mod pi/2 comes from Payne-Hanek on float32 pieces of 2/pi (every product exact,
//   each reduced mod 4 exactly), so theta keeps its digits for every finite x.
// - I0, I1: polynomials in x^2 below 8, e^x / sqrt(x) P(8/x) beyond (e^(x/2) twice, so
//   the result overflows only where I does).
// - jn: forward recurrence from J0, J1 where n < |x|, Miller's backward recurrence
//   normalised by J0 + 2 (J2 + J4 + ...) = 1 otherwise; yn: forward recurrence from Y0, Y1.
//   n is the built-in's float operand (an int converted exactly).

// c[first] t^(n-1) + ... + c[first + n - 1]: the fits' coefficients, highest first.
__device__ float kc_besf_poly(float t, int first, int n) {
    float c[174] = {
        5.1571714e-08f, -5.190784e-07f, -4.3627474e-06f, 4.371986e-05f, 0.00026440344f,
        -0.0021941983f, -0.008657679f, 0.056601778f, 0.107938685f, -0.5191475f, 5.64344e-08f,
        -3.2776008e-08f, 5.458888e-07f, 3.1928942e-06f, -4.6470737e-05f, -0.00017517745f,
        0.0022573997f, 0.004631039f, -0.05298854f, -0.030820662f, 0.3402648f, 2.4476659e-08f,
        3.650086e-05f, -0.00025439708f, -0.0015240563f, 0.009082702f, 0.02765859f, -0.12415325f,
        -0.13524842f, 0.26633966f, 4.6947233e-09f, 3.0662093e-08f, -5.733559e-07f,
        -3.0316369e-06f, 4.621074e-05f, 0.00017465767f, -0.0022331276f, -0.0051797167f,
        0.053410444f, 0.052556157f, -0.40275937f, -3.0952297e-08f, 5.981811e-07f,
        2.3620055e-06f, -4.506871e-05f, -0.00012549822f, 0.0021056398f, 0.0031302979f,
        -0.046970487f, -0.02138924f, 0.30011573f, 5.4984724e-08f, -9.385912e-08f,
        -3.1555862e-07f, 9.017281e-06f, 2.4806808e-05f, -0.0005146175f, -0.0011093792f,
        0.015613861f, 0.025532436f, -0.18803649f, -0.23148327f, 0.4921866f, 9.7851064e-08f,
        1.4655652e-07f, -9.444896e-06f, -1.1563034e-05f, 0.0005453329f, 0.0005254257f,
        -0.017047234f, -0.011947243f, 0.22149879f, 0.06529588f, -0.483178f, -3.129935e-08f,
        8.9102014e-07f, 3.0552992e-06f, -6.817716e-05f, -0.00018222224f, 0.002854762f,
        0.0062031695f, -0.055565488f, -0.10138487f, 0.32933694f, 0.4825166f, 1.6104293e-08f,
        -9.411139e-07f, -1.6174473e-06f, 7.307307e-05f, 0.00010134344f, -0.003167159f,
        -0.0036359315f, 0.06716973f, 0.05377109f, -0.46921387f, 0.0071715666f, 6.521396e-06f,
        -0.0004336739f, 0.0156248035f, -0.24999996f, 1.0f, -5.260968e-09f, 6.764305e-07f,
        -5.4249886e-05f, 0.0026041633f, -0.0625f, 0.5f, 9.471693e-08f, -9.4556235e-06f,
        0.0005385215f, -0.016073892f, 0.17760599f, -0.0738043f, 8.277448e-09f, -9.897627e-07f,
        7.1636685e-05f, -0.0029552998f, 0.054348685f, -0.1960571f, 2.8886774e-22f,
        4.6607543e-20f, 3.1582715e-17f, 9.221438e-15f, 2.4095808e-12f, 4.7076537e-10f,
        6.782015e-08f, 6.7816463e-06f, 0.000434028f, 0.015624999f, 0.25f, 1.0f, 6.3589025e-21f,
        9.33866e-19f, 5.6781166e-16f, 1.4763215e-13f, 3.3728024e-11f, 5.6494276e-09f,
        6.781957e-07f, 5.425325e-05f, 0.0026041677f, 0.0625f, 0.5f, -1.5624219e-06f,
        2.49869e-05f, -0.0009765083f, -1.6442577e-09f, -8.910624e-08f, 7.205594e-07f,
        -6.3760867e-06f, 0.00012715429f, -0.015625f, 2.387048e-06f, -4.6819732e-05f,
        0.0029296137f, 2.2412199e-09f, 1.205754e-07f, -1.0532984e-06f, 1.1294185e-05f,
        -0.00032043166f, 0.046875f, 6.947006e-06f, -9.235721e-06f, 2.065906e-05f,
        5.3300868e-05f, 0.0004389603f, 0.0062334295f, 0.3989423f, -7.8836e-06f, 1.0177642e-05f,
        -2.508088e-05f, -7.560506e-05f, -0.0007312518f, -0.018700369f, 0.3989423f
    };
    float r = 0.0f;
    for (int k = first; k < first + n; k++) {
        r = r * t + c[k];
    }
    return r;
}

// J0(a) for 0 <= a < 8.
__device__ float kc_besf_j0_small(float a) {
    if (a < 1.25f) {
        return kc_besf_poly(a * a, 96, 5);
    }
    if (a < 4.0f) {
        return kc_besf_poly(a - 2.4048254f, 0, 11);  // near the zero 2.4048255576957729
    }
    if (a < 7.0f) {
        return kc_besf_poly(a - 5.520078f, 11, 11);  // near the zero 5.5200781102863106
    }
    return kc_besf_poly(a - 7.5f, 22, 8);
}

// J1(a) for 0 <= a < 8.
__device__ float kc_besf_j1_small(float a) {
    if (a < 2.0f) {
        return a * kc_besf_poly(a * a, 101, 6);
    }
    if (a < 5.5f) {
        return kc_besf_poly(a - 3.831706f, 30, 12);  // near the zero 3.8317059702075125
    }
    return kc_besf_poly(a - 7.015587f, 42, 10);  // near the zero 7.0155866698156188
}

// Y0(a) - (2/pi) log(a) J0(a) for 0 <= a < 8.
__device__ float kc_besf_r0_small(float a) {
    if (a < 2.0f) {
        return kc_besf_poly(a * a, 107, 6);
    }
    if (a < 5.0f) {
        return kc_besf_poly(a - 3.5f, 52, 11);
    }
    return kc_besf_poly(a - 6.5f, 63, 11);
}

// Y1(a) - (2/pi) (log(a) J1(a) - 1/a) for 0 <= a < 8.
__device__ float kc_besf_r1_small(float a) {
    if (a < 2.0f) {
        return a * kc_besf_poly(a * a, 113, 6);
    }
    if (a < 5.0f) {
        return kc_besf_poly(a - 3.5f, 74, 11);
    }
    return kc_besf_poly(a - 6.5f, 85, 11);
}

// x mod pi/2 for finite x >= 8: x = q pi/2 + (rh + rl), |rh + rl| <= pi/4, q mod 4.
// x 2/pi = sum_k (x 2^(-24k)) g_k with g_k 24 bits of 2/pi; each product is split into four
// exact products of 12-bit halves, each reduced mod 4 exactly and added to a float pair.
__device__ void kc_besf_rem_pio2(float x, float &rh, float &rl, int &q) {
    float g[9] = {0.63661975f, 0.43088174f, 0.08267188f, 0.15368372f, 0.9578379f,
                  0.7533475f, 0.5843694f, 0.2639199f, 0.99342936f};
    float sh = 0.0f;
    float sl = 0.0f;
    float xs = x;
    for (int k = 0; k < 9; k++) {
        if (xs >= 5.421011e-20f) {  // 2^-64: smaller terms are below the pair's precision
            float xh = kc_split_hi(xs);
            float xl = xs - xh;
            float gh = kc_split_hi(g[k]);
            float gl = g[k] - gh;
            float p[4] = {xh * gh, xh * gl, xl * gh, xl * gl};
            for (int i = 0; i < 4; i++) {
                float t = p[i] - 4.0f * floorf(p[i] * 0.25f);
                float s = sh + t;
                float bb = s - sh;
                sl = sl + ((sh - (s - bb)) + (t - bb));
                sh = s - 4.0f * floorf(s * 0.25f);
            }
        }
        xs = xs * 5.9604645e-08f;  // 2^-24
    }
    float n = rintf(sh);
    float f = sh - n;
    float fh = f + sl;
    float fl = sl - (fh - f);
    if (fh > 0.5f) {
        fh = fh - 1.0f;
        n = n + 1.0f;
    } else if (fh < -0.5f) {
        fh = fh + 1.0f;
        n = n - 1.0f;
    }
    rh = fh * 1.5707964f;
    rl = kc_mul_err(fh, 1.5707964f, rh) + (fh * -4.371139e-08f + fl * 1.5707964f);
    q = (int)n & 3;
}

// J_order(x) (or Y_order(x) when `second`) for finite x >= 8, order 0 or 1.
__device__ float kc_besf_far(float x, int order, bool second) {
    float u = 8.0f / x;
    float v = u * u;
    float m = 1.0f + kc_besf_poly(v, order == 0 ? 142 : 151, order == 0 ? 4 : 4);
    float ph = u * kc_besf_poly(v, order == 0 ? 146 : 155, order == 0 ? 5 : 5);
    float rh = 0.0f;
    float rl = 0.0f;
    int q = 0;
    kc_besf_rem_pio2(x, rh, rl, q);
    // theta = q pi/2 + r - pi/4 + phi (then - order pi/2), as a pair hi + lo
    float hi = rh - 0.7853982f;
    float bb = hi - rh;
    float lo = ((rh - (hi - bb)) + (-0.7853982f - bb)) + (rl + 2.1855694e-08f);
    float s = hi + ph;
    bb = s - hi;
    lo = lo + ((hi - (s - bb)) + (ph - bb));
    hi = s;
    if (hi < -0.7853982f) {
        s = hi + 1.5707964f;
        bb = s - hi;
        lo = lo + ((hi - (s - bb)) + (1.5707964f - bb)) - 4.371139e-08f;
        hi = s;
        q = q - 1;
    }
    float w = hi + lo;
    q = (q - order) & 3;
    float c = cosf(w);
    float sn = sinf(w);
    float ct = q == 0 ? c : (q == 1 ? -sn : (q == 2 ? -c : sn));
    float st = q == 0 ? sn : (q == 1 ? c : (q == 2 ? -sn : -c));
    return m * (0.7978846f / sqrtf(x)) * (second ? st : ct);
}

__device__ float kc_j0(float x) {
    if (isnan(x)) {
        return x;
    }
    float a = fabsf(x);
    if (isinf(a)) {
        return 0.0f;
    }
    return a < 8.0f ? kc_besf_j0_small(a) : kc_besf_far(a, 0, false);
}

__device__ float kc_j1(float x) {
    if (isnan(x)) {
        return x;
    }
    float a = fabsf(x);
    float v = 0.0f;
    if (!isinf(a)) {
        v = a < 8.0f ? kc_besf_j1_small(a) : kc_besf_far(a, 1, false);
    }
    return signbit(x) ? -v : v;
}

// y0 and y1 where x leaves them nothing to compute (done): NaN for NaN and for x < 0,
// -Inf at 0, 0 at +Inf (v).
__device__ void kc_besf_y_special(float x, bool &done, float &v) {
    done = true;
    if (isnan(x) || x < 0.0f) {
        v = isnan(x) ? x : NAN;
    } else if (x == 0.0f) {
        v = -INFINITY;
    } else if (isinf(x)) {
        v = 0.0f;
    } else {
        done = false;
    }
}

__device__ float kc_y0(float x) {
    bool done = false;
    float v = 0.0f;
    kc_besf_y_special(x, done, v);
    if (done) {
        return v;
    }
    if (x < 8.0f) {
        return 0.63661977f * logf(x) * kc_besf_j0_small(x) + kc_besf_r0_small(x);
    }
    return kc_besf_far(x, 0, true);
}

__device__ float kc_y1(float x) {
    bool done = false;
    float v = 0.0f;
    kc_besf_y_special(x, done, v);
    if (done) {
        return v;
    }
    if (x < 8.0f) {
        float r = kc_besf_r1_small(x);
        return 0.63661977f * (logf(x) * kc_besf_j1_small(x)) + (r - 0.63661977f / x);
    }
    return kc_besf_far(x, 1, true);
}

__device__ float kc_jn(float nf, float x) {
    int n = (int)nf;
    bool neg = false;
    if (n < 0) {
        n = -n;
        neg = (n & 1) != 0;
    }
    if (n == 0) {
        return kc_j0(x);
    }
    if (isnan(x)) {
        return x;
    }
    float a = fabsf(x);
    if (signbit(x) && (n & 1) != 0) {
        neg = !neg;
    }
    float v = 0.0f;
    if (n == 1) {
        v = kc_j1(a);
    } else if (isinf(a) || a == 0.0f) {
        v = 0.0f;
    } else if (a < 1e-4f) {  // (a/2)^n / n! (1 - (a/2)^2 / (n + 1)), underflowing early
        float h = 0.5f * a;
        v = 1.0f - h * h / (float)(n + 1);
        for (int j = 1; j <= n; j++) {
            v = v * (h / (float)j);
            if (v == 0.0f) {
                break;
            }
        }
    } else if ((float)n < a) {
        float b0 = kc_j0(a);
        float b1 = kc_j1(a);
        for (int j = 1; j < n; j++) {
            float b2 = (float)(2 * j) / a * b1 - b0;
            b0 = b1;
            b1 = b2;
        }
        v = b1;
    } else {
        int m = 2 * ((n + (int)sqrtf(40.0f * (float)n)) / 2);
        float bjp = 0.0f;
        float bj = 1.0f;
        float sum = 0.0f;
        float ans = 0.0f;
        bool even = false;
        for (int j = m; j > 0; j--) {
            float bjm = (float)(2 * j) / a * bj - bjp;
            bjp = bj;
            bj = bjm;
            if (fabsf(bj) > 1e10f) {
                bj = bj * 1e-10f;
                bjp = bjp * 1e-10f;
                ans = ans * 1e-10f;
                sum = sum * 1e-10f;
            }
            if (even) {
                sum = sum + bj;
            }
            even = !even;
            if (j == n) {
                ans = bjp;
            }
        }
        v = ans / (2.0f * sum - bj);
    }
    return neg ? -v : v;
}

__device__ float kc_yn(float nf, float x) {
    int n = (int)nf;
    bool neg = false;
    if (n < 0) {
        n = -n;
        neg = (n & 1) != 0;
    }
    float v = 0.0f;
    if (n == 0) {
        v = kc_y0(x);
    } else if (n == 1 || isnan(x) || x <= 0.0f || isinf(x)) {
        v = kc_y1(x);  // NaN below 0, -Inf at 0, 0 at Inf, as for every n
    } else {
        float b0 = kc_y0(x);
        float b1 = kc_y1(x);
        for (int j = 1; j < n; j++) {
            if (isinf(b1)) {
                break;
            }
            float b2 = (float)(2 * j) / x * b1 - b0;
            b0 = b1;
            b1 = b2;
        }
        v = b1;
    }
    return neg ? -v : v;
}

__device__ float kc_cyl_bessel_i0(float x) {
    float a = fabsf(x);
    if (!(a >= 8.0f)) {  // NaN too
        return kc_besf_poly(a * a, 119, 12);
    }
    if (isinf(a)) {
        return a;
    }
    float e = expf(0.5f * a);
    return kc_besf_poly(8.0f / a, 160, 7) / sqrtf(a) * e * e;
}

__device__ float kc_cyl_bessel_i1(float x) {
    float a = fabsf(x);
    float v = a;
    if (!(a >= 8.0f)) {
        v = a * kc_besf_poly(a * a, 131, 11);
    } else if (!isinf(a)) {
        float e = expf(0.5f * a);
        v = kc_besf_poly(8.0f / a, 167, 7) / sqrtf(a) * e * e;
    }
    return signbit(x) ? -v : v;
}
