// kernelc's float64 on pairs of 32-bit words (int64.cu's layout: high word h with the sign,
// the 11 exponent bits and the top 20 significand bits; low word l), IEEE 754 binary64 with
// round-to-nearest-even, subnormals, signed zeros, Inf and NaN: bit for bit NumPy's and
// CUDA's double (NaN payloads aside). Results come back through rh, rl.
//
// Working form: a significand of up to 64 bits (sh, sl) whose leading bit, for a normal
// result, is bit 62: bits 62..10 are the 53 bits kept, bits 9..0 guard bits, and a
// "sticky" bit 0 that is 1 when anything nonzero was shifted out below it.

__device__ int kc_clz64(unsigned int h, unsigned int l) {
    bool high = h != 0u;
    return kc_clz(high ? h : l) + (high ? 0 : 32);
}

// (h, l) >> n for any n >= 0, with the bits shifted out ORed into bit 0; without branches,
// as kc_u64_shr.
__device__ void kc_u64_shr_sticky(unsigned int h, unsigned int l, int n, unsigned int &rh,
                                  unsigned int &rl) {
    int k = n > 63 ? 63 : n;  // past 63 only the sticky bit is left, as at 63
    bool word = k >= 32;
    unsigned int wh = word ? 0u : h;
    unsigned int wl = word ? h : l;
    int j = k & 31;
    unsigned int lost = (word ? l : 0u) | (wl << 1 << (31 - j));
    rh = wh >> j;
    rl = (wl >> j) | (wh << 1 << (31 - j)) | (lost != 0u ? 1u : 0u);
}

__device__ bool kc_f64_isnan(unsigned int h, unsigned int l) {
    unsigned int a = h & 0x7fffffffu;
    return a > 0x7ff00000u || (a == 0x7ff00000u && l != 0u);
}

__device__ bool kc_f64_isinf(unsigned int h, unsigned int l) {
    return (h & 0x7fffffffu) == 0x7ff00000u && l == 0u;
}

__device__ bool kc_f64_iszero(unsigned int h, unsigned int l) {
    return (h & 0x7fffffffu) == 0u && l == 0u;
}

// A NaN operand, made quiet (the first one, as x86 and CUDA propagate).
__device__ void kc_f64_nan2(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                            unsigned int &rh, unsigned int &rl) {
    if (kc_f64_isnan(ah, al)) {
        rh = ah | 0x00080000u;
        rl = al;
    } else {
        rh = bh | 0x00080000u;
        rl = bl;
    }
}

// The significand (53 bits, the implicit one at bit 52 for a normal number) and the
// exponent (1 for a subnormal, which has no implicit one).
__device__ void kc_f64_unpack(unsigned int h, unsigned int l, int &e, unsigned int &sh,
                              unsigned int &sl) {
    int field = (int)((h >> 20) & 0x7ffu);
    sh = h & 0xfffffu;
    sl = l;
    if (field == 0) {
        e = 1;
    } else {
        e = field;
        sh = sh | 0x100000u;
    }
}

// The significand of a nonzero finite number with its leading one at bit 52, and its
// exponent (below 1 for a subnormal).
__device__ void kc_f64_unpack_normal(unsigned int h, unsigned int l, int &e, unsigned int &sh,
                                     unsigned int &sl) {
    kc_f64_unpack(h, l, e, sh, sl);
    int shift = kc_clz64(sh, sl) - 11;
    if (shift > 0) {
        kc_u64_shl(sh, sl, shift, sh, sl);
        e = e - shift;
    }
}

// Round the working form (sign s, exponent e, which may be below 1) to nearest even and
// encode it; an exponent past the largest gives Inf.
__device__ void kc_f64_round_pack(unsigned int s, int e, unsigned int sh, unsigned int sl,
                                  unsigned int &rh, unsigned int &rl) {
    unsigned int h = sh;
    unsigned int l = sl;
    int ex = e;
    if (ex < 1) {
        kc_u64_shr_sticky(h, l, 1 - ex, h, l);
        ex = 1;
    }
    unsigned int guard = l & 0x3ffu;
    kc_u64_shr(h, l, 10, false, h, l);
    if (guard > 0x200u || (guard == 0x200u && (l & 1u) != 0u)) {
        kc_u64_add(h, l, 0u, 1u, h, l);
        if (h >= 0x200000u) {
            kc_u64_shr(h, l, 1, false, h, l);
            ex = ex + 1;
        }
    }
    if (ex >= 0x7ff) {
        rh = (s << 31) | 0x7ff00000u;
        rl = 0u;
    } else {
        unsigned int field = h >= 0x100000u ? (unsigned int)ex : 0u;
        rh = (s << 31) | (field << 20) | (h & 0xfffffu);
        rl = l;
    }
}

// kc_f64_round_pack for a working form whose leading one is at bit 62 with 1 <= e <= 0x7fe,
// or below it with e = 1 (a subnormal): the significand is added to the sign and exponent
// bits, so that its implicit one, and rounding up out of it, carry into the exponent (from
// 0x7fe on to Inf, as IEEE 754 wants).
__device__ void kc_f64_round_pack_normal(unsigned int s, int e, unsigned int zh,
                                         unsigned int zl, unsigned int &rh,
                                         unsigned int &rl) {
    unsigned int mh = zh >> 10;
    unsigned int ml = (zl >> 10) | (zh << 22);
    unsigned int guard = zl & 0x3ffu;
    unsigned int up = guard + (ml & 1u) > 0x200u ? 1u : 0u;  // past half, or half and odd
    rl = ml + up;
    rh = ((s << 31) | ((unsigned int)(e - 1) << 20)) + mh + (rl < up ? 1u : 0u);
}

