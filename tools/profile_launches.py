"""Where a Chainer training iteration's GPU time goes on the webgpu backend, by program:
every recorded command is submitted and waited for at once, and the wait is summed under
the command's kernel name over the profiled iterations. A figure therefore includes one
submit and wait per command (`floor` is the least any command took: about that cost).

    .venv-chainer/bin/python tools/profile_launches.py [--model resnet18] [--batch 64]
        [--warmup 2] [--iterations 3] [--top 30]

Beside it, the same iterations without the waits give the iteration's time as
tools/bench_chainer.py measures it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_chainer  # noqa: E402


def profiled(device, table: dict) -> None:
    """Make `device` wait after every command, adding each wait to `table[name]`."""
    record = device._recorded

    def recorded(what: str) -> None:
        start = time.perf_counter()
        record(what)
        device.synchronize()
        table[what].append(time.perf_counter() - start)

    device._recorded = recorded


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    bench_chainer.hide_unloadable_scipy()
    bench_chainer.stub_numpy_distutils()
    xp, sync, _ = bench_chainer.activate("webgpu")
    import chainer

    chainer.config.use_cudnn = "never"
    data = bench_chainer.make_data(args.model)
    steps = args.warmup + args.iterations
    _, _, seconds = bench_chainer.train_timed(args.model, xp, sync, data, args.batch, steps, 0)
    plain = sorted(seconds[args.warmup :])[len(seconds[args.warmup :]) // 2]
    import wgpy_runtime

    table: dict[str, list[float]] = defaultdict(list)
    profiled(wgpy_runtime.device.current_device(), table)
    bench_chainer.train_timed(args.model, xp, sync, data, args.batch, 0, args.iterations)
    total = sum(sum(v) for v in table.values())
    floor = min(min(v) for v in table.values())
    per = args.iterations
    print(f"{args.model}, batch {args.batch}: {1e3 * plain:.2f} ms per iteration unprofiled;")
    print(f"profiled: {1e3 * total / per:.2f} ms of waits per iteration over")
    print(f"{sum(map(len, table.values())) // per} commands, floor {1e6 * floor:.1f} µs\n")
    print("| program | commands / it. | ms / it. | above floor, ms / it. | µs each |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = sorted(table.items(), key=lambda kv: -sum(kv[1]))
    for name, times in rows[: args.top]:
        n, t = len(times) / per, sum(times) / per
        print(
            f"| {name} | {n:g} | {1e3 * t:.3f} | {1e3 * (t - n * floor):.3f} | {1e6 * t / n:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
