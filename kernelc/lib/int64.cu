// kernelc's 64-bit integers on pairs of 32-bit words: the targets have no 64-bit types, so
// an int64/uint64 value is two uint32 words, high (h) and low (l), two's complement. Results
// come back through the reference parameters rh, rl. GLSL ES 3.00 has no umulExtended and
// WGSL no mul-high, so 32 x 32 -> 64-bit products are built from 16-bit halves (bits.cu).

__device__ void kc_u64_add(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    unsigned int l = al + bl;
    rh = ah + bh + (l < al ? 1u : 0u);
    rl = l;
}

__device__ void kc_u64_sub(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    rh = ah - bh - (al < bl ? 1u : 0u);
    rl = al - bl;
}

__device__ void kc_u64_neg(unsigned int ah, unsigned int al, unsigned int &rh, unsigned int &rl) {
    rh = 0u - ah - (al != 0u ? 1u : 0u);
    rl = 0u - al;
}

// The low 64 bits of the product (the same bits for int64 and uint64, as in C).
__device__ void kc_u64_mul(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl,
                           unsigned int &rh, unsigned int &rl) {
    unsigned int h = 0u;
    unsigned int l = 0u;
    kc_u32_mul_wide(al, bl, h, l);
    rh = h + al * bh + ah * bl;
    rl = l;
}

// Shifts by n & 63 (a count of 64 or more is undefined in C; this is what x86 gives),
// without branches: a word step for a count of 32 or more, then a shift below 32 (one by
// 32 is undefined on the targets, so the bits that cross words take two, `<< 1 << (31 - j)`).
__device__ void kc_u64_shl(unsigned int ah, unsigned int al, int n, unsigned int &rh,
                           unsigned int &rl) {
    int k = n & 63;
    bool word = k >= 32;
    unsigned int h = word ? al : ah;
    unsigned int l = word ? 0u : al;
    int j = k & 31;
    rh = (h << j) | (l >> 1 >> (31 - j));
    rl = l << j;
}

// Logical (uint64) or, with `arith`, arithmetic (int64: the sign fills) right shift.
__device__ void kc_u64_shr(unsigned int ah, unsigned int al, int n, bool arith,
                           unsigned int &rh, unsigned int &rl) {
    int k = n & 63;
    unsigned int fill = arith ? (unsigned int)((int)ah >> 31) : 0u;
    bool word = k >= 32;
    unsigned int h = word ? fill : ah;
    unsigned int l = word ? ah : al;
    int j = k & 31;
    rh = word ? fill : (arith ? (unsigned int)((int)ah >> j) : ah >> j);
    rl = (l >> j) | (h << 1 << (31 - j));
}

// C's unsigned division and remainder, by restoring division (64 steps); by zero they
// give what the IR gives for 32 bits: all ones and the dividend.
__device__ void kc_u64_divmod(unsigned int ah, unsigned int al, unsigned int bh,
                              unsigned int bl, unsigned int &qh, unsigned int &ql,
                              unsigned int &rh, unsigned int &rl) {
    if (bh == 0u && bl == 0u) {
        qh = 0xffffffffu;
        ql = 0xffffffffu;
        rh = ah;
        rl = al;
        return;
    }
    unsigned int nh = ah;
    unsigned int nl = al;
    qh = 0u;
    ql = 0u;
    rh = 0u;
    rl = 0u;
    for (int k = 0; k < 64; k++) {
        bool carry = (rh >> 31) != 0u;  // the shifted remainder passes 2^64: it exceeds b
        kc_u64_shl(rh, rl, 1, rh, rl);
        rl = rl | (nh >> 31);
        kc_u64_shl(nh, nl, 1, nh, nl);
        kc_u64_shl(qh, ql, 1, qh, ql);
        if (carry || !(rh < bh || (rh == bh && rl < bl))) {
            kc_u64_sub(rh, rl, bh, bl, rh, rl);
            ql = ql | 1u;
        }
    }
}

// C's signed division (truncating) and remainder (the dividend's sign), on magnitudes;
// INT64_MIN / -1 wraps to INT64_MIN, as two's complement does.
__device__ void kc_i64_divmod(unsigned int ah, unsigned int al, unsigned int bh,
                              unsigned int bl, unsigned int &qh, unsigned int &ql,
                              unsigned int &rh, unsigned int &rl) {
    if (bh == 0u && bl == 0u) {
        kc_u64_divmod(ah, al, bh, bl, qh, ql, rh, rl);
        return;
    }
    bool na = (ah >> 31) != 0u;
    bool nb = (bh >> 31) != 0u;
    unsigned int xh = ah;
    unsigned int xl = al;
    unsigned int yh = bh;
    unsigned int yl = bl;
    if (na) {
        kc_u64_neg(ah, al, xh, xl);
    }
    if (nb) {
        kc_u64_neg(bh, bl, yh, yl);
    }
    kc_u64_divmod(xh, xl, yh, yl, qh, ql, rh, rl);
    if (na != nb) {
        kc_u64_neg(qh, ql, qh, ql);
    }
    if (na) {
        kc_u64_neg(rh, rl, rh, rl);
    }
}

__device__ bool kc_u64_lt(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    return ah < bh || (ah == bh && al < bl);
}

__device__ bool kc_i64_lt(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    return (int)ah < (int)bh || (ah == bh && al < bl);
}

__device__ bool kc_u64_eq(unsigned int ah, unsigned int al, unsigned int bh, unsigned int bl) {
    return ah == bh && al == bl;
}