// The aligned significands added (y negated for a subtraction), normalised and rounded
// without branches; only NaN, Inf, overflow and a zero sum take one. A subnormal operand
// has exponent 1 and no implicit one, and a result that would fall below exponent 1 stays
// there unnormalised: a subnormal sum is exact.
__device__ void kc_f64_add(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    bool swap = kc_u64_lt(ah & 0x7fffffffu, al, bh & 0x7fffffffu, bl);
    unsigned int xh = swap ? bh : ah;  // x: the operand of larger magnitude
    unsigned int xl = swap ? bl : al;
    unsigned int yh = swap ? ah : bh;
    unsigned int yl = swap ? al : bl;
    int fx = (int)((xh >> 20) & 0x7ffu);
    int fy = (int)((yh >> 20) & 0x7ffu);
    int ex = fx != 0 ? fx : 1;
    int ey = fy != 0 ? fy : 1;
    // the working form: the leading one at bit 62 (lower for a subnormal)
    unsigned int zh = (((xh & 0xfffffu) | (fx != 0 ? 0x100000u : 0u)) << 10) | (xl >> 22);
    unsigned int zl = xl << 10;
    unsigned int wh = (((yh & 0xfffffu) | (fy != 0 ? 0x100000u : 0u)) << 10) | (yl >> 22);
    unsigned int wl = yl << 10;
    kc_u64_shr_sticky(wh, wl, ex - ey, wh, wl);
    unsigned int nh = 0u;
    unsigned int nl = 0u;
    kc_u64_neg(wh, wl, nh, nl);
    bool subtract = ((ah ^ bh) >> 31) != 0u;
    kc_u64_add(zh, zl, subtract ? nh : wh, subtract ? nl : wl, zh, zl);  // x - y >= 0
    // the leading one to bit 63 (no bit is lost) unless that takes the exponent below 1,
    // then one step back with the sticky bit
    int lz = kc_clz64(zh, zl);
    int k = lz < ex ? lz : ex;
    kc_u64_shl(zh, zl, k, zh, zl);
    zl = (zl >> 1) | (zh << 31) | (zl & 1u);
    zh = zh >> 1;
    int e = ex + 1 - k;
    kc_f64_round_pack_normal(xh >> 31, e, zh, zl, rh, rl);
    if (fx == 0x7ff || e > 0x7fe || (zh | zl) == 0u) {
        bool nan_a = kc_f64_isnan(ah, al);
        bool nan_b = kc_f64_isnan(bh, bl);
        if (nan_a || nan_b) {
            kc_f64_nan2(ah, al, bh, bl, rh, rl);
        } else if (fx == 0x7ff) {
            // x is Inf: Inf - Inf is the default NaN, anything else gives x
            rh = fy == 0x7ff && subtract ? 0xfff80000u : xh;
            rl = xl;
        } else if (e > 0x7fe) {
            rh = (xh & 0x80000000u) | 0x7ff00000u;
            rl = 0u;
        } else {
            rh = ah & bh & 0x80000000u;  // x - x is +0; -0 + -0 is -0
            rl = 0u;
        }
    }
}

__device__ void kc_f64_sub(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    bool nan_b = kc_f64_isnan(bh, bl);  // a NaN b unchanged: kc_f64_add passes it on quiet
    kc_f64_add(ah, al, nan_b ? bh : bh ^ 0x80000000u, bl, rh, rl);
}

// a * b for 53-bit significands: the 106-bit product as four words w3..w0.
__device__ void kc_u53_mul(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &w3, unsigned int &w2, unsigned int &w1,
                           unsigned int &w0) {
    unsigned int p1 = 0u;
    unsigned int p0 = 0u;
    kc_u32_mul_wide(al, bl, p1, p0);
    unsigned int q1 = 0u;
    unsigned int q0 = 0u;
    kc_u32_mul_wide(ah, bl, q1, q0);
    unsigned int r1 = 0u;
    unsigned int r0 = 0u;
    kc_u32_mul_wide(al, bh, r1, r0);
    unsigned int s1 = 0u;
    unsigned int s0 = 0u;
    kc_u32_mul_wide(ah, bh, s1, s0);
    // column 1: p1 + q0 + r0, carries into column 2
    unsigned int c1 = p1 + q0;
    unsigned int carry = c1 < p1 ? 1u : 0u;
    unsigned int c1b = c1 + r0;
    carry = carry + (c1b < c1 ? 1u : 0u);
    // column 2: q1 + r1 + s0 + carry (q1, r1 < 2^21 and s0 < 2^32: one carry at most)
    unsigned int c2 = q1 + r1 + carry;
    unsigned int c2b = c2 + s0;
    w3 = s1 + (c2b < c2 ? 1u : 0u);
    w2 = c2b;
    w1 = c1b;
    w0 = p0;
}

