"""Reduction launch constants swept on the WebGPU backend, beside CuPy, in one run: each
setting runs in its own process (the constants are read when a program is translated).

    python tools/sweep_reduction.py [--side 8192] [--set unroll=4,target=4096 ...] [--json F]

A setting names any of: unroll (elements a fold loop iteration maps, `UNROLL`), straight
(0: map them in a loop rather than in straight-line code), target (workgroups a split
launch aims at), max_groups (workgroups one output may take), per_group (least elements a
split workgroup keeps), inner (calls queued before each synchronisation, default 10). The
defaults are kernelc.abi.reduction's. GB/s counts the input once, as tools/bench_ops.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ops import _l2_rows  # noqa: E402
from bench_runtime import backends  # noqa: E402

DEFAULT_SETTINGS = [
    "straight=0",
    "unroll=4",
    "unroll=4,inner=50",
    "unroll=8",
    "unroll=16",
    "unroll=8,max_groups=4096,target=8192",
    "unroll=16,max_groups=1024",
]


def apply(setting: str) -> int:
    """Patch the reduction constants before any program is translated; returns `inner`."""
    from kernelc.abi import reduction as rules
    from kernelc.emit import reduction as shell
    from kernelc.emit_wgsl import reduction as emitter

    inner = 10
    for item in filter(None, setting.split(",")):
        key, value = item.split("=")
        if key == "inner":
            inner = int(value)
        elif key == "unroll":
            rules.UNROLL = shell.UNROLL = emitter.UNROLL = int(value)
        elif key == "target":
            rules.SPLIT_RULE = dataclasses.replace(rules.SPLIT_RULE, target_workgroups=int(value))
        elif key == "straight":
            shell.STRAIGHT_MAP_NODES = 64 if int(value) else 0
        elif key == "max_groups":
            rules.SPLIT_RULE = dataclasses.replace(rules.SPLIT_RULE, max_groups=int(value))
        elif key == "per_group":
            rules.SPLIT_RULE = dataclasses.replace(rules.SPLIT_RULE, elements_per_group=int(value))
        else:
            raise SystemExit(f"unknown constant {key!r} in {setting!r}")
    return inner


def cases(xp, side: int) -> dict:
    host = np.random.default_rng(0).random((side, side), dtype=np.float32)
    x, xi = xp.asarray(host), xp.asarray((host * 100).astype(np.int32))
    l2 = _l2_rows(xp)
    return {
        "sum() float32": lambda: x.sum(),
        "sum(axis=1) float32": lambda: x.sum(axis=1),
        "max() float32": lambda: x.max(),
        "argmax() float32": lambda: x.argmax(),
        "sum(axis=1) int32": lambda: xi.sum(axis=1),
        "l2 rows": lambda: l2(x, axis=1),
        "sum(axis=0) float32": lambda: x.sum(axis=0),
    }


def measure(name: str, side: int, inner: int) -> dict:
    nbytes = side * side * 4
    (b,) = [b for b in backends([] if name == "cupy" else ["webgpu"]) if name in b.name]
    if hasattr(b, "device"):
        from wgpy_runtime import device as wdev

        wdev.set_device(b.device)
    return {
        k: round(nbytes / b.time(fn, repeat=7, inner=inner) / 1e9, 1)
        for k, fn in cases(b.xp, side).items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--side", type=int, default=8192)
    ap.add_argument("--set", nargs="*", default=DEFAULT_SETTINGS)
    ap.add_argument("--json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        cupy = args.child == "cupy"
        inner = 10 if cupy else apply(args.child)
        print(json.dumps(measure("cupy" if cupy else "webgpu", args.side, inner)))
        return
    results = {}
    for setting in ["cupy", *args.set]:
        run = subprocess.run(
            [sys.executable, __file__, "--side", str(args.side), "--child", setting],
            capture_output=True,
            text=True,
        )
        if run.returncode:
            print(f"{setting}: failed\n{run.stderr[-2000:]}", flush=True)
            continue
        results[setting] = json.loads(run.stdout.strip().splitlines()[-1])
        print(setting, results[setting], flush=True)
    names = list(next(iter(results.values()), {}))
    print("| workload (GB/s) | " + " | ".join(results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for n in names:
        print(f"| `{n}` | " + " | ".join(str(r.get(n, "")) for r in results.values()) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
