"""How many launches of Chainer's own kernels find their program in the precompiled cache
(kernels_chainer/) during training, per backend; and, with `--record`, the specialisations
those kernels were called with, for `kernelc cache build` to compile.

    .venv-chainer/bin/python tools/chainer_cache_hits.py [--backends webgpu,webgl]
        [--models mlp,cnn,resnet18] [--batch 4] [--iterations 3] [--record] [--json FILE]

Each backend runs in its own subprocess: the models of tools/bench_chainer.py train for
`--iterations` from fresh programs (`clear_program_cache`) while `_launch.recording()`
notes where each program came from and every device launch is counted. A Chainer kernel is
an `ElementwiseKernel` / `ReductionKernel` called from Chainer's modules (`cuda.elementwise`,
`cuda.reduce`, `cupy.ElementwiseKernel` there); the runtime's own kernels (ufuncs,
reductions, copies, fused functions) are counted apart. A launch hits when its program
came from the precompiled cache, not from kernelc at run time.

`--record` writes every specialisation of a Chainer kernel the runs obtained, hit or miss,
to kernels_chainer/specialisations-VERSION.jsonl (replacing it; rerunning gives the same
file), which kernels_chainer/regenerate.sh passes to `kernelc cache build`.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from kernelc.cache import specialisations as cache_specialisations

SPECIALISATIONS = ROOT / "kernels_chainer" / "specialisations-{version}.jsonl"


def is_chainer(caller: str) -> bool:
    return caller.split(".")[0] == "chainer"


class LaunchCount:
    """Counts the launches of `device` by where their program came from, while recording
    the program lookups (programs in memory are dropped first, so every one is seen)."""

    def __init__(self, device) -> None:
        self.device = device
        self.launches: collections.Counter = collections.Counter()  # (name, chainer, hit)
        self._depth = 0

    def __enter__(self):
        from wgpy_runtime import _launch

        _launch.clear_program_cache()
        self._recording = _launch.recording()
        self.record = self._recording.__enter__()
        self._patch("dispatch", lambda program, *a: program)
        self._patch("launch", lambda prepared, *a: prepared.program)
        return self

    def __exit__(self, *exc) -> None:
        for name in ("dispatch", "launch"):
            self.device.__dict__.pop(name, None)  # the class's method again
        self._recording.__exit__(*exc)

    def _patch(self, name: str, program_of) -> None:
        real = getattr(self.device, name, None)
        if real is None:
            return

        def counted(*args, **kwargs):
            if self._depth == 0:  # a prepared launch may fall back on `dispatch`: once
                self._count(program_of(*args))
            self._depth += 1
            try:
                return real(*args, **kwargs)
            finally:
                self._depth -= 1

        setattr(self.device, name, counted)

    def _count(self, program) -> None:
        found = self.record.of(program)
        if found is None:
            self.launches[(program.name, False, False)] += 1
            return
        chainer = is_chainer(found["caller"])
        self.launches[(found["strings"]["name"], chainer, found["precompiled"])] += 1

    def summary(self) -> dict:
        chainer = {k: n for k, n in self.launches.items() if k[1]}
        hits = sum(n for (_, _, hit), n in chainer.items() if hit)
        total = sum(chainer.values())
        missed = collections.Counter()
        for (name, _, hit), n in chainer.items():
            if not hit:
                missed[name] += n
        runtime = {k: n for k, n in self.launches.items() if not k[1]}
        return {
            "chainer_launches": total,
            "chainer_hits": hits,
            "hit_rate": hits / total if total else None,
            "missed": dict(missed.most_common()),
            "runtime_launches": sum(runtime.values()),
            "runtime_hits": sum(n for (_, _, hit), n in runtime.items() if hit),
        }

    def specialisations(self) -> list[dict]:
        """One record per specialisation of a Chainer kernel this run obtained."""
        return [
            cache_specialisations.record_of(p["kind"], p["strings"], p["spec"])
            for p in self.record.programs.values()
            if is_chainer(p["caller"])
        ]


def measure(backend: str, models: list[str], batch: int, iterations: int) -> dict:
    """Train each model for `iterations` on `backend` (this process: the cupy shim is
    installed, Chainer imported); the launch counts and the specialisations seen."""
    import bench_chainer
    import cupy  # the shim

    import wgpy_runtime

    device = wgpy_runtime.device.get_device(backend)
    wgpy_runtime.device.set_device(device)
    with LaunchCount(device) as count:
        for kind in models:
            data = bench_chainer.make_data(kind)
            bench_chainer.train_timed(kind, cupy, device.synchronize, data, batch, 0, iterations)
    return {"backend": backend, **count.summary(), "specialisations": count.specialisations()}


def run_leg(backend: str, models: list[str], batch: int, iterations: int) -> dict:
    import bench_chainer

    bench_chainer.hide_unloadable_scipy()
    bench_chainer.stub_numpy_distutils()
    os.environ["WGPY_BACKEND"] = backend  # device 0 ('@cupy:0', `to_gpu()`) is this one
    from wgpy_runtime import cupy_shim

    cupy_shim.install(force=True)
    import chainer

    chainer.config.use_cudnn = "never"
    return {**measure(backend, models, batch, iterations), "chainer": chainer.__version__}


def spawn(backend: str, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--leg",
        backend,
        "--models",
        args.models,
        "--batch",
        str(args.batch),
        "--iterations",
        str(args.iterations),
    ]
    env = {**os.environ, "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", "/tmp")}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"{backend}: exit {proc.returncode}:\n{tail}")
    return json.loads(lines[-1])


def table(results: list[dict]) -> str:
    head = (
        "| backend | Chainer-kernel launches | precompiled | hit rate | runtime-kernel "
        "launches (precompiled) | missed Chainer kernels (launches) |"
    )
    lines = [head, "|" + " --- |" * 6]
    for r in results:
        missed = ", ".join(f"{k} {n}" for k, n in list(r["missed"].items())[:8]) or "none"
        rate = "—" if r["hit_rate"] is None else f"{100 * r['hit_rate']:.1f}%"
        lines.append(
            f"| {r['backend']} | {r['chainer_launches']} | {r['chainer_hits']} | "
            f"{rate} | {r['runtime_launches']} ({r['runtime_hits']}) | {missed} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="webgpu,webgl")
    ap.add_argument("--models", default="mlp,cnn,resnet18")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument(
        "--record", action="store_true", help="write kernels_chainer/specialisations-VERSION.jsonl"
    )
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--leg", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    models = args.models.split(",")
    if args.leg:
        print(json.dumps(run_leg(args.leg, models, args.batch, args.iterations)))
        return 0
    results = []
    for backend in args.backends.split(","):
        results.append(spawn(backend, args))
        print(f"{backend}: done", file=sys.stderr, flush=True)
    print(f"models {args.models}, batch {args.batch}, {args.iterations} iterations")
    print(table(results))
    if args.record:
        path = Path(str(SPECIALISATIONS).format(version=results[0]["chainer"]))
        records = [s for r in results for s in r["specialisations"]]
        path.write_text(cache_specialisations.dumps(records))
        print(
            f"wrote {len(path.read_text().splitlines())} specialisations to "
            f"{path.relative_to(ROOT)}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