// The top 64 bits of the product of two 53-bit significands (a, b: their leading ones at
// bit 52) as zh, zl, the leading one at bit 63 or 62, with the sticky bit of the lower bits
// ORed into bit 0. In 14-bit limbs a partial product, and a column's sum of four, fit 32
// bits: the columns need no carry tests, only one carry pass.
__device__ void kc_u53_mul_top(unsigned int ah, unsigned int al, unsigned int bh,
                               unsigned int bl, unsigned int &zh, unsigned int &zl) {
    unsigned int a0 = al & 0x3fffu;
    unsigned int a1 = (al >> 14) & 0x3fffu;
    unsigned int a2 = (al >> 28) | ((ah << 4) & 0x3fffu);
    unsigned int a3 = ah >> 10;
    unsigned int b0 = bl & 0x3fffu;
    unsigned int b1 = (bl >> 14) & 0x3fffu;
    unsigned int b2 = (bl >> 28) | ((bh << 4) & 0x3fffu);
    unsigned int b3 = bh >> 10;
    unsigned int t0 = a0 * b0;
    unsigned int t1 = a0 * b1 + a1 * b0 + (t0 >> 14);
    unsigned int t2 = a0 * b2 + a1 * b1 + a2 * b0 + (t1 >> 14);
    unsigned int t3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + (t2 >> 14);
    unsigned int t4 = a1 * b3 + a2 * b2 + a3 * b1 + (t3 >> 14);
    unsigned int t5 = a2 * b3 + a3 * b2 + (t4 >> 14);
    unsigned int t6 = a3 * b3 + (t5 >> 14);  // bits 84..105
    unsigned int sticky = ((t0 | t1 | t2) & 0x3fffu) != 0u ? 1u : 0u;  // bits 0..41
    zh = (t6 << 10) | ((t5 & 0x3fffu) >> 4);
    zl = (t5 << 28) | ((t4 & 0x3fffu) << 14) | (t3 & 0x3fffu) | sticky;
}

// The significands' product (kc_u53_mul_top) rounded without branches; NaN, Inf, zero,
// overflow, a subnormal operand (normalised first) and a subnormal result take one.
__device__ void kc_f64_mul(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    unsigned int s = (ah ^ bh) >> 31;
    // x: the operand of smaller exponent, the only one that may need normalising (the
    // product of two subnormals is far below the smallest subnormal: y's implicit one is
    // then wrong, and harmless)
    bool swap = (ah & 0x7ff00000u) > (bh & 0x7ff00000u);
    unsigned int xh = swap ? bh : ah;
    unsigned int xl = swap ? bl : al;
    unsigned int yh = swap ? ah : bh;
    unsigned int yl = swap ? al : bl;
    int fx = (int)((xh >> 20) & 0x7ffu);
    int fy = (int)((yh >> 20) & 0x7ffu);
    unsigned int mh = (xh & 0xfffffu) | 0x100000u;
    unsigned int ml = xl;
    int e = fx + fy - 1023;  // the product's exponent for a significand product below 2
    if (fx == 0) {
        int lz = kc_clz64(xh & 0xfffffu, xl) - 11;  // the leading one to bit 52 (0: none)
        kc_u64_shl(xh & 0xfffffu, xl, lz, mh, ml);
        e = 1 - lz + fy - 1023;
    }
    unsigned int zh = 0u;
    unsigned int zl = 0u;
    kc_u53_mul_top(mh, ml, (yh & 0xfffffu) | 0x100000u, yl, zh, zl);
    unsigned int n = zh >> 31;  // 1: the product is 2 or more, the exponent one more
    zl = n != 0u ? (zl >> 1) | (zh << 31) | (zl & 1u) : zl;
    zh = zh >> n;
    e = e + (int)n;
    if (e < 1) {
        kc_u64_shr_sticky(zh, zl, 1 - e, zh, zl);  // a subnormal result, or 0
        e = 1;
    }
    // Inf for a result past the largest or an Inf operand, a signed zero for a zero operand
    bool zero = (zh | zl) == 0u;
    bool inf = e > 0x7fe || (fy == 0x7ff && !zero);
    kc_f64_round_pack_normal(s, inf ? 0x800 : (zero ? 1 : e), inf ? 0u : zh, inf ? 0u : zl, rh,
                             rl);
    if (fy == 0x7ff) {
        // a NaN operand, quiet, or Inf * 0: the default NaN
        bool nan_a = kc_f64_isnan(ah, al);
        bool nan_b = kc_f64_isnan(bh, bl);
        rh = nan_a ? ah | 0x00080000u : (nan_b ? bh | 0x00080000u : (zero ? 0xfff80000u : rh));
        rl = nan_a ? al : (nan_b ? bl : rl);
    }
}

__device__ void kc_f64_div(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    if (kc_f64_isnan(ah, al) || kc_f64_isnan(bh, bl)) {
        kc_f64_nan2(ah, al, bh, bl, rh, rl);
        return;
    }
    unsigned int s = (ah ^ bh) >> 31;
    bool a_inf = kc_f64_isinf(ah, al);
    bool b_inf = kc_f64_isinf(bh, bl);
    bool a_zero = kc_f64_iszero(ah, al);
    bool b_zero = kc_f64_iszero(bh, bl);
    if ((a_inf && b_inf) || (a_zero && b_zero)) {
        rh = 0xfff80000u;  // Inf / Inf and 0 / 0: the default NaN
        rl = 0u;
        return;
    }
    if (a_inf || b_zero) {
        rh = (s << 31) | 0x7ff00000u;
        rl = 0u;
        return;
    }
    if (a_zero || b_inf) {
        rh = s << 31;
        rl = 0u;
        return;
    }
    int ea = 0;
    unsigned int ash = 0u;
    unsigned int asl = 0u;
    kc_f64_unpack_normal(ah, al, ea, ash, asl);
    int eb = 0;
    unsigned int bsh = 0u;
    unsigned int bsl = 0u;
    kc_f64_unpack_normal(bh, bl, eb, bsh, bsl);
    int e = ea - eb + 1023;
    if (kc_u64_lt(ash, asl, bsh, bsl)) {
        kc_u64_shl(ash, asl, 1, ash, asl);  // the quotient's leading bit is then 1
        e = e - 1;
    }
    // restoring division: 63 quotient bits, bit 62 first; the remainder stays below 2^55
    unsigned int qh = 0u;
    unsigned int ql = 0u;
    unsigned int remh = ash;
    unsigned int reml = asl;
    for (int k = 0; k < 63; k++) {
        kc_u64_shl(qh, ql, 1, qh, ql);
        if (!kc_u64_lt(remh, reml, bsh, bsl)) {
            kc_u64_sub(remh, reml, bsh, bsl, remh, reml);
            ql = ql | 1u;
        }
        kc_u64_shl(remh, reml, 1, remh, reml);
    }
    ql = ql | ((remh | reml) != 0u ? 1u : 0u);
    kc_f64_round_pack(s, e, qh, ql, rh, rl);
}

