"""Transposing copies (`ascontiguousarray` of a transposed or rolled view) on the webgpu
backend for each run length `_launch.COPY_RUN_BYTES` (the bytes of the source a copy
walks before stepping along the destination; `none`: the destination's order), beside
CuPy when it imports, in one run: GB/s counting bytes read + written once.

    python tools/bench_transpose.py [--runs none 16 32 64 128] [--repeat 50] [--shrink 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CASES = {  # name: (shape, how the view is made from the contiguous array)
    "x.T, 4096²": ((4096, 4096), lambda xp, x: x.T),
    "rollaxis(y, 3, 1), 64x32x32x64": ((64, 32, 32, 64), lambda xp, x: xp.rollaxis(x, 3, 1)),
    "rollaxis(y, 3, 1), 64x4x4x512": ((64, 4, 4, 512), lambda xp, x: xp.rollaxis(x, 3, 1)),
    "x.transpose(0, 2, 1), 512x256x384": ((512, 256, 384), lambda xp, x: x.transpose(0, 2, 1)),
}


def gbps(xp, view, sync, repeat: int) -> float:
    xp.ascontiguousarray(view)
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        xp.ascontiguousarray(view)
    sync()
    seconds = (time.perf_counter() - start) / repeat
    return 2 * view.size * view.dtype.itemsize / seconds / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", nargs="+", default=["none", "16", "32", "64", "128"])
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--shrink", type=int, default=1, help="divide each first extent by this")
    args = ap.parse_args()
    import wgpy_runtime as wp
    from wgpy_runtime import _launch
    from wgpy_runtime import device as devices

    device = devices.get_device("webgpu")
    devices.set_device(device)
    try:
        import cupy
    except ImportError:
        cupy = None
    columns = (["cupy"] if cupy else []) + [f"run {r}" for r in args.runs]
    print("| float32 copy, GB/s | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, (shape, make) in CASES.items():
        shape = (shape[0] // args.shrink, *shape[1:])
        host = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        want = np.ascontiguousarray(make(np, host))
        cells = []
        if cupy:
            view = make(cupy, cupy.asarray(host))
            cells.append(gbps(cupy, view, cupy.cuda.Device().synchronize, args.repeat))
        view = make(wp, wp.asarray(host))
        for run in args.runs:
            _launch.COPY_RUN_BYTES = None if run == "none" else int(run)
            if not np.array_equal(wp.ascontiguousarray(view).get(), want):
                raise AssertionError(f"{name}, run {run}: wrong copy")
            cells.append(gbps(wp, view, device.synchronize, args.repeat))
        print(f"| {name} | " + " | ".join(f"{c:.0f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
