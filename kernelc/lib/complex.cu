// Complex arithmetic over a component type F (float for complex64, double for
// complex128), in NumPy's formulas: written once here for kernel text (`complex<T>`,
// kernelc/ir/lower_complex.py instantiates these templates) and for the runtime's complex
// ufuncs (wgpy_runtime/_complex_table.py joins this file to its kernels' preamble).
// A routine takes the operands' parts and returns its result through `rr`, `ri`.

template <typename F>
__device__ void cx_mul(F ar, F ai, F br, F bi, F &rr, F &ri) {
  F re = ar * br - ai * bi;
  ri = ar * bi + ai * br;
  rr = re;
}

// Smith's algorithm, as NumPy divides (a zero divisor divides by |br| and |bi|, both 0).
template <typename F>
__device__ void cx_div(F ar, F ai, F br, F bi, F &rr, F &ri) {
  F abr = fabs(br);
  F abi = fabs(bi);
  F re;
  F im;
  if (abr >= abi) {
    if (abr == 0 && abi == 0) {
      re = ar / abr;
      im = ai / abi;
    } else {
      F rat = bi / br;
      F scl = (F)1 / (br + bi * rat);
      re = (ar + ai * rat) * scl;
      im = (ai - ar * rat) * scl;
    }
  } else {
    F rat = br / bi;
    F scl = (F)1 / (bi + br * rat);
    re = (ar * rat + ai) * scl;
    im = (ai * rat - ar) * scl;
  }
  rr = re;
  ri = im;
}

// NumPy's hypot of the parts: the larger times sqrt(1 + (smaller / larger)^2).
template <typename F>
__device__ F cx_abs(F re, F im) {
  F x = fabs(re);
  F y = fabs(im);
  F r;
  if (isinf(x) || isinf(y)) {
    r = (F)INFINITY;
  } else if (isnan(x) || isnan(y)) {
    r = x + y;
  } else {
    F big = x > y ? x : y;
    F small = x > y ? y : x;
    if (big == 0) {
      r = big;
    } else {
      F q = small / big;
      r = big * sqrt((F)1 + q * q);
    }
  }
  return r;
}

template <typename F>
__device__ void cx_exp(F re, F im, F &rr, F &ri) {
  if (im == 0) {
    rr = exp(re);
    ri = im;
  } else {
    F e = exp(re);
    rr = e * cos(im);
    ri = e * sin(im);
  }
}

template <typename F>
__device__ void cx_log(F re, F im, F &rr, F &ri) {
  F r = log(cx_abs(re, im));
  ri = atan2(im, re);
  rr = r;
}

// The principal root through t = sqrt((|x| + |z|) / 2); parts past 1e37 are scaled by
// 1/4 (exactly) so that |x| + |z| cannot overflow.
template <typename F>
__device__ void cx_sqrt(F re, F im, F &rr, F &ri) {
  if (re == 0 && im == 0) {
    rr = 0;
    ri = im;
  } else if (isinf(im)) {
    rr = (F)INFINITY;
    ri = im;
  } else if (isinf(re) && !isnan(im)) {
    if (re > 0) {
      rr = re;
      ri = copysign((F)0, im);
    } else {
      rr = 0;
      ri = copysign((F)INFINITY, im);
    }
  } else {
    F x = re;
    F y = im;
    F s = 1;
    if (fabs(x) > (F)1e37 || fabs(y) > (F)1e37) {
      x = x * (F)0.25;
      y = y * (F)0.25;
      s = 2;
    }
    F t = sqrt((fabs(x) + cx_abs(x, y)) * (F)0.5);
    if (x >= 0) {
      rr = s * t;
      ri = s * (y / (2 * t));
    } else {
      rr = s * (fabs(y) / (2 * t));
      ri = s * copysign(t, y);
    }
  }
}

// NumPy's power: 1 for a zero exponent, 0 or NaN for a zero base, integer exponents
// below 100 by repeated squaring (then 1 / result for negative ones), else `g`, the
// caller's exp(b * log(a)) (the runtime computes it in launches of its own: one program
// holding all of them takes minutes to compile for complex128's emulation).
template <typename F>
__device__ void cx_pow(F ar, F ai, F br, F bi, F gr, F gi, F &rr, F &ri) {
  if (br == 0 && bi == 0) {
    rr = 1;
    ri = 0;
  } else if (ar == 0 && ai == 0) {
    rr = br > 0 ? (F)0 : (F)NAN;
    ri = br > 0 ? (F)0 : (F)NAN;
  } else if (bi == 0 && br == trunc(br) && fabs(br) < 100) {
    int n = (int)fabs(br);
    F qr = 1;
    F qi = 0;
    if (n == 1) {
      qr = ar;
      qi = ai;
    } else if (n == 2) {
      cx_mul(ar, ai, ar, ai, qr, qi);
    } else if (n == 3) {
      F sr;
      F si;
      cx_mul(ar, ai, ar, ai, sr, si);
      cx_mul(ar, ai, sr, si, qr, qi);
    } else {
      F pr = ar;
      F pi = ai;
      int mask = 1;
      for (int k = 0; k < 8; k++) {
        if ((n & mask) != 0) {
          cx_mul(qr, qi, pr, pi, qr, qi);
        }
        mask = mask << 1;
        if (n < mask) {
          break;
        }
        cx_mul(pr, pi, pr, pi, pr, pi);
      }
    }
    if (br < 0) {
      cx_div((F)1, (F)0, qr, qi, qr, qi);
    }
    rr = qr;
    ri = qi;
  } else {
    rr = gr;
    ri = gi;
  }
}

// pow(a, b) of kernel text: NumPy's power with g = exp(b * log(a)) computed here.
template <typename F>
__device__ void cx_pow_general(F ar, F ai, F br, F bi, F &rr, F &ri) {
  F lr;
  F li;
  cx_log(ar, ai, lr, li);
  F mr;
  F mi;
  cx_mul(lr, li, br, bi, mr, mi);
  F gr;
  F gi;
  cx_exp(mr, mi, gr, gi);
  cx_pow(ar, ai, br, bi, gr, gi, rr, ri);
}

// sinh, cosh and tanh of x + iy; sin, cos and tan through them (sin z = -i sinh(iz)).
template <typename F>
__device__ void cx_sinh(F re, F im, F &rr, F &ri) {
  F r = sinh(re) * cos(im);
  ri = cosh(re) * sin(im);
  rr = r;
}

template <typename F>
__device__ void cx_cosh(F re, F im, F &rr, F &ri) {
  F r = cosh(re) * cos(im);
  ri = sinh(re) * sin(im);
  rr = r;
}

// Kahan's formula (as C99 libraries compute ctanh): no overflow for large |x|.
template <typename F>
__device__ void cx_tanh(F re, F im, F &rr, F &ri) {
  if (fabs(re) > (F)22) {
    F e = exp(-2 * fabs(re));
    rr = copysign((F)1, re);
    ri = 4 * sin(im) * cos(im) * e;
  } else {
    F t = tan(im);
    F b = 1 + t * t;
    F s = sinh(re);
    F rho = sqrt(1 + s * s);
    F d = 1 + b * s * s;
    rr = b * rho * s / d;
    ri = t / d;
  }
}