// sqrt: 55 root bits by the digit-by-digit method (two radicand bits a step), then the
// remainder as sticky bit. That is enough to round correctly: a square root is never
// exactly halfway between two doubles. The remainder stays below 2^57.
__device__ void kc_f64_sqrt(unsigned int ah, unsigned int al, unsigned int &rh,
                            unsigned int &rl) {
    if (kc_f64_isnan(ah, al)) {
        kc_f64_nan2(ah, al, ah, al, rh, rl);
        return;
    }
    if (kc_f64_iszero(ah, al) || (ah == 0x7ff00000u && al == 0u)) {
        rh = ah;  // +-0 and +Inf are their own roots
        rl = al;
        return;
    }
    if ((ah >> 31) != 0u) {
        rh = 0xfff80000u;  // the root of a negative number: the default NaN
        rl = 0u;
        return;
    }
    int e = 0;
    unsigned int sh = 0u;
    unsigned int sl = 0u;
    kc_f64_unpack_normal(ah, al, e, sh, sl);
    int ue = e - 1023;
    if ((ue & 1) != 0) {
        kc_u64_shl(sh, sl, 1, sh, sl);  // an even exponent; sh:sl in [2^52, 2^54)
        ue = ue - 1;
    }
    unsigned int roh = 0u;
    unsigned int rol = 0u;
    unsigned int remh = 0u;
    unsigned int reml = 0u;
    for (int j = 0; j < 55; j++) {
        // the next two bits of the radicand sh:sl * 2^56 (all zero after the first 27 pairs)
        int p = 52 - 2 * j;
        unsigned int pair = 0u;
        if (p >= 32) {
            pair = (sh >> (p - 32)) & 3u;
        } else if (p >= 0) {
            pair = (sl >> p) & 3u;
        }
        kc_u64_shl(remh, reml, 2, remh, reml);
        reml = reml | pair;
        unsigned int th = 0u;
        unsigned int tl = 0u;
        kc_u64_shl(roh, rol, 2, th, tl);
        tl = tl | 1u;
        kc_u64_shl(roh, rol, 1, roh, rol);
        if (!kc_u64_lt(remh, reml, th, tl)) {
            kc_u64_sub(remh, reml, th, tl, remh, reml);
            rol = rol | 1u;
        }
    }
    kc_u64_shl(roh, rol, 8, roh, rol);  // the leading bit from 54 to 62
    rol = rol | ((remh | reml) != 0u ? 1u : 0u);
    kc_f64_round_pack(0u, ue / 2 + 1023, roh, rol, rh, rl);
}

// float32 -> float64, exactly (a subnormal float32 is a normal double; a NaN keeps its
// payload's top bits).
__device__ void kc_f32_to_f64(float x, unsigned int &rh, unsigned int &rl) {
    unsigned int b = __float_as_uint(x);
    unsigned int s = b & 0x80000000u;
    int e = (int)((b >> 23) & 0xffu);
    unsigned int m = b & 0x7fffffu;
    if (e == 0xff) {
        rh = s | 0x7ff00000u | (m >> 3);
        rl = m << 29;
        return;
    }
    if (e == 0) {
        if (m == 0u) {
            rh = s;
            rl = 0u;
            return;
        }
        int shift = kc_clz(m) - 8;  // the leading one to bit 23
        m = m << shift;
        e = 1 - shift;
    }
    rh = s | ((unsigned int)(e + 896) << 20) | ((m & 0x7fffffu) >> 3);
    rl = m << 29;
}

// float64 -> float32 rounded to nearest even, as bits: past the largest float Inf, below
// the smallest subnormal (half of it included) a signed zero, a NaN quiet.
__device__ unsigned int kc_f64_to_f32_bits(unsigned int h, unsigned int l) {
    unsigned int s = h & 0x80000000u;
    if (kc_f64_isnan(h, l)) {
        return s | 0x7fc00000u | ((h & 0xfffffu) << 3) | (l >> 29);
    }
    if (kc_f64_isinf(h, l)) {
        return s | 0x7f800000u;
    }
    if (kc_f64_iszero(h, l)) {
        return s;
    }
    int e = 0;
    unsigned int sh = 0u;
    unsigned int sl = 0u;
    kc_f64_unpack_normal(h, l, e, sh, sl);
    int ef = e - 896;  // the float32 exponent field, if the result is normal
    int shift = 29;  // 53 significand bits to 24
    if (ef < 1) {
        shift = 29 + 1 - ef;
        ef = 1;
    }
    // keep two bits below the result: the rounding bit and a sticky one
    unsigned int vh = 0u;
    unsigned int vl = 0u;
    kc_u64_shr_sticky(sh, sl, shift - 2, vh, vl);
    unsigned int kept = (vl >> 2) | (vh << 30);
    bool round_bit = (vl & 2u) != 0u;
    bool sticky = (vl & 1u) != 0u;
    if (round_bit && (sticky || (kept & 1u) != 0u)) {
        kept = kept + 1u;
        if (kept == 0x1000000u) {
            kept = 0x800000u;
            ef = ef + 1;
        }
    }
    if (ef >= 0xff) {
        return s | 0x7f800000u;
    }
    unsigned int field = kept >= 0x800000u ? (unsigned int)ef : 0u;
    return s | (field << 23) | (kept & 0x7fffffu);
}

