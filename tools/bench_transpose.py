"""Transposing copies (`ascontiguousarray` of a transposed or rolled view) against an
elementwise op reading the same view (`view * 1`), on the webgpu backend and CuPy (when
it imports) in one run: µs per call of host time (issuing `--repeat` calls) and in all
(until the device has finished them; the least of 3 rounds, `bench_launch.measure`),
and GB/s counting bytes read + written once.

    python tools/bench_transpose.py [--repeat 50] [--shrink 1]
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_launch import measure  # noqa: E402

CASES = {  # name: (shape, how the view is made from the contiguous array)
    "x.T, 4096²": ((4096, 4096), lambda xp, x: x.T),
    "rollaxis(y, 3, 1), 64x32x32x64": ((64, 32, 32, 64), lambda xp, x: xp.rollaxis(x, 3, 1)),
    "rollaxis(y, 3, 1), 64x4x4x512": ((64, 4, 4, 512), lambda xp, x: xp.rollaxis(x, 3, 1)),
    "x.transpose(0, 2, 1), 512x256x384": ((512, 256, 384), lambda xp, x: x.transpose(0, 2, 1)),
}
OPERATIONS = {"copy": lambda xp, v: xp.ascontiguousarray(v), "v * 1": lambda xp, v: v * 1}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--shrink", type=int, default=1, help="divide each first extent by this")
    args = ap.parse_args()
    import wgpy_runtime as wp
    from wgpy_runtime import device as devices

    device = devices.get_device("webgpu")
    devices.set_device(device)
    try:
        import cupy
    except ImportError:
        cupy = None
    backends = [("webgpu", wp, device.synchronize)]
    if cupy:
        backends.insert(0, ("cupy", cupy, cupy.cuda.Device().synchronize))
    print(
        "| float32 view | operation | "
        + " | ".join(f"{b} host µs | {b} µs | {b} GB/s" for b, _, _ in backends)
        + " |"
    )
    print("| --- | --- |" + " ---: | ---: | ---: |" * len(backends))
    for name, (shape, make) in CASES.items():
        shape = (shape[0] // args.shrink, *shape[1:])
        host = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        want = np.ascontiguousarray(make(np, host))
        for op, run in OPERATIONS.items():
            cells = []
            for backend, xp, sync in backends:
                view = make(xp, xp.asarray(host))
                got = run(xp, view)
                got = got.get() if hasattr(got, "get") else got
                if not np.array_equal(got, want):
                    raise AssertionError(f"{backend}: {name}, {op}: wrong result")
                issued, total = measure(functools.partial(run, xp, view), sync, args.repeat, 3)
                cells += [issued, total, 2 * host.nbytes / total / 1e3]
            print(f"| {name} | {op} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
