"""Operation benchmarks beyond `bench_runtime.py`: reductions, transposition, elementwise
bandwidth by dtype, a composed softmax, dependent small launches and fusion — NumPy, CuPy
(when importable) and wgpy_runtime on each native backend, in one run.

    python tools/bench_ops.py [--size small|full] [--backends webgpu,webgl] [--parts P,...]
                              [--no-numpy] [--json F]

Bandwidth (GB/s) counts the bytes each operation must read and write once; reductions
count their input. Every GPU figure synchronises before the clock stops and is the median
of several rounds after a warm-up (`bench_runtime.Backend.time`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runtime import Backend, activate, backends, mandel_fusable  # noqa: E402

SIZES = {
    "full": dict(side=8192, n=64 << 20, soft=4096, adds=200),
    "small": dict(side=1024, n=1 << 20, soft=512, adds=50),
}


def _l2_rows(xp):
    return xp.ReductionKernel("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", "l2norm")


def _erf_kernel(xp):
    return xp.ElementwiseKernel("float32 x", "float32 y", "y = erff(x) * expf(-x * x)", "erfx")


def _softmax(xp, x):
    m = x.max(axis=1, keepdims=True)
    e = xp.exp(x - m)
    return e / e.sum(axis=1, keepdims=True)


def reductions(b: Backend, side: int) -> dict:
    xp, out = b.xp, {}
    host = np.random.default_rng(0).random((side, side), dtype=np.float32)
    x = xp.asarray(host)
    xi = xp.asarray((host * 100).astype(np.int32))
    nbytes = x.size * 4
    cases = {
        "sum() float32": lambda: x.sum(),
        "sum(axis=1) float32": lambda: x.sum(axis=1),
        "sum(axis=0) float32": lambda: x.sum(axis=0),
        "max(axis=0) float32": lambda: x.max(axis=0),
        "mean() float32": lambda: x.mean(),
        "argmax() float32": lambda: x.argmax(),
        "argmax(axis=1) float32": lambda: x.argmax(axis=1),
        "max() float32": lambda: x.max(),
        "mean(axis=0) float32": lambda: x.mean(axis=0),
        "sum() int32": lambda: xi.sum(),
        "sum(axis=1) int32": lambda: xi.sum(axis=1),
        "sum(axis=0) int32": lambda: xi.sum(axis=0),
        "max(axis=1) int32": lambda: xi.max(axis=1),
    }
    if xp is not np:
        l2 = _l2_rows(xp)
        cases["ReductionKernel L2 norm of rows"] = lambda: l2(x, axis=1)
    for name, fn in cases.items():
        out[f"{name} GB/s"] = nbytes / b.time(fn, inner=5) / 1e9
    out["ascontiguousarray(x.T) GB/s"] = (
        2 * nbytes / b.time(lambda: xp.ascontiguousarray(x.T), inner=5) / 1e9
    )
    return out


def elementwise(b: Backend, n: int) -> dict:
    xp, out = b.xp, {}
    rng = np.random.default_rng(1)
    x = xp.asarray(rng.standard_normal(n, dtype=np.float32))
    a8 = xp.asarray(rng.integers(-100, 100, n, dtype=np.int8))
    b8 = xp.asarray(rng.integers(-100, 100, n, dtype=np.int8))
    if xp is not np:
        erfx = _erf_kernel(xp)
        out["kernel erff(x)*expf(-x*x) GB/s"] = 8 * n / b.time(lambda: erfx(x), inner=5) / 1e9
    out["maximum(x, 0) GB/s"] = 8 * n / b.time(lambda: xp.maximum(x, 0), inner=5) / 1e9
    out["int8 a + b GB/s"] = 3 * n / b.time(lambda: a8 + b8, inner=5) / 1e9
    return out


def composed(b: Backend, soft: int, adds: int) -> dict:
    xp, out = b.xp, {}
    x = xp.asarray(np.random.default_rng(2).random((soft, soft), dtype=np.float32))
    out["softmax composed GB/s"] = 8 * x.size / b.time(lambda: _softmax(xp, x), inner=3) / 1e9
    small = xp.asarray(np.arange(16, dtype=np.float32))

    def dependent():
        y = small
        for _ in range(adds):
            y = y + 1.0
        return y

    out["dependent 16-element adds (µs per op)"] = 1e6 * b.time(dependent) / adds
    return out


def fused_mandelbrot(b: Backend, side: int = 1024, iters: int = 500) -> dict:
    if b.xp is np:
        return {}
    xp = b.xp
    xs = xp.linspace(-2.0, 1.0, side, dtype=xp.float32)
    ys = xp.linspace(-1.5, 1.5, side, dtype=xp.float32)
    cx = xs[None, :] + xp.zeros((side, 1), dtype=xp.float32)
    cy = ys[:, None] + xp.zeros((1, side), dtype=xp.float32)
    fused = xp.fuse(mandel_fusable(xp, iters))
    return {f"mandelbrot {side}²×{iters} fused (ms)": 1e3 * b.time(lambda: fused(cx, cy))}


PARTS = ("reductions", "elementwise", "composed", "fused")


def run(b: Backend, sizes: dict, parts=PARTS) -> dict:
    activate(b)
    out = {}
    every = {
        "reductions": lambda: reductions(b, sizes["side"]),
        "elementwise": lambda: elementwise(b, sizes["n"]),
        "composed": lambda: composed(b, sizes["soft"], sizes["adds"]),
        "fused": lambda: fused_mandelbrot(b),
    }
    for part in [every[name] for name in parts]:
        try:
            out.update(part())
        except Exception as error:  # noqa: BLE001 - reported, the other parts go on
            out.setdefault("errors", []).append(f"{type(error).__name__}: {error}"[:300])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument("--backends", default="webgpu,webgl")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="a comma list of " + ", ".join(PARTS)
    )
    parser.add_argument("--no-numpy", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {}
    for b in backends([n for n in args.backends.split(",") if n]):
        if args.no_numpy and b.xp is np:
            continue
        results[b.name] = run(b, SIZES[args.size], args.parts.split(","))
        print(b.name, results[b.name], file=sys.stderr, flush=True)
    keys = sorted({k for r in results.values() for k in r if k != "errors"})
    print("| workload | " + " | ".join(results) + " |")
    print("| --- |" + " --- |" * len(results))
    for k in keys:
        cells = [f"{r[k]:.3g}" if isinstance(r.get(k), float) else "—" for r in results.values()]
        print(f"| {k} | " + " | ".join(cells) + " |")
    for name, r in results.items():
        for error in r.get("errors", []):
            print(f"{name}: {error}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