// uint64 (or, with `signed_`, int64) -> float64, rounded to nearest even.
__device__ void kc_i64_to_f64(unsigned int h, unsigned int l, bool signed_, unsigned int &rh,
                              unsigned int &rl) {
    unsigned int s = signed_ ? h >> 31 : 0u;
    unsigned int mh = h;
    unsigned int ml = l;
    if (s != 0u) {
        kc_u64_neg(h, l, mh, ml);  // INT64_MIN's magnitude 2^63 is right as unsigned
    }
    if (mh == 0u && ml == 0u) {
        rh = 0u;
        rl = 0u;
        return;
    }
    int lz = kc_clz64(mh, ml);
    kc_u64_shl(mh, ml, lz, mh, ml);  // the leading one to bit 63, then to 62 with sticky
    kc_u64_shr_sticky(mh, ml, 1, mh, ml);
    kc_f64_round_pack(s, 1023 + 63 - lz, mh, ml, rh, rl);
}

// float64 -> int64 (or, with `unsigned_`, uint64) as CUDA's cvt.rzi: truncate toward zero,
// saturate at the type's bounds, NaN -> 0.
__device__ void kc_f64_to_i64(unsigned int h, unsigned int l, bool unsigned_, unsigned int &rh,
                              unsigned int &rl) {
    rh = 0u;
    rl = 0u;
    if (kc_f64_isnan(h, l) || kc_f64_iszero(h, l)) {
        return;
    }
    bool negative = (h >> 31) != 0u;
    int e = 0;
    unsigned int sh = 0u;
    unsigned int sl = 0u;
    kc_f64_unpack(h, l, e, sh, sl);
    int ue = e - 1023;
    if (ue < 0) {
        return;  // |x| < 1
    }
    if (unsigned_) {
        if (negative) {
            return;
        }
        if (ue >= 64) {
            rh = 0xffffffffu;
            rl = 0xffffffffu;
            return;
        }
    } else if (ue >= 63) {
        rh = negative ? 0x80000000u : 0x7fffffffu;
        rl = negative ? 0u : 0xffffffffu;
        return;
    }
    if (ue <= 52) {
        kc_u64_shr(sh, sl, 52 - ue, false, rh, rl);
    } else {
        kc_u64_shl(sh, sl, ue - 52, rh, rl);
    }
    if (negative) {
        kc_u64_neg(rh, rl, rh, rl);
    }
}

// trunc: the fraction bits cleared; |x| < 1 gives a zero of x's sign.
__device__ void kc_f64_trunc(unsigned int h, unsigned int l, unsigned int &rh,
                             unsigned int &rl) {
    int ue = (int)((h >> 20) & 0x7ffu) - 1023;
    if (kc_f64_isnan(h, l)) {
        kc_f64_nan2(h, l, h, l, rh, rl);
    } else if (ue < 0) {
        rh = h & 0x80000000u;
        rl = 0u;
    } else if (ue >= 52) {
        rh = h;  // already integral (Inf too)
        rl = l;
    } else {
        unsigned int mh = 0u;
        unsigned int ml = 0u;
        kc_u64_shl(0xffffffffu, 0xffffffffu, 52 - ue, mh, ml);
        rh = h & mh;
        rl = l & ml;
    }
}

// floor and ceil: trunc, then one step away from zero where a fraction was dropped
// (x - trunc(x) and trunc(x) -+ 1 are exact).
__device__ void kc_f64_floor_ceil(unsigned int h, unsigned int l, bool ceil_, unsigned int &rh,
                                  unsigned int &rl) {
    kc_f64_trunc(h, l, rh, rl);
    bool negative = (h >> 31) != 0u;
    if (negative != ceil_ && !kc_f64_isnan(h, l) && !kc_f64_eq(rh, rl, h, l)) {
        kc_f64_add(rh, rl, negative ? 0xbff00000u : 0x3ff00000u, 0u, rh, rl);
    }
}

// rint (ties to even) and, with `away`, C's round (ties away from zero).
__device__ void kc_f64_round_int(unsigned int h, unsigned int l, bool away, unsigned int &rh,
                                 unsigned int &rl) {
    kc_f64_trunc(h, l, rh, rl);
    if (kc_f64_isnan(h, l) || kc_f64_eq(rh, rl, h, l)) {
        return;
    }
    unsigned int fh = 0u;
    unsigned int fl = 0u;
    kc_f64_sub(h, l, rh, rl, fh, fl);
    fh = fh & 0x7fffffffu;  // |x - trunc(x)|, exact
    bool up = kc_f64_lt(0x3fe00000u, 0u, fh, fl);  // more than a half
    if (fh == 0x3fe00000u && fl == 0u) {
        // a tie: away from zero, or to the even neighbour (trunc(x) odd: away)
        int ue = (int)((h >> 20) & 0x7ffu) - 1023;
        bool odd = false;
        if (ue >= 0) {
            int e = 0;
            unsigned int sh = 0u;
            unsigned int sl = 0u;
            kc_f64_unpack(h, l, e, sh, sl);
            kc_u64_shr(sh, sl, 52 - ue, false, sh, sl);
            odd = (sl & 1u) != 0u;
        }
        up = away || odd;
    }
    if (up) {
        kc_f64_add(rh, rl, (h & 0x80000000u) | 0x3ff00000u, 0u, rh, rl);
    }
}

