// name: smooth_clip
// in_params: T x, T lo, T hi
// out_params: T y
// scalars: lo, hi
// preamble:
#define SOFTNESS 0.1f

template <typename U>
__device__ U clamp_to(U v, U a, U b) {
    return v < a ? a : (v > b ? b : v);
}

__device__ void soft_step(float &v, float edge) {
    v = v + SOFTNESS * tanhf((v - edge) / SOFTNESS);
}
// operation:
T v = clamp_to(x, lo, hi);
soft_step(v, 0.5f * (lo + hi));
y = v;
