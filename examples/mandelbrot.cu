// name: mandelbrot
// in_params: T cx, T cy, int32 max_iter
// out_params: int32 count
// scalars: max_iter
// The Mandelbrot escape-time kernel of the wgpy paper, written in CUDA C as a CuPy user
// would: one element per pixel, cx/cy the pixel's point of the complex plane.
// operation:
T zr = 0.0f, zi = 0.0f;
int k = 0;
while (k < max_iter && zr * zr + zi * zi <= 4.0f) {
    T t = zr * zr - zi * zi + cx;
    zi = 2.0f * zr * zi + cy;
    zr = t;
    ++k;
}
count = k;