__device__ bool kc_f64_isfinite(unsigned int h, unsigned int l) {
    return (h & 0x7ff00000u) != 0x7ff00000u;
}

// fmin/fmax: a NaN operand yields the other one; of two equal operands (-0 and +0), the
// first (C leaves that choice open).
__device__ void kc_f64_fmin_fmax(unsigned int ah, unsigned int al, unsigned int bh,
                                 unsigned int bl, bool max_, unsigned int &rh,
                                 unsigned int &rl) {
    bool take_b = kc_f64_isnan(ah, al);
    if (!take_b && !kc_f64_isnan(bh, bl)) {
        take_b = max_ ? kc_f64_lt(ah, al, bh, bl) : kc_f64_lt(bh, bl, ah, al);
    }
    rh = take_b ? bh : ah;
    rl = take_b ? bl : al;
}

// IEEE comparisons: false with a NaN operand, -0 == +0. Otherwise the bits order the
// magnitudes, so a < b by sign, then by the words (reversed for negative numbers). Every
// part is computed, then combined without branches.
__device__ bool kc_f64_eq(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    bool nan_a = kc_f64_isnan(ah, al);
    bool nan_b = kc_f64_isnan(bh, bl);
    bool zeros = ((ah | bh) & 0x7fffffffu) == 0u && (al | bl) == 0u;
    return !nan_a && !nan_b && (zeros || (ah == bh && al == bl));
}

// a < b, or with `or_equal` a <= b, as IEEE's ordered comparisons: false with a NaN, and
// -0 equal to +0.
__device__ bool kc_f64_less(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                            bool or_equal) {
    bool nan_a = kc_f64_isnan(ah, al);
    bool nan_b = kc_f64_isnan(bh, bl);
    bool zeros = ((ah | bh) & 0x7fffffffu) == 0u && (al | bl) == 0u;
    bool below = kc_u64_lt(ah, al, bh, bl);
    bool above = kc_u64_lt(bh, bl, ah, al);
    bool neg = (ah >> 31) != 0u;
    bool strictly = ((ah ^ bh) >> 31) != 0u ? neg : (neg ? above : below);
    bool equal = ah == bh && al == bl;
    return !nan_a && !nan_b && (zeros ? or_equal : (strictly || (or_equal && equal)));
}

__device__ bool kc_f64_lt(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    return kc_f64_less(ah, al, bh, bl, false);
}

__device__ bool kc_f64_le(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    return kc_f64_less(ah, al, bh, bl, true);
}

// float64 -> int32 (or, with `unsigned_`, uint32) bits as cvt.rzi: truncate toward zero,
// saturate at the type's bounds, NaN -> 0.
__device__ unsigned int kc_f64_to_i32_bits(unsigned int h, unsigned int l, bool unsigned_) {
    unsigned int rh = 0u;
    unsigned int rl = 0u;
    kc_f64_to_i64(h, l, unsigned_, rh, rl);
    if (unsigned_) {
        return rh != 0u ? 0xffffffffu : rl;
    }
    if (rh == ((rl >> 31) != 0u ? 0xffffffffu : 0u)) {
        return rl;  // the high word only extends the low word's sign: it fits
    }
    return (rh >> 31) != 0u ? 0x80000000u : 0x7fffffffu;
}

// uint64 (or, with `signed_`, int64) -> float32, rounded once to nearest even: the top 32
// bits with a sticky bit for the rest round like the whole (24 < 31), then scale by 2^k.
__device__ float kc_i64_to_f32(unsigned int h, unsigned int l, bool signed_) {
    bool negative = signed_ && (h >> 31) != 0u;
    unsigned int mh = h;
    unsigned int ml = l;
    if (negative) {
        kc_u64_neg(h, l, mh, ml);
    }
    float r = 0.0f;
    if (mh == 0u) {
        r = (float)ml;
    } else {
        int s = kc_clz(mh);
        unsigned int top = s == 0 ? mh : (mh << s) | (ml >> (32 - s));
        unsigned int rest = ml << s;
        unsigned int v = top | (rest != 0u ? 1u : 0u);
        r = (float)v * __uint_as_float((unsigned int)(127 + 32 - s) << 23);
    }
    return negative ? -r : r;
}

// float64 -> float16 rounded once (returned as the float32 holding it, as kc_f16round):
// float64 -> float32 rounded to odd keeps enough bits for float16's rounding to be right.
__device__ float kc_f64_to_f16(unsigned int h, unsigned int l) {
    unsigned int b = kc_f64_to_f32_bits(h, l);
    if (!kc_f64_isnan(h, l) && (b & 1u) == 0u) {
        unsigned int bh = 0u;
        unsigned int bl = 0u;
        kc_f32_to_f64(__uint_as_float(b), bh, bl);
        if (bh != h || bl != l) {
            // inexact: take the odd neighbour, toward x
            bool above = kc_f64_lt(h & 0x7fffffffu, l, bh & 0x7fffffffu, bl);
            b = above ? b - 1u : b + 1u;
        }
    }
    return kc_f16round(__uint_as_float(b));
}

