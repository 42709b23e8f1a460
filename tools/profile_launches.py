"""Where a Chainer training iteration's GPU time goes on the webgpu backend, by program:
every recorded command is submitted and waited for at once, and the wait is summed under
the command's kernel name over the profiled iterations. A figure therefore includes one
submit and wait per command (`floor` is the least any command took: about that cost) and
the host's work in recording it.

With `--clock gpu` each command runs in a compute pass of its own that writes GPU
timestamps as it begins and ends (the `timestamp-query` feature): the figures are the
GPU's time alone, and their sum beside the iteration's time says how much of it the GPU
is busy. Device copies run outside passes and are not timed then.

    .venv-chainer/bin/python tools/profile_launches.py [--model resnet18] [--batch 64]
        [--warmup 2] [--iterations 3] [--top 30] [--clock wait|gpu]

One model trains throughout: `--warmup` iterations, `--iterations` timed without the
waits (the iteration's time as tools/bench_chainer.py measures it), then as many again
profiled. The profile so leaves out the first iteration's one-off commands (the
optimizer's state made and zeroed, a fill for each parameter).
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


def gpu_clocked(device, table: dict) -> None:
    """Make every compute pass of `device` (one per command: each is waited for) write
    timestamps, adding each command's passes' GPU time to `table[name]`. The device must
    have been made with the `timestamp-query` feature (`request_timestamps`)."""
    import wgpu

    from wgpy_runtime.device import webgpu

    gpu = device._device
    queries = 2048  # passes one command may open (a copy ends a pass): a query set's most
    query_set = gpu.create_query_set(type=wgpu.QueryType.timestamp, count=2 * queries)
    usage = wgpu.BufferUsage.QUERY_RESOLVE | wgpu.BufferUsage.COPY_SRC
    resolved = gpu.create_buffer(size=16 * queries, usage=usage)
    opened = [0]  # passes opened by the command being recorded

    def begin_pass(batch):
        at = 2 * opened[0]
        opened[0] += 1
        writes = {
            "query_set": query_set,
            "beginning_of_pass_write_index": at,
            "end_of_pass_write_index": at + 1,
        }
        return batch.encoder().begin_compute_pass(timestamp_writes=writes)

    webgpu._Batch.begin_pass = begin_pass
    device.synchronize()
    device._calls = None  # wgpu-py's own calls, which take the timestamp writes
    device._batch = webgpu._Batch(gpu, None)
    record = device._recorded

    def recorded(what: str) -> None:
        record(what)
        device.synchronize()
        if not opened[0]:
            return
        count, opened[0] = 2 * opened[0], 0
        commands = gpu.create_command_encoder()
        commands.resolve_query_set(query_set, 0, count, resolved, 0)
        gpu.queue.submit([commands.finish()])
        ticks = memoryview(gpu.queue.read_buffer(resolved, 0, 8 * count)).cast("Q")
        # wgpu-native resolves timestamps to nanoseconds
        table[what].append(sum(ticks[j + 1] - ticks[j] for j in range(0, count, 2)) * 1e-9)

    device._recorded = recorded


def _table(rows: list, iterations: int, floor: float | None) -> str:
    """Programs by time per iteration; with the waits' `floor`, their time above it."""
    above = "" if floor is None else " above floor, ms / it. |"
    lines = [
        f"| program | commands / it. | {'GPU ms' if floor is None else 'ms'} / it. |{above} µs each |",
        "| --- | ---: | ---: |" + (" ---: |" if above else "") + " ---: |",
    ]
    for name, times in rows:
        n, t = len(times) / iterations, sum(times) / iterations
        extra = "" if floor is None else f" {1e3 * (t - n * floor):.3f} |"
        lines.append(f"| {name} | {n:g} | {1e3 * t:.3f} |{extra} {1e6 * t / n:.1f} |")
    return "\n".join(lines)


def request_timestamps() -> None:
    """Make every WebGPU device made from now on ask for the `timestamp-query` feature."""
    import wgpu

    adapter = type(wgpu.gpu.request_adapter_sync(power_preference="high-performance"))
    plain = adapter.request_device_sync

    def with_timestamps(self, *, required_features=(), **kw):
        return plain(self, required_features=[*required_features, "timestamp-query"], **kw)

    adapter.request_device_sync = with_timestamps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--clock", choices=("wait", "gpu"), default="wait")
    args = ap.parse_args()
    bench_chainer.hide_unloadable_scipy()
    bench_chainer.stub_numpy_distutils()
    if args.clock == "gpu":
        request_timestamps()
    xp, sync, _ = bench_chainer.activate("webgpu")
    import chainer

    chainer.config.use_cudnn = "never"
    import wgpy_runtime

    data = bench_chainer.make_data(args.model)
    steps = args.warmup + args.iterations
    table: dict[str, list[float]] = defaultdict(list)
    synced = [0]

    def sync_then_profile() -> None:  # once an iteration, at its end
        sync()
        synced[0] += 1
        if synced[0] == steps:  # one model throughout: then as many iterations, profiled
            device = wgpy_runtime.device.current_device()
            (gpu_clocked if args.clock == "gpu" else profiled)(device, table)

    _, _, seconds = bench_chainer.train_timed(
        args.model, xp, sync_then_profile, data, args.batch, steps + args.iterations, 0
    )
    unprofiled = seconds[args.warmup : steps]
    plain = sorted(unprofiled)[len(unprofiled) // 2]
    total = sum(sum(v) for v in table.values())
    commands = sum(map(len, table.values())) // args.iterations
    print(f"{args.model}, batch {args.batch}: {1e3 * plain:.2f} ms per iteration unprofiled;")
    rows = sorted(table.items(), key=lambda kv: -sum(kv[1]))[: args.top]
    per_iteration = 1e3 * total / args.iterations
    if args.clock == "gpu":
        print(f"profiled: {per_iteration:.2f} ms of GPU time per iteration")
        print(f"over {commands} commands\n")
        floor = None
    else:
        floor = min(min(v) for v in table.values())
        print(f"profiled: {per_iteration:.2f} ms of waits per iteration over")
        print(f"{commands} commands, floor {1e6 * floor:.1f} µs\n")
    print(_table(rows, args.iterations, floor))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
