"""Where a Chainer training iteration's host time goes on the webgpu backend: Python's
profiler over the iterations, by function, beside the iteration's time unprofiled, what
it sends to the device (commands, submits, writes and bind groups made per iteration, after
the warm-up) and the main thread's CPU time per iteration (on a software GPU, what the
host spends apart from the GPU's own threads).

    .venv-chainer/bin/python tools/profile_host.py [--model mlp] [--batch 16]
        [--warmup 10] [--iterations 50] [--top 40] [--sort tottime] [--image-size 32]

The profiler slows Python calls, not the device: read the table for shares, the first
line for the iteration's real time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_chainer  # noqa: E402


class Counts:
    """Submits, writes and bind groups made by `device`, counted by wrapping its methods,
    and the main thread's CPU time (a software GPU's work runs on threads of its own)."""

    def __init__(self, device) -> None:
        self.device, self.submits, self.writes, self.groups = device, 0, 0, 0
        flush, write = device._flush, device.write
        create_bind_group = device._device.create_bind_group

        def counted_create_bind_group(**kwargs):
            self.groups += 1
            return create_bind_group(**kwargs)

        device._device.create_bind_group = counted_create_bind_group

        def counted_flush() -> None:
            self.submits += bool(device._batch.count)
            flush()

        def counted_write(*args) -> None:
            self.writes += 1
            write(*args)

        device._flush, device.write = counted_flush, counted_write

    def snapshot(self) -> tuple[float, ...]:
        commands = self.device.stats["commands"]
        return commands, self.submits, self.writes, self.groups, 1e3 * time.thread_time()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=10)  # at least 1
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="tottime")
    # ResNet-18's images (32: CIFAR's); the host's work per iteration does not depend on
    # it, so small images let a software GPU keep up
    ap.add_argument("--image-size", type=int, default=bench_chainer.RESNET_SIZE)
    args = ap.parse_args()
    bench_chainer.RESNET_SIZE = args.image_size
    bench_chainer.hide_unloadable_scipy()
    bench_chainer.stub_numpy_distutils()
    xp, sync, _ = bench_chainer.activate("webgpu")
    import chainer

    import wgpy_runtime

    chainer.config.use_cudnn = "never"
    data = bench_chainer.make_data(args.model)
    counts = Counts(wgpy_runtime.device.current_device())
    snapshots = []
    profile = cProfile.Profile()
    timed_end = args.warmup + args.iterations

    def sync_and_count() -> None:  # once an iteration, at its end
        sync()
        snapshots.append(counts.snapshot())
        if len(snapshots) == timed_end:  # then as many iterations again, profiled
            profile.enable()

    # one model throughout: warm-up, timed and profiled iterations
    steps = timed_end + args.iterations
    _, _, seconds = bench_chainer.train_timed(
        args.model, xp, sync_and_count, data, args.batch, steps, 0
    )
    profile.disable()
    first, last = snapshots[args.warmup - 1], snapshots[timed_end - 1]
    sent = [(b - a) / args.iterations for a, b in zip(first, last)]
    timed = sorted(seconds[args.warmup : timed_end])
    print(
        f"{args.model}, batch {args.batch}: {1e3 * timed[len(timed) // 2]:.2f} ms per "
        f"iteration unprofiled (median; min {1e3 * timed[0]:.2f}); per iteration "
        f"{sent[0]:.0f} commands, {sent[1]:.1f} submits, {sent[2]:.1f} writes, "
        f"{sent[3]:.1f} bind groups made, {sent[4]:.1f} ms of the main thread's CPU\n"
    )
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats(args.sort).print_stats(args.top)
    print("```")
    print(text.getvalue().strip())
    print("```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
