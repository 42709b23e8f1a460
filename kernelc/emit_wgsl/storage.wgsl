// kernelc WGSL storage helpers: float16 by bits (docs/dtypes.md). WGSL's pack2x16float and
// quantizeToF16 leave out-of-range values indeterminate and may flush subnormals, so the
// conversions are spelled out; arithmetic stays in f32 and rounds to half on every store.

// f32 -> binary16 bits: round to nearest even; past 65504 -> Inf; NaN stays a (quiet) NaN.
fn kc_f16_encode(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    let sign = (b >> 16u) & 0x8000u;
    let a = b & 0x7fffffffu;
    if (a > 0x7f800000u) {
        return sign | 0x7e00u | ((a >> 13u) & 0x3ffu);
    }
    if (a >= 0x477ff000u) {
        return sign | 0x7c00u;
    }
    if (a < 0x38800000u) {
        return sign | u32(round(bitcast<f32>(a) * 16777216.0));
    }
    return sign | (((a + 0xfffu + ((a >> 13u) & 1u)) >> 13u) - 0x1c000u);
}

// binary16 bits (the low 16 of h) -> f32, exactly (subnormals included).
fn kc_f16_decode(h: u32) -> f32 {
    let sign = (h & 0x8000u) << 16u;
    let e = (h >> 10u) & 0x1fu;
    let m = h & 0x3ffu;
    if (e == 0x1fu) {
        return bitcast<f32>(sign | 0x7f800000u | (m << 13u));
    }
    if (e == 0u) {
        return bitcast<f32>(sign | bitcast<u32>(f32(m) * bitcast<f32>(0x33800000u)));
    }
    return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

// The float16 nearest to x, as an f32 (C's conversion to float16 and back).
fn kc_f16round(x: f32) -> f32 {
    return kc_f16_decode(kc_f16_encode(x));
}
