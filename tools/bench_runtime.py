"""Runtime benchmarks: the same workloads on NumPy, CuPy (when importable) and wgpy_runtime
on each native backend, in one run, so ratios are taken on one machine.

    python tools/bench_runtime.py [--size small|full] [--backends webgpu,webgl] [--json F]

Workloads (full size): Mandelbrot 1024x1024 x 500 iterations composed from array ops and
as one custom ElementwiseKernel; `(x - y) * (x - y)` over 64M float32 as a custom kernel
(reported as effective bandwidth: 3 arrays x 4 bytes per element); matmul 1024^2 and
4096^2 (TFLOP/s). GPU timings synchronise before stopping the clock; each is the median of
several runs after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = {
    "full": dict(mandel=1024, iters=500, n=64 << 20, mm=(1024, 4096)),
    "small": dict(mandel=256, iters=100, n=1 << 20, mm=(256, 512)),
}


class Backend:
    """One array module and how to wait for it."""

    def __init__(self, name: str, xp, sync):
        self.name, self.xp, self.sync = name, xp, sync

    def time(self, fn, repeat: int = 5, inner: int = 1) -> float:
        """Median seconds per call; `inner` calls are queued back to back before each
        synchronisation, so a GPU's launch pipeline stays full (as in real code)."""
        fn()
        self.sync()
        inner = 1 if self.xp is np else inner
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            self.sync()
            times.append((time.perf_counter() - t) / inner)
        return statistics.median(times)


def backends(names: list[str]) -> list[Backend]:
    found = [Backend("numpy", np, lambda: None)]
    try:
        import cupy

        found.append(Backend("cupy (CUDA)", cupy, cupy.cuda.Device().synchronize))
    except Exception:  # noqa: BLE001 - CuPy absent or no CUDA device: skip it
        pass
    import wgpy_runtime as wp
    from wgpy_runtime import device as wdev

    for name in names:
        dev = wdev.create_device(name)

        def sync(dev=dev):
            dev.synchronize()

        found.append(Backend(f"wgpy {name}", wp, sync))
        found[-1].device = dev
    return found


def activate(b: Backend) -> None:
    if hasattr(b, "device"):
        from wgpy_runtime import device as wdev

        wdev.set_device(b.device)


def mandelbrot_kernel() -> tuple[str, str, str, str]:
    """The Mandelbrot kernel of examples/mandelbrot.cu, as constructor arguments."""
    from kernelc.scan.sources import read_kernels

    (k,), _ = read_kernels(str(Path(__file__).resolve().parents[1] / "examples/mandelbrot.cu"))
    return k.in_params, k.out_params, k.operation, k.name


def grid(xp, size: int):
    xs = xp.linspace(-2.0, 1.0, size, dtype=xp.float32)
    ys = xp.linspace(-1.5, 1.5, size, dtype=xp.float32)
    return xs[None, :] + xp.zeros((size, 1), dtype=xp.float32), ys[:, None] + xp.zeros(
        (1, size), dtype=xp.float32
    )


def mandel_composed(xp, cx, cy, iters: int):
    zr = xp.zeros_like(cx)
    zi = xp.zeros_like(cx)
    count = xp.zeros(cx.shape, dtype=xp.int32)
    with np.errstate(all="ignore"):  # diverged points overflow, as on the GPU
        for _ in range(iters):
            zr, zi = zr * zr - zi * zi + cx, 2 * zr * zi + cy
            count += (zr * zr + zi * zi <= 4).astype(xp.int32)
    return count


def mandel_fusable(xp, iters: int):
    """The composed Mandelbrot as one function of elementwise operations, for `xp.fuse`."""

    def mandelbrot(cx, cy):
        zr, zi, count = cx * 0, cx * 0, (cx * 0).astype(xp.int32)
        for _ in range(iters):
            zr, zi = zr * zr - zi * zi + cx, 2 * zr * zi + cy
            count += (zr * zr + zi * zi <= 4).astype(xp.int32)
        return count

    return mandelbrot


def run(b: Backend, sizes: dict) -> dict:
    activate(b)
    xp, out = b.xp, {}
    cx, cy = grid(xp, sizes["mandel"])
    iters = sizes["iters"]
    if b.xp is not np:
        kern = xp.ElementwiseKernel(*mandelbrot_kernel())
        t = b.time(lambda: kern(cx, cy, np.int32(iters)), inner=20)
        out["mandelbrot custom (ms)"] = 1e3 * t
    composed_iters = iters if b.xp is not np or sizes["mandel"] <= 256 else 50
    t = b.time(lambda: mandel_composed(xp, cx, cy, composed_iters), repeat=1 if b.xp is np else 3)
    out["mandelbrot composed (ms)"] = 1e3 * t * iters / composed_iters
    if b.xp is not np:
        try:
            fused = xp.fuse(mandel_fusable(xp, iters))
            start = time.perf_counter()
            fused(cx, cy)
            b.sync()
            out["mandelbrot fused, first call (s)"] = time.perf_counter() - start
            out["mandelbrot fused (ms)"] = 1e3 * b.time(lambda: fused(cx, cy), inner=5)
        except Exception as error:  # noqa: BLE001 - reported, the other workloads go on
            out["mandelbrot fused (ms)"] = f"failed: {type(error).__name__}: {error}"[:200]
    n = sizes["n"]
    x = xp.asarray(np.random.default_rng(0).random(n, dtype=np.float32))
    y = xp.asarray(np.random.default_rng(1).random(n, dtype=np.float32))
    if b.xp is np:
        t = b.time(lambda: (x - y) * (x - y))
    else:
        sq = xp.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "squared_diff")
        t = b.time(lambda: sq(x, y), inner=10)
    out["(x-y)^2 GB/s"] = 3 * 4 * n / t / 1e9
    for m in sizes["mm"]:
        a = xp.asarray(np.random.default_rng(2).random((m, m), dtype=np.float32))
        c = xp.asarray(np.random.default_rng(3).random((m, m), dtype=np.float32))
        t = b.time(lambda a=a, c=c: a @ c, repeat=3, inner=5 if m <= 1024 else 2)
        out[f"matmul {m}^2 TFLOP/s"] = 2 * m**3 / t / 1e12
    return out


def print_table(results: dict[str, dict]) -> None:
    """A Markdown table: one row per workload, one column per backend."""
    keys = sorted({k for r in results.values() for k in r if k != "errors"})
    print("| workload | " + " | ".join(results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for k in keys:
        cells = [
            f"{r[k]:.3g}" if isinstance(r.get(k), float) else r.get(k, "—")
            for r in results.values()
        ]
        print(f"| {k} | " + " | ".join(str(c) for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument("--backends", default="webgpu,webgl")
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {}
    for b in backends([n for n in args.backends.split(",") if n]):
        try:
            results[b.name] = run(b, SIZES[args.size])
        except Exception as e:  # noqa: BLE001 - report and go on with the other backends
            results[b.name] = {"error": f"{type(e).__name__}: {e}"}
        print(b.name, results[b.name], file=sys.stderr, flush=True)
    print(f"{platform.node()} {platform.machine()} {os.environ.get('BENCH_GPU', '')}")
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
