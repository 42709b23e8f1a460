// kernelc's GLSL ES 3.00 primitives: what the shader library (kernelc/lib, in C) cannot
// say itself, C's meaning of the IR's conversions and division, the run-time Inf/NaN
// sources and texel addressing. One primitive per blank-line-separated block; a primitive
// comes after those it uses. The emitter copies only the blocks a program uses, in order.

// Run-time constants: u.k_n >= 0, so min(u.k_n, 0) is a zero no compiler can fold; GLSL
// compilers would otherwise fold Inf/NaN bit patterns and x * 0.0 (to 0).
uint kc_zero_bits() {
    return uint(min(u.k_n, 0));
}

float kc_zero() {
    return float(min(u.k_n, 0));
}

float kc_inf() {
    return uintBitsToFloat(0x7f800000u | kc_zero_bits());
}

float kc_nan() {
    return uintBitsToFloat(0x7fffffffu | kc_zero_bits());
}

// An identity the compiler cannot see through: drivers fold x - x to 0 (wrong for Inf
// and NaN).
float kc_opaque_float(float x) {
    return u.k_n < 0 ? kc_zero() : x;
}

// float -> int as CUDA's cvt.rzi: truncate, saturate, NaN (by bits) -> 0.
int kc_f2i(float x) {
    if ((floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u) {
        return 0;
    }
    if (x >= 2147483648.0) {
        return 2147483647;
    }
    if (x <= -2147483648.0) {
        return -2147483647 - 1;
    }
    return int(x);
}

uint kc_f2u(float x) {
    if ((floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u || x <= 0.0) {
        return 0u;
    }
    if (x >= 4294967296.0) {
        return 4294967295u;
    }
    return uint(x);
}

// C integer division: truncating. GLSL leaves `%` of negative operands and division by
// zero undefined, so both work on magnitudes. x / 0 is -1 and x % 0 is x (what CUDA's
// hardware sequence gives); INT_MIN / -1 is INT_MIN, INT_MIN % -1 is 0 (as in WGSL).
uint kc_uabs(int x) {
    return x < 0 ? 0u - uint(x) : uint(x);
}

int kc_idiv(int x, int y) {
    if (y == 0) {
        return -1;
    }
    uint q = kc_uabs(x) / kc_uabs(y);
    return (x < 0) != (y < 0) ? int(0u - q) : int(q);
}

int kc_imod(int x, int y) {
    if (y == 0) {
        return x;
    }
    uint r = kc_uabs(x) % kc_uabs(y);
    return x < 0 ? int(0u - r) : int(r);
}

uint kc_udiv(uint x, uint y) {
    return y == 0u ? 4294967295u : x / y;
}

uint kc_umod(uint x, uint y) {
    return y == 0u ? x : x % y;
}

// Element `pos` of a texture `w` texels wide (arrays are stored row by row).
ivec2 kc_texel(int pos, int w) {
    int y = int(float(pos) * (1.0 / float(w)));
    int x = pos - y * w;
    if (x < 0) {
        y -= 1;
        x += w;
    } else if (x >= w) {
        y += 1;
        x -= w;
    }
    return ivec2(x, y);
}

