"""Where a float64 matmul's time goes when it runs as float32 slice products (the Ozaki
scheme, wgpy_runtime/_split_products.py) on the webgpu backend: the product's time as
it runs, then one product with every command submitted and waited for at once, the
waits summed by program (tools/profile_launches.py's method; `floor` is the least any
command took, about the cost of one submit and wait).

    python tools/profile_split_products.py [--sizes 1024 4096] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from profile_launches import profiled  # noqa: E402


def seconds_per_product(wp, x, y, sync, repeat: int) -> float:
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        wp.matmul(x, y)
    sync()
    return (time.perf_counter() - start) / repeat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import wgpy_runtime as wp
    from wgpy_runtime import _fastpath, _products
    from wgpy_runtime import device as devices

    device = devices.get_device("webgpu")
    devices.set_device(device)
    rng = np.random.default_rng(0)
    default = _products.SPLIT_MULTIPLY_ADDS
    for n in args.sizes:
        a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        x, y = wp.asarray(a), wp.asarray(b)
        rows = {}
        for name, threshold in (("walk K", None), ("split", 1)):
            _products.SPLIT_MULTIPLY_ADDS = threshold
            _fastpath.clear()  # a replayed product would keep the other way
            wp.matmul(x, y)  # compiles
            rows[name] = seconds_per_product(wp, x, y, device.synchronize, args.repeat)
        table = defaultdict(list)
        plain = device._recorded
        profiled(device, table)
        start = time.perf_counter()
        got = wp.matmul(x, y).get()
        device.synchronize()
        total = time.perf_counter() - start
        device._recorded = plain
        error = np.abs(got - a @ b).max() / np.abs(a @ b).max()
        flops = 2.0 * n**3
        print(
            f"\n**float64 {n}²: walk K {1e3 * rows['walk K']:.1f} ms "
            f"({flops / rows['walk K'] / 1e12:.3f} TFLOP/s), split "
            f"{1e3 * rows['split']:.1f} ms ({flops / rows['split'] / 1e12:.3f} TFLOP/s); "
            f"max error / max |c| {error:.2e}**"
        )
        floor = min(min(v) for v in table.values())
        waits = sum(sum(v) for v in table.values())
        print(
            f"profiled: {1e3 * total:.1f} ms, {1e3 * waits:.1f} ms of waits over "
            f"{sum(map(len, table.values()))} commands, floor {1e6 * floor:.0f} µs\n"
        )
        print("| program | commands | ms | above floor, ms |")
        print("| --- | ---: | ---: | ---: |")
        for name, times in sorted(table.items(), key=lambda kv: -sum(kv[1])):
            t = sum(times)
            print(
                f"| {name} | {len(times)} | {1e3 * t:.2f} | {1e3 * (t - len(times) * floor):.2f} |"
            )
        _products.SPLIT_MULTIPLY_ADDS = default
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
