// kernelc's WGSL primitives: what the shader library (kernelc/lib, in C) cannot say itself,
// C's meaning of the IR's conversions and division and the run-time Inf/NaN sources.
// One primitive per blank-line-separated block; a primitive comes after those it uses.
// The emitter copies only the blocks a program uses, in this order.

// Run-time constants: u.k_n >= 0, so min(u.k_n, 0) is a zero no compiler can fold. WGSL
// rejects constant expressions that are infinite or NaN, and drivers fold x * 0.0 to 0.
fn kc_zero_bits() -> u32 {
    return u32(min(u.k_n, 0i));
}

fn kc_zero() -> f32 {
    return f32(min(u.k_n, 0i));
}

fn kc_inf() -> f32 {
    return bitcast<f32>(0x7f800000u | kc_zero_bits());
}

fn kc_nan() -> f32 {
    return bitcast<f32>(0x7fffffffu | kc_zero_bits());
}

// Identities that hide a value from constant evaluation: WGSL rejects overflow, division
// by zero and domain errors in constant expressions (C leaves them to run time), and
// drivers fold x - x to 0 (wrong for Inf and NaN). The f32 one selects on a uniform.
fn kc_opaque_f32(x: f32) -> f32 {
    return select(x, kc_zero(), u.k_n < 0i);
}

fn kc_opaque_i32(x: i32) -> i32 {
    return x;
}

fn kc_opaque_u32(x: u32) -> u32 {
    return x;
}

// float -> int as CUDA's cvt.rzi: truncate, saturate, NaN (by bits) -> 0.
fn kc_f2i(x: f32) -> i32 {
    if ((bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u) {
        return 0i;
    }
    if (x >= 2147483648.0f) {
        return 2147483647i;
    }
    if (x <= -2147483648.0f) {
        return i32(-2147483648);
    }
    return i32(x);
}

fn kc_f2u(x: f32) -> u32 {
    if ((bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u || x <= 0.0f) {
        return 0u;
    }
    if (x >= 4294967296.0f) {
        return 4294967295u;
    }
    return u32(x);
}

// C integer division (WGSL's `/` and `%` truncate too); by zero it gives what CUDA's
// hardware sequence gives: x / 0 is -1 (all ones for u32), x % 0 is x.
fn kc_idiv(x: i32, y: i32) -> i32 {
    return select(x / y, -1i, y == 0i);
}

fn kc_imod(x: i32, y: i32) -> i32 {
    return select(x % y, x, y == 0i);
}

fn kc_udiv(x: u32, y: u32) -> u32 {
    return select(x / y, 4294967295u, y == 0u);
}

fn kc_umod(x: u32, y: u32) -> u32 {
    return select(x % y, x, y == 0u);
}
