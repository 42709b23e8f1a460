// CUDA's 32-bit integer intrinsics __clz, __popc, __ffs, __brev, __mulhi, __umulhi,
// __sad and __usad (kernelc.ir.bits: `kc_<fn>`), from shifts and masks: GLSL ES 3.00 has
// none of them. float64.cu normalises significands with kc_clz.

// __clz: leading zero bits (32 for 0), from the exponent of v converted to float32. The
// bit below v's leading one is cleared first, so that the conversion, however it rounds,
// stays below the next power of two.
__device__ int kc_clz(unsigned int v) {
    unsigned int top = v & ~(v >> 1);
    int e = (int)(__float_as_uint((float)top) >> 23);  // 127 + the leading one's position
    return v == 0u ? 32 : 158 - e;
}

// __popc: the set bits, summed in parallel by 2, 4, 8 and then 32 bits.
__device__ int kc_popc(unsigned int v) {
    unsigned int x = v - ((v >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
}

// __ffs: the position (from 1) of the lowest set bit, 0 for 0.
__device__ int kc_ffs(unsigned int v) {
    return v == 0u ? 0 : 32 - kc_clz(v & (0u - v));
}

// __brev: the bits in reverse order, by swapping halves of ever smaller fields.
__device__ unsigned int kc_brev(unsigned int v) {
    unsigned int x = (v >> 16) | (v << 16);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    return ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
}

// a * b exactly: every partial product of 16-bit halves fits 32 bits, and so does the
// middle column's sum (at most 3 * 0xffff).
__device__ void kc_u32_mul_wide(unsigned int a, unsigned int b, unsigned int &rh,
                                unsigned int &rl) {
    unsigned int a0 = a & 0xffffu;
    unsigned int a1 = a >> 16;
    unsigned int b0 = b & 0xffffu;
    unsigned int b1 = b >> 16;
    unsigned int p00 = a0 * b0;
    unsigned int p01 = a0 * b1;
    unsigned int p10 = a1 * b0;
    unsigned int mid = (p00 >> 16) + (p01 & 0xffffu) + (p10 & 0xffffu);
    rh = a1 * b1 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
    rl = (mid << 16) | (p00 & 0xffffu);
}

// __umulhi: the high word of the 64-bit product.
__device__ unsigned int kc_umulhi(unsigned int a, unsigned int b) {
    unsigned int h = 0u;
    unsigned int l = 0u;
    kc_u32_mul_wide(a, b, h, l);
    return h;
}

// __mulhi: the signed product's high word: the unsigned one, less b where a < 0 and a
// where b < 0 (two's complement).
__device__ int kc_mulhi(int a, int b) {
    unsigned int h = kc_umulhi((unsigned int)a, (unsigned int)b);
    h = h - (a < 0 ? (unsigned int)b : 0u) - (b < 0 ? (unsigned int)a : 0u);
    return (int)h;
}

// __sad, __usad: |x - y| + z, the difference taken exactly (it fits 32 unsigned bits).
__device__ unsigned int kc_sad(int x, int y, unsigned int z) {
    unsigned int d = x > y ? (unsigned int)x - (unsigned int)y : (unsigned int)y - (unsigned int)x;
    return d + z;
}

__device__ unsigned int kc_usad(unsigned int x, unsigned int y, unsigned int z) {
    return (x > y ? x - y : y - x) + z;
}