// ldexp / scalbn: x * 2^n, rounded once (a subnormal result rounds, past the range Inf).
__device__ void kc_f64_ldexp(unsigned int h, unsigned int l, int n, unsigned int &rh,
                             unsigned int &rl) {
    if (kc_f64_isnan(h, l)) {
        kc_f64_nan2(h, l, h, l, rh, rl);
        return;
    }
    if (kc_f64_isinf(h, l) || kc_f64_iszero(h, l)) {
        rh = h;
        rl = l;
        return;
    }
    int e = 0;
    unsigned int sh = 0u;
    unsigned int sl = 0u;
    kc_f64_unpack_normal(h, l, e, sh, sl);
    int k = n > 4000 ? 4000 : (n < -4000 ? -4000 : n);  // beyond, every result is 0 or Inf
    kc_u64_shl(sh, sl, 10, sh, sl);  // the working form: the leading one at bit 62
    kc_f64_round_pack(h >> 31, e + k, sh, sl, rh, rl);
}

// fmod: x - trunc(x / y) * y, always exact: long division of the significands, one bit
// of the exponent difference a step. NaN for x infinite or y zero; x when |x| < |y|.
__device__ void kc_f64_fmod(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                            unsigned int &rh, unsigned int &rl) {
    if (kc_f64_isnan(ah, al) || kc_f64_isnan(bh, bl)) {
        kc_f64_nan2(ah, al, bh, bl, rh, rl);
        return;
    }
    if (kc_f64_isinf(ah, al) || kc_f64_iszero(bh, bl)) {
        rh = 0xfff80000u;  // the default NaN
        rl = 0u;
        return;
    }
    if (kc_f64_isinf(bh, bl) || kc_f64_iszero(ah, al) ||
        kc_u64_lt(ah & 0x7fffffffu, al, bh & 0x7fffffffu, bl)) {
        rh = ah;
        rl = al;
        return;
    }
    int ea = 0;
    unsigned int mh = 0u;
    unsigned int ml = 0u;
    kc_f64_unpack_normal(ah, al, ea, mh, ml);
    int eb = 0;
    unsigned int dh = 0u;
    unsigned int dl = 0u;
    kc_f64_unpack_normal(bh, bl, eb, dh, dl);
    for (int d = ea - eb; d > 0; d--) {
        if (!kc_u64_lt(mh, ml, dh, dl)) {
            kc_u64_sub(mh, ml, dh, dl, mh, ml);
        }
        kc_u64_shl(mh, ml, 1, mh, ml);  // below 2^54: no overflow
    }
    if (!kc_u64_lt(mh, ml, dh, dl)) {
        kc_u64_sub(mh, ml, dh, dl, mh, ml);
    }
    unsigned int s = ah >> 31;
    if (mh == 0u && ml == 0u) {
        rh = s << 31;  // a zero of x's sign
        rl = 0u;
        return;
    }
    int shift = kc_clz64(mh, ml) - 11;  // the leading one to bit 52, then to the working form
    kc_u64_shl(mh, ml, shift + 10, mh, ml);
    kc_f64_round_pack(s, eb - shift, mh, ml, rh, rl);  // exact: the rounding drops zeros
}

// frexp's two results: the significand in [0.5, 1) with x's sign, and the exponent; x
// itself and 0 for zero, Inf and NaN.
__device__ void kc_f64_frexp(unsigned int h, unsigned int l, unsigned int &rh, unsigned int &rl) {
    rh = h;
    rl = l;
    if (kc_f64_isfinite(h, l) && !kc_f64_iszero(h, l)) {
        int e = 0;
        unsigned int sh = 0u;
        unsigned int sl = 0u;
        kc_f64_unpack_normal(h, l, e, sh, sl);
        rh = (h & 0x80000000u) | (1022u << 20) | (sh & 0xfffffu);
        rl = sl;
    }
}

__device__ int kc_f64_frexp_exp(unsigned int h, unsigned int l) {
    if (!kc_f64_isfinite(h, l) || kc_f64_iszero(h, l)) {
        return 0;
    }
    int e = 0;
    unsigned int sh = 0u;
    unsigned int sl = 0u;
    kc_f64_unpack_normal(h, l, e, sh, sl);
    return e - 1022;
}

// (w3, w2, w1, w0) >> n for any n >= 0, the bits shifted out ORed into bit 0.
__device__ void kc_u128_shr_sticky(unsigned int &w3, unsigned int &w2, unsigned int &w1,
                                   unsigned int &w0, int n) {
    unsigned int lost = 0u;
    int k = n;
    if (k >= 128) {
        lost = w3 | w2 | w1 | w0;
        w3 = 0u;
        w2 = 0u;
        w1 = 0u;
        w0 = 0u;
        k = 0;
    }
    for (int j = 0; j < 3; j++) {
        if (k >= 32) {
            lost = lost | w0;
            w0 = w1;
            w1 = w2;
            w2 = w3;
            w3 = 0u;
            k = k - 32;
        }
    }
    if (k > 0) {
        lost = lost | (w0 << (32 - k));
        w0 = (w0 >> k) | (w1 << (32 - k));
        w1 = (w1 >> k) | (w2 << (32 - k));
        w2 = (w2 >> k) | (w3 << (32 - k));
        w3 = w3 >> k;
    }
    w0 = w0 | (lost != 0u ? 1u : 0u);
}

