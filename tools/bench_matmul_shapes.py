"""Matmul throughput at the shapes Chainer's training makes: the im2col products of
ResNet-18's convolutions (CIFAR shapes, batch 64: forward and the weight gradient),
batched products, and the tensordots Chainer's convolution calls on im2col's own layout,
float32, wgpy_runtime beside CuPy in one run, as a markdown table.

    python tools/bench_matmul_shapes.py [--backends webgpu webgl] [--seconds 1] [--conv-batch 64]

A matmul shape is (batch, M, K, N): C (batch, M, N) = A (batch, M, K) @ B (batch, K, N),
batch 1 meaning plain 2-D operands. Timing is tools/bench_matmul.py's; every result is
checked against NumPy in float64 (the error column appears past 1e-4).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_matmul import timed  # noqa: E402

# ResNet-18 on 32x32 inputs: each stage's 3x3 convolution (in_c = out_c channels on
# side x side pixels) as im2col's product (batch * side², in_c * 9) @ (in_c * 9, out_c),
# and its weight gradient (out_c, batch * side²) @ (batch * side², in_c * 9); then batched
# products of an attention-like and a small per-sample size.
STAGES = ((64, 32), (128, 16), (256, 8), (512, 4))


def _matmul(xp, a, b):
    return xp.matmul(a, b)


def _conv_forward(xp, col, w):
    return xp.tensordot(col, w, ((1, 2, 3), (1, 2, 3)))


def _conv_weight_gradient(xp, gy, col):
    return xp.tensordot(gy, col, ((0, 2, 3), (0, 4, 5)))


def cases(batch: int) -> dict:
    """label -> (flop, host operands, the product given an array module)."""
    rng = np.random.default_rng(0)

    def normal(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    def product(lead, m, k, n):
        shape = (lead,) if lead > 1 else ()
        return 2.0 * lead * m * k * n, (normal(*shape, m, k), normal(*shape, k, n)), _matmul

    out = {}
    for c, side in STAGES:
        rows = batch * side * side
        out[f"conv {c}ch forward ({rows}×{9 * c} @ {9 * c}×{c})"] = product(1, rows, 9 * c, c)
    for c, side in (STAGES[0], STAGES[-1]):
        rows = batch * side * side
        out[f"conv {c}ch weight gradient ({c}×{rows} @ {rows}×{9 * c})"] = product(
            1, c, rows, 9 * c
        )
    out["batched 64 × 128×64×128"] = product(64, 128, 64, 128)
    out["batched 256 × 16×16×16"] = product(256, 16, 16, 16)
    # Chainer's Convolution2D on im2col's layout: col (n, c, kh, kw, out_h, out_w),
    # W (out_c, c, kh, kw), gy (n, out_c, out_h, out_w)
    for c, side in (STAGES[0], STAGES[-1]):
        col = normal(batch, c, 3, 3, side, side)
        flop = 2.0 * batch * side * side * 9 * c * c
        out[f"tensordot conv {c}ch forward"] = (flop, (col, normal(c, c, 3, 3)), _conv_forward)
        out[f"tensordot conv {c}ch weight gradient"] = (
            flop,
            (normal(batch, c, side, side), col),
            _conv_weight_gradient,
        )
    return out


def measure(xp, sync, fn, a, b, seconds: float) -> tuple[float, float]:
    x, y = xp.asarray(a), xp.asarray(b)
    got = fn(xp, x, y)
    host = got.get() if hasattr(got, "get") else got
    want = fn(np, a.astype(np.float64), b.astype(np.float64))
    error = float(np.abs(host - want).max() / np.abs(want).max())
    return timed(lambda: fn(xp, x, y), sync, seconds, 3), error


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", nargs="+", default=["webgpu"])
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--conv-batch", type=int, default=64, help="ResNet-18's batch size")
    args = ap.parse_args()
    columns = {}
    try:
        import cupy

        columns["CuPy"] = (cupy, cupy.cuda.Device().synchronize)
    except ImportError:
        pass
    import wgpy_runtime as wp
    from wgpy_runtime import device as devices

    for name in args.backends:
        dev = devices.get_device(name)
        columns[f"wgpy {name}"] = (dev, dev.synchronize)
    print("| product | " + " | ".join(f"{c} TFLOP/s" for c in columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for label, (flop, (a, b), fn) in cases(args.conv_batch).items():
        cells = []
        for column, (what, sync) in columns.items():
            if column.startswith("wgpy"):
                devices.set_device(what)
                what = wp
            seconds, err = measure(what, sync, fn, a, b, args.seconds)
            cells.append(
                f"{flop / seconds / 1e12:.3g}" + (f" (error {err:.0e})" if err > 1e-4 else "")
            )
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
