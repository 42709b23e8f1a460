"""The exact 64-bit policy's cost: float64 and int64 workloads on NumPy, CuPy (when
importable) and wgpy_runtime (WebGPU), in one run, with our float32 kernels beside them.

    python tools/bench_exact64.py [--size small|full] [--backends webgpu]
                                  [--parts streams,mandelbrot,matmul] [--json F]

Workloads (full size): `(x - y) * (x - y)` over 64M float64 and `x + y` over 64M int64
as custom kernels (effective bandwidth: 3 arrays x 8 bytes per element); the Mandelbrot
kernel of examples/mandelbrot.cu, 1024x1024 x 500 iterations, with `float` and with
`double`; float64 matmul 1024^2 and 4096^2 (TFLOP/s; NumPy's is its multi-threaded
dgemm on the host's CPUs). Timing as tools/bench_runtime.py: synchronised medians after a
warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.bench_runtime import (  # noqa: E402
    Backend,
    activate,
    backends,
    grid,
    mandelbrot_kernel,
    print_table,
)

SIZES = {
    "full": dict(n=64 << 20, mandel=1024, iters=500, mm=(1024, 4096)),
    "small": dict(n=1 << 20, mandel=256, iters=100, mm=(256,)),
}


def streams(b: Backend, n: int) -> dict:
    xp, out = b.xp, {}
    rng = np.random.default_rng(0)
    x, y = (xp.asarray(rng.standard_normal(n)) for _ in range(2))
    i, j = (xp.asarray(rng.integers(-(2**62), 2**62, n)) for _ in range(2))
    if xp is np:
        t_sq, t_add = b.time(lambda: (x - y) * (x - y)), b.time(lambda: i + j)
    else:
        sq = xp.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "squared_diff")
        add = xp.ElementwiseKernel("T x, T y", "T z", "z = x + y", "add64")
        t_sq, t_add = b.time(lambda: sq(x, y), inner=10), b.time(lambda: add(i, j), inner=10)
    out["(x-y)^2 float64 GB/s"] = 3 * 8 * n / t_sq / 1e9
    out["x + y int64 GB/s"] = 3 * 8 * n / t_add / 1e9
    return out


def mandelbrot(b: Backend, size: int, iters: int) -> dict:
    if b.xp is np:
        return {}
    in_params, out_params, operation, name = mandelbrot_kernel()
    out = {}
    for ctype, dtype in (("float", np.float32), ("double", np.float64)):
        cx, cy = (a.astype(dtype) for a in grid(b.xp, size))  # T binds to float or double
        kern = b.xp.ElementwiseKernel(in_params, out_params, operation, f"{name}_{ctype}")
        t = b.time(lambda k=kern, cx=cx, cy=cy: k(cx, cy, np.int32(iters)), repeat=3, inner=3)
        out[f"mandelbrot {ctype} (ms)"] = 1e3 * t
    return out


def matmul(b: Backend, sizes) -> dict:
    out = {}
    for m in sizes:
        rng = np.random.default_rng(m)
        a, c = (b.xp.asarray(rng.standard_normal((m, m))) for _ in range(2))
        t = b.time(lambda a=a, c=c: a @ c, repeat=3 if m <= 1024 else 2)
        out[f"matmul float64 {m}^2 TFLOP/s"] = 2 * m**3 / t / 1e12
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument("--backends", default="webgpu")
    parser.add_argument("--parts", default="streams,mandelbrot,matmul")
    parser.add_argument("--json")
    args = parser.parse_args()
    parts = args.parts.split(",")
    sizes = SIZES[args.size]
    results = {}
    for b in backends([n for n in args.backends.split(",") if n]):
        activate(b)
        results[b.name] = {}
        for part, arg in (
            (streams, (sizes["n"],)),
            (mandelbrot, (sizes["mandel"], sizes["iters"])),
            (matmul, (sizes["mm"],)),
        ):
            if part.__name__ not in parts:
                continue
            try:
                results[b.name].update(part(b, *arg))
            except Exception as e:  # noqa: BLE001 - report and go on with the next part
                results[b.name].setdefault("errors", []).append(f"{type(e).__name__}: {e}"[:300])
        print(b.name, results[b.name], file=sys.stderr, flush=True)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