// fma: a * b + c rounded once. The 106-bit product and c, both placed with their leading
// bit at 125 or 126 of 128, are aligned (what falls off the smaller one becomes a sticky
// bit, far below the rounding position), added or subtracted exactly, and rounded.
__device__ void kc_f64_fma(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int ch, unsigned int cl, unsigned int &rh,
                           unsigned int &rl) {
    if (kc_f64_isnan(ah, al) || kc_f64_isnan(bh, bl)) {
        kc_f64_nan2(ah, al, bh, bl, rh, rl);
        return;
    }
    if (kc_f64_isnan(ch, cl)) {
        kc_f64_nan2(ch, cl, ch, cl, rh, rl);
        return;
    }
    unsigned int sp = (ah ^ bh) >> 31;
    bool a_inf = kc_f64_isinf(ah, al);
    bool b_inf = kc_f64_isinf(bh, bl);
    bool a_zero = kc_f64_iszero(ah, al);
    bool b_zero = kc_f64_iszero(bh, bl);
    bool c_inf = kc_f64_isinf(ch, cl);
    if ((a_inf && b_zero) || (b_inf && a_zero) ||
        ((a_inf || b_inf) && c_inf && (ch >> 31) != sp)) {
        rh = 0xfff80000u;  // Inf * 0, Inf - Inf: the default NaN
        rl = 0u;
        return;
    }
    if (a_inf || b_inf) {
        rh = (sp << 31) | 0x7ff00000u;
        rl = 0u;
        return;
    }
    if (c_inf) {
        rh = ch;
        rl = cl;
        return;
    }
    if (a_zero || b_zero) {
        kc_f64_add(sp << 31, 0u, ch, cl, rh, rl);  // an exact zero product: IEEE's zero sums
        return;
    }
    if (kc_f64_iszero(ch, cl)) {
        kc_f64_mul(ah, al, bh, bl, rh, rl);
        return;
    }
    int ea = 0;
    unsigned int ash = 0u;
    unsigned int asl = 0u;
    kc_f64_unpack_normal(ah, al, ea, ash, asl);
    int eb = 0;
    unsigned int bsh = 0u;
    unsigned int bsl = 0u;
    kc_f64_unpack_normal(bh, bl, eb, bsh, bsl);
    int ec = 0;
    unsigned int csh = 0u;
    unsigned int csl = 0u;
    kc_f64_unpack_normal(ch, cl, ec, csh, csl);
    unsigned int p3 = 0u;
    unsigned int p2 = 0u;
    unsigned int p1 = 0u;
    unsigned int p0 = 0u;
    kc_u53_mul(ash, asl, bsh, bsl, p3, p2, p1, p0);
    // x = product << 21 (value x 2^ex), y = c's significand << 73 (value y 2^ey)
    unsigned int x3 = (p3 << 21) | (p2 >> 11);
    unsigned int x2 = (p2 << 21) | (p1 >> 11);
    unsigned int x1 = (p1 << 21) | (p0 >> 11);
    unsigned int x0 = p0 << 21;
    int ex = ea + eb - 2171;
    unsigned int y3 = (csh << 9) | (csl >> 23);
    unsigned int y2 = csl << 9;
    unsigned int y1 = 0u;
    unsigned int y0 = 0u;
    int ey = ec - 1148;
    int e = ex;
    if (ex >= ey) {
        kc_u128_shr_sticky(y3, y2, y1, y0, ex - ey);
    } else {
        kc_u128_shr_sticky(x3, x2, x1, x0, ey - ex);
        e = ey;
    }
    unsigned int s = sp;
    if (sp == (ch >> 31)) {
        kc_u64_add(x1, x0, y1, y0, x1, x0);  // carry out of the low half into the high one
        unsigned int carry = (kc_u64_lt(x1, x0, y1, y0)) ? 1u : 0u;
        kc_u64_add(x3, x2, y3, y2, x3, x2);
        kc_u64_add(x3, x2, 0u, carry, x3, x2);
    } else {
        bool y_larger = kc_u64_lt(x3, x2, y3, y2) ||
                        (kc_u64_eq(x3, x2, y3, y2) && kc_u64_lt(x1, x0, y1, y0));
        if (y_larger) {
            unsigned int t3 = x3;
            unsigned int t2 = x2;
            unsigned int t1 = x1;
            unsigned int t0 = x0;
            x3 = y3;
            x2 = y2;
            x1 = y1;
            x0 = y0;
            y3 = t3;
            y2 = t2;
            y1 = t1;
            y0 = t0;
            s = ch >> 31;
        }
        unsigned int borrow = kc_u64_lt(x1, x0, y1, y0) ? 1u : 0u;
        kc_u64_sub(x1, x0, y1, y0, x1, x0);
        kc_u64_sub(x3, x2, y3, y2, x3, x2);
        kc_u64_sub(x3, x2, 0u, borrow, x3, x2);
        if ((x3 | x2 | x1 | x0) == 0u) {
            rh = 0u;  // an exact zero: +0
            rl = 0u;
            return;
        }
    }
    // the leading one to bit 62 of a 64-bit working form
    int lead = 127 - (x3 != 0u ? kc_clz(x3) : 32 + (x2 != 0u ? kc_clz(x2) : 32 + kc_clz64(x1, x0)));
    if (lead >= 62) {
        kc_u128_shr_sticky(x3, x2, x1, x0, lead - 62);
    } else {
        kc_u64_shl(x1, x0, 62 - lead, x1, x0);
    }
    kc_f64_round_pack(s, e + lead + 1023, x1, x0, rh, rl);
}
