"""The operations a ResNet-18 training iteration spends its GPU time in, one by one, at
the shapes of its four stages (CIFAR-100 images, batch `--batch`), on CuPy and
wgpy_runtime in one run: µs per call and wgpy's ratio to CuPy.

    .venv-chainer/bin/python tools/bench_resnet_ops.py [--backends cupy,webgpu]
        [--batch 64] [--repeat 20] [--json FILE]

The operations are Chainer's own (cuDNN off): `im2col_gpu` and `col2im_gpu` of a 3x3
convolution (`col2im` also of the rolled gradient the backward pass hands it), the
convolution's `tensordot` and its backward ones (`gW`: the weight's gradient, `gcol`: the
columns'), its output rolled to NCHW (`rollaxis`) and made contiguous, and
BatchNormalization's statistics over axes (0, 2, 3), both of the rolled view a convolution
hands on and of a contiguous array. Each is called `--repeat` times back to back after a
warm-up call, then the device is synchronised once: the figure includes launch cost but no
read-back. Every backend runs in its own subprocess (tools/bench_chainer.py says why).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_chainer  # noqa: E402

STAGES = ((64, 32), (128, 16), (256, 8), (512, 4))  # (channels, height = width)


def operations(xp, batch: int, channels: int, size: int) -> dict:
    """name -> a no-argument call, on arrays made here for one stage's shapes."""
    from chainer.utils import conv

    rng = np.random.default_rng(channels)
    x = xp.asarray(rng.standard_normal((batch, channels, size, size), dtype=np.float32))
    w = xp.asarray(rng.standard_normal((channels, channels, 3, 3), dtype=np.float32))
    col = conv.im2col_gpu(x, 3, 3, 1, 1, 1, 1)
    y = xp.tensordot(col, w, ((1, 2, 3), (1, 2, 3)))
    rolled = xp.rollaxis(y, 3, 1)
    gy = xp.ascontiguousarray(rolled)
    gcol = xp.rollaxis(xp.tensordot(w, gy, (0, 1)), 3)  # as Chainer's backward hands it on
    axes = (0, 2, 3)
    return {
        "im2col": lambda: conv.im2col_gpu(x, 3, 3, 1, 1, 1, 1),
        "col2im": lambda: conv.col2im_gpu(col, 1, 1, 1, 1, size, size),
        "col2im(rolled)": lambda: conv.col2im_gpu(gcol, 1, 1, 1, 1, size, size),
        "tensordot": lambda: xp.tensordot(col, w, ((1, 2, 3), (1, 2, 3))),
        "tensordot gW": lambda: xp.tensordot(gy, col, ((0, 2, 3), (0, 4, 5))),
        "tensordot gcol": lambda: xp.tensordot(w, gy, (0, 1)),
        "contiguous(rolled)": lambda: xp.ascontiguousarray(rolled),
        "rolled.mean(0,2,3)": lambda: rolled.mean(axis=axes),
        "rolled.var(0,2,3)": lambda: rolled.var(axis=axes),
        "x.mean(0,2,3)": lambda: x.mean(axis=axes),
        "x.sum(0,2,3)": lambda: x.sum(axis=axes),
    }


def timed(call, sync, repeat: int) -> float:
    """µs per call over `repeat` calls queued after a warm-up."""
    call()
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    sync()
    return 1e6 * (time.perf_counter() - start) / repeat


def run_leg(backend: str, batch: int, repeat: int) -> dict:
    bench_chainer.hide_unloadable_scipy()
    bench_chainer.stub_numpy_distutils()
    xp, sync, about = bench_chainer.activate(backend)
    import chainer

    chainer.config.use_cudnn = "never"
    rows = {}
    for channels, size in STAGES:
        for name, call in operations(xp, batch, channels, size).items():
            rows[f"{name} {channels}x{size}²"] = timed(call, sync, repeat)
    return {"backend": backend, **about, "us": rows}


def spawn(backend: str, args) -> dict:
    cmd = [sys.executable, __file__, "--leg", backend, "--batch", str(args.batch)]
    cmd += ["--repeat", str(args.repeat)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=900)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return {"backend": backend, "error": f"exit {proc.returncode}:\n{tail}"}
    return json.loads(lines[-1])


def table(results: list[dict]) -> str:
    ok = [r for r in results if "us" in r]
    names = list(ok[0]["us"]) if ok else []
    head = "| operation | " + " | ".join(f"{r['backend']} µs" for r in ok)
    lines = [head + " | ratio |", "| --- |" + " ---: |" * (len(ok) + 1)]
    for name in names:
        cells = [r["us"][name] for r in ok]
        ratio = f"{cells[-1] / cells[0]:.2f}×" if len(cells) > 1 else ""
        lines.append(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cells) + f" | {ratio} |")
    errors = [f"{r['backend']}: {r['error']}" for r in results if "error" in r]
    return "\n".join(lines + errors)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="cupy,webgpu")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", help="write every backend's result here")
    ap.add_argument("--leg", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.leg:
        print(json.dumps(run_leg(args.leg, args.batch, args.repeat)))
        return 0
    results = [spawn(b, args) for b in args.backends.split(",")]
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
