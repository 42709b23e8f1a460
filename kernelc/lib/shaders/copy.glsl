#version 300 es
// kernelc: copy elements [src_start, src_start + count) of `src` to dst_start of the render
// target, whatever the two textures' widths; fragments outside the range are discarded.
// The two names in capitals are replaced by the texture's kind (sampler2D and float,
// isampler2D and int, usampler2D and uint) before compiling; for RG32UI (a 64-bit
// element's two words) uvec2 and usampler2D, and the fetched channels `.r` become `.rg`.
precision highp float;
precision highp int;
precision highp SAMPLER_TYPE;
uniform highp SAMPLER_TYPE src;
uniform int src_start;
uniform int dst_start;
uniform int count;
uniform int dst_width;
layout(location = 0) out highp TEXEL_TYPE o;
void main() {
    int d = int(gl_FragCoord.y) * dst_width + int(gl_FragCoord.x) - dst_start;
    if (d < 0 || d >= count) {
        discard;
    }
    int s = src_start + d;
    int w = textureSize(src, 0).x;
    o = texelFetch(src, ivec2(s % w, s / w), 0).r;
}
