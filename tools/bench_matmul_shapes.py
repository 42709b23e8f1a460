"""Matmul throughput at the shapes Chainer's training makes: the im2col products of
ResNet-18's convolutions (CIFAR shapes, batch 64: forward and the weight gradient) and
batched products, float32, wgpy_runtime beside CuPy in one run, as a markdown table.

    python tools/bench_matmul_shapes.py [--backends webgpu webgl] [--seconds 1] [--conv-batch 64]

A shape is (batch, M, K, N): C (batch, M, N) = A (batch, M, K) @ B (batch, K, N), batch 1
meaning plain 2-D operands. Timing and the check against NumPy are tools/bench_matmul.py's.
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


def shapes(batch: int) -> dict:
    out = {}
    for c, side in STAGES:
        out[f"conv {c}ch forward"] = (1, batch * side * side, 9 * c, c)
    for c, side in (STAGES[0], STAGES[-1]):
        out[f"conv {c}ch weight gradient"] = (1, c, batch * side * side, 9 * c)
    out["batched 64 × 128×64×128"] = (64, 128, 64, 128)
    out["batched 256 × 16×16×16"] = (256, 16, 16, 16)
    return out


def operands(shape):
    batch, m, k, n = shape
    rng = np.random.default_rng(m * n + k)
    lead = (batch,) if batch > 1 else ()
    return (
        rng.standard_normal((*lead, m, k), dtype=np.float32),
        rng.standard_normal((*lead, k, n), dtype=np.float32),
    )


def error(got, a, b) -> float:
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    return float(np.abs(got - want).max() / np.abs(want).max())


def measure(xp, sync, a, b, seconds: float) -> tuple[float, float]:
    x, y = xp.asarray(a), xp.asarray(b)
    got = xp.matmul(x, y)
    host = got.get() if hasattr(got, "get") else got
    return timed(lambda: xp.matmul(x, y), sync, seconds, 3), error(host, a, b)


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
    print("| shape (batch, M, K, N) | " + " | ".join(f"{c} TFLOP/s" for c in columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for label, shape in shapes(args.conv_batch).items():
        a, b = operands(shape)
        flop = 2.0 * np.prod(shape)
        cells = []
        for column, (what, sync) in columns.items():
            if column.startswith("wgpy"):
                devices.set_device(what)
                what = wp
            seconds, err = measure(what, sync, a, b, args.seconds)
            cells.append(
                f"{flop / seconds / 1e12:.3g}" + (f" (error {err:.0e})" if err > 1e-4 else "")
            )
        print(f"| {label} {shape} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
