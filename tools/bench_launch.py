"""Host cost of one kernel launch: tiny arrays, so the GPU's work is negligible and what is
timed is the Python path from the call to the recorded command.

    python tools/bench_launch.py [--backends webgpu,webgl,cupy] [--calls 2000] [--repeat 7]

Each workload is called `--calls` times back to back, then the device is synchronised;
reported is µs per call, the best of `--repeat` rounds, both without the final
synchronisation ("host") and with it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N = 16  # elements per array


def workloads(wp):
    sq = wp.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "sq")
    x = wp.asarray(np.arange(N, dtype=np.float32))
    y = wp.asarray(np.ones(N, np.float32))
    z = wp.empty(N, np.float32)
    two = np.float32(2)
    m = x.reshape(4, 4)
    l2 = wp.ReductionKernel("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", "l2")
    double = wp.ElementwiseKernel("raw T x", "raw T y", "y[i] = x[i] * 2", "double_raw")
    return {
        "kernel `sq(x, y)` (new output)": lambda: sq(x, y),
        "kernel `sq(x, y, z)` (given output)": lambda: sq(x, y, z),
        "kernel `sq(x, np.float32(2), z)` (a scalar)": lambda: sq(x, two, z),
        "`x + y`": lambda: x + y,
        "`x * 2.0`": lambda: x * 2.0,
        "`wp.add(x, y, out=z)`": lambda: wp.add(x, y, out=z),
        "kernel `double(x, z, size=16)` (raw)": lambda: double(x, z, size=N),
        "`x.sum()`": lambda: x.sum(),
        "`m.sum(axis=0)` (4×4)": lambda: m.sum(axis=0),
        "ReductionKernel `l2(x)`": lambda: l2(x),
        "`z += x`": lambda: z.__iadd__(x),
    }


def measure(fn, sync, calls: int, repeat: int) -> tuple[float, float]:
    fn()
    fn()
    sync()
    host, total = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        recorded = time.perf_counter()
        sync()
        end = time.perf_counter()
        host.append((recorded - start) / calls * 1e6)
        total.append((end - start) / calls * 1e6)
    return min(host), min(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="webgpu,webgl", help="also: cupy")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    import wgpy_runtime as wp
    from wgpy_runtime import device as wdev

    rows: dict[str, list[str]] = {}
    names = [n for n in args.backends.split(",") if n]
    for name in names:
        if name == "cupy":
            import cupy as xp

            sync = xp.cuda.Device().synchronize
        else:
            xp, dev = wp, wdev.get_device(name)
            wdev.set_device(dev)
            sync = dev.synchronize
        for what, fn in workloads(xp).items():
            host, total = measure(fn, sync, args.calls, args.repeat)
            rows.setdefault(what, []).append(f"{host:.1f} ({total:.1f})")
    print("| workload | " + " | ".join(f"{n}: µs host (with sync)" for n in names) + " |")
    print("| --- |" + " --- |" * len(names))
    for what, cells in rows.items():
        print(f"| {what} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
