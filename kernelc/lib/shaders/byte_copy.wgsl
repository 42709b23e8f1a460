// kernelc: byte-granular copy for what a buffer-to-buffer copy cannot do (offsets or sizes
// that are not whole words: packed 8/16-bit elements). One invocation owns one destination
// word, so neighbouring bytes outside the range are written back unchanged.
struct P { dst_byte: u32, src_byte: u32, nbytes: u32, first_word: u32, words: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn src_byte(k: u32) -> u32 {
    return (src[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = (wg.y * nwg.x + wg.x) * 256u + lid.x;
    if (t >= p.words) {
        return;
    }
    let w = p.first_word + t;
    var word = dst[w];
    for (var b = 0u; b < 4u; b++) {
        let d = w * 4u + b;
        if (d >= p.dst_byte && d - p.dst_byte < p.nbytes) {
            let shift = b * 8u;
            word = (word & ~(0xffu << shift)) | (src_byte(d - p.dst_byte + p.src_byte) << shift);
        }
    }
    dst[w] = word;
}
