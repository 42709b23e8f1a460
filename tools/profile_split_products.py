"""Where a float64 matmul's time goes when it runs as float32 slice products (the Ozaki
scheme, wgpy_runtime/_split_products.py) on the webgpu backend: the product's time as
it runs, walking K and split in both forms (slice products folded into int32, K in
chunks of up to 4717; float32 sums, K in chunks of up to 258), then for each form one
product with every command submitted and waited for at once, the waits summed by
program (tools/profile_launches.py's method; `floor` is the least any command took,
about the cost of one submit and wait).

    python tools/profile_split_products.py [--sizes 1024 4096] [--repeat 3] [--forms folded]
        [--folded-tiles small] [--launches]

`--folded-tiles` makes every folded slice product take that preset (default: the
runtime's choice, `_matmul.FOLDED_TILES`). `--launches` adds a table of each folded slice
product of the first chunk alone under every preset, beside a float32 product of its
shape (which preset the runtime picks is in parentheses; folded, `huge` runs as `large`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from profile_launches import profiled  # noqa: E402

from kernelc.abi.matmul import TILES  # noqa: E402


def seconds_per_run(fn, sync, repeat: int) -> float:
    """Seconds per call of `fn` over `repeat` calls issued back to back, then waited for."""
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    sync()
    return (time.perf_counter() - start) / repeat


FORMS = {"folded": True, "float32": False}  # _split_products.FOLDED_PRODUCTS


def product_times(wp, x, y, device, forms: list[str], repeat: int) -> dict[str, float]:
    """Seconds per product walking K and split in each form."""
    from wgpy_runtime import _fastpath, _products, _split_products

    ways = [("walk K", None, True)] + [(f"split, {f}", 1, FORMS[f]) for f in forms]
    rows = {}
    for name, threshold, folded in ways:
        _products.SPLIT_MULTIPLY_ADDS = threshold
        _split_products.FOLDED_PRODUCTS = folded
        _fastpath.clear()  # a replayed product would keep the other way
        wp.matmul(x, y)  # compiles
        rows[name] = seconds_per_run(partial(wp.matmul, x, y), device.synchronize, repeat)
    return rows


def profile(wp, x, y, device) -> tuple[np.ndarray, float, dict]:
    """One product with a wait after every command: its result, seconds, waits by program."""
    table = defaultdict(list)
    plain = device._recorded
    profiled(device, table)
    start = time.perf_counter()
    got = wp.matmul(x, y).get()
    device.synchronize()
    total = time.perf_counter() - start
    device._recorded = plain
    return got, total, table


def print_table(table: dict, total: float) -> None:
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
        print(f"| {name} | {len(times)} | {1e3 * t:.2f} | {1e3 * (t - len(times) * floor):.2f} |")


def seconds_per_call(fn, sync, repeat: int = 10) -> float:
    """The least over three runs of `repeat` calls of `fn`, per call (after one call)."""
    fn()
    return min(seconds_per_run(fn, sync, repeat) for _ in range(3))


def launch_table(x, y, device) -> None:
    """Each folded slice product of an (n, n) @ (n, n) product (A_i @ [B_0 .. B_{s-1-i}]),
    alone, under each tile preset, beside the float32 product of the same shape: TFLOP/s,
    folded / float32."""
    from wgpy_runtime import _matmul
    from wgpy_runtime import _split_products as sp
    from wgpy_runtime.ndarray import ndarray

    n = x.shape[0]
    beta, s = sp.FOLDED_BETA, sp.FOLDED_SLICES
    sa, _ = sp._slices(x, sp._absmax()(x, axis=-1)[..., None], 0, s, beta)
    sb, _ = sp._slices(y, sp._absmax()(y, axis=-2)[None, :], 1, s, beta)
    chosen = _matmul.preferred_tiles
    print(f"\n{n}²: slice products alone, TFLOP/s folded / float32 by preset\n")
    print("| product | M×K×N | " + " | ".join(TILES) + " |")
    print("| --- | --- |" + " ---: |" * len(TILES))
    try:
        for i in range(s):
            width = (s - i) * n
            bcat = ndarray._view(sb._buf, (n, width), (s * n, 1), sb._offset)
            folded = ndarray((n, width), np.int32, device=device)
            plain = ndarray((n, width), np.float32, device=device)
            flops, cells = 2.0 * n * n * width, []
            for preset in TILES:
                _matmul.preferred_tiles = lambda *_, preset=preset: preset
                fold = partial(_matmul.folded_matmul, sa[i], bcat, folded, sp.FOLD_RUN)
                tf = seconds_per_call(fold, device.synchronize)
                tp = seconds_per_call(
                    partial(_matmul.tiled_matmul, sa[i], bcat, plain), device.synchronize
                )
                cells.append(f"{flops / tf / 1e12:.1f} / {flops / tp / 1e12:.1f}")
            runs = _matmul._folded_tiles(chosen(1, n, width))
            print(f"| A_{i} ({runs}) | {n}×{n}×{width} | " + " | ".join(cells) + " |")
    finally:
        _matmul.preferred_tiles = chosen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--forms", nargs="+", choices=list(FORMS), default=list(FORMS))
    ap.add_argument("--folded-tiles", choices=list(TILES))
    ap.add_argument("--launches", action="store_true", help="each slice product alone")
    args = ap.parse_args()
    import wgpy_runtime as wp
    from wgpy_runtime import _fastpath, _matmul, _products, _split_products
    from wgpy_runtime import device as devices

    if args.folded_tiles:
        _matmul.FOLDED_TILES = dict.fromkeys(TILES, args.folded_tiles)
    device = devices.get_device("webgpu")
    devices.set_device(device)
    rng = np.random.default_rng(0)
    default = _products.SPLIT_MULTIPLY_ADDS, _split_products.FOLDED_PRODUCTS
    for n in args.sizes:
        a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        x, y = wp.asarray(a), wp.asarray(b)
        rows = product_times(wp, x, y, device, args.forms, args.repeat)
        flops = 2.0 * n**3
        times = ", ".join(
            f"{name} {1e3 * t:.1f} ms ({flops / t / 1e9:.1f} GFLOP/s)" for name, t in rows.items()
        )
        print(f"\n**float64 {n}²: {times}**")
        _products.SPLIT_MULTIPLY_ADDS = 1
        for form in args.forms:
            _split_products.FOLDED_PRODUCTS = FORMS[form]
            _fastpath.clear()
            got, total, table = profile(wp, x, y, device)
            error = np.abs(got - a @ b).max() / np.abs(a @ b).max()
            print(f"\nsplit, {form}: max error / max |c| {error:.2e}")
            print_table(table, total)
        _products.SPLIT_MULTIPLY_ADDS, _split_products.FOLDED_PRODUCTS = default
        if args.launches:
            launch_table(x, y, device)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
