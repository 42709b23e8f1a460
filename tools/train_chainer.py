"""Train small Chainer 7.8.1 models on wgpy_runtime (through the cupy shim) and on the CPU
from the same initial weights and batches, and compare the losses iteration by iteration.

    .venv-chainer/bin/python tools/train_chainer.py --model cnn --backend webgl
    .venv-chainer/bin/python tools/train_chainer.py --model mlp --optimizer adam --json

(`bash tools/chainer_env.sh` builds `.venv-chainer`: Chainer needs numpy<2.) The data are
generated here, deterministically: 16x16 single-channel images of oriented stripes, one
orientation per class, with random phase, contrast and noise. Dropout draws the same
numbers on both sides (`numpy.random` and `cupy.random` seeded alike; wgpy_runtime's
random numbers are NumPy's), so the two runs compute the same function and differ only
by float32 rounding.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import numpy as np

CLASSES = 4
SIZE = 16
SEED = 0
# Loss agreement GPU vs CPU, per iteration: |gpu - cpu| <= ATOL + rtol * |cpu|, with
# RTOL_EARLY over the first EARLY iterations and RTOL over all of them. float32 training
# amplifies rounding: on the CPU alone, weights perturbed by one ulp move the CNN/Adam loss
# by 1.6e-3 (relative) by iteration 50 (`cpu_sensitivity`; docs/chainer.md).
EARLY, RTOL_EARLY, RTOL, ATOL = 10, 1e-4, 5e-3, 1e-4


def make_dataset(n: int = 512, size: int = SIZE, seed: int = SEED):
    """(images float32 (n, 1, size, size), labels int32 (n,)): class k is stripes at
    angle k*pi/CLASSES, random phase and contrast, Gaussian noise."""
    rng = np.random.RandomState(seed)
    labels = (np.arange(n) % CLASSES).astype(np.int32)
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    theta = labels[:, None, None] * np.pi / CLASSES
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    contrast = rng.uniform(0.5, 1.5, (n, 1, 1))
    wave = np.sin(2 * np.pi * 3 * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
    images = contrast * wave + rng.normal(0, 0.5, (n, size, size))
    return images[:, None].astype(np.float32), labels


def make_model(kind: str):
    import chainer
    import chainer.functions as F
    import chainer.links as L

    class MLP(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(SIZE * SIZE, 64)
                self.l2 = L.Linear(64, 32)
                self.l3 = L.Linear(32, CLASSES)

        def forward(self, x):
            h = F.relu(self.l1(x))
            h = F.dropout(F.relu(self.l2(h)), 0.2)
            return self.l3(h)

    class CNN(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c1 = L.Convolution2D(1, 8, 3, pad=1)
                self.bn1 = L.BatchNormalization(8)
                self.c2 = L.Convolution2D(8, 16, 3, pad=1)
                self.bn2 = L.BatchNormalization(16)
                self.l1 = L.Linear(16 * (SIZE // 4) ** 2, 32)
                self.l2 = L.Linear(32, CLASSES)

        def forward(self, x):
            h = F.max_pooling_2d(F.relu(self.bn1(self.c1(x))), 2)
            h = F.average_pooling_2d(F.relu(self.bn2(self.c2(h))), 2)
            h = F.dropout(F.relu(self.l1(h)), 0.2)
            return self.l2(h)

    return {"mlp": MLP, "cnn": CNN}[kind]()


def make_optimizer(kind: str):
    import chainer

    if kind == "momentum_sgd":
        return chainer.optimizers.MomentumSGD(lr=0.05, momentum=0.9)
    return chainer.optimizers.Adam(alpha=2e-3)


def train(model, optimizer, xp, images, labels, iterations: int, batch: int, seed: int):
    """Per-iteration losses and seconds; `xp` is numpy or cupy (the shim)."""
    import chainer.functions as F

    optimizer.setup(model)
    xp.random.seed(seed)  # dropout masks: the same draws on both sides
    losses, seconds = [], []
    n = len(labels)
    for it in range(iterations):
        start = time.perf_counter()
        idx = np.arange(it * batch, (it + 1) * batch) % n
        x, t = xp.asarray(images[idx]), xp.asarray(labels[idx])
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))  # reads back: the iteration's work is done
        seconds.append(time.perf_counter() - start)
    return losses, seconds


def ulp_perturbed(model, seed: int = 1):
    """A copy of `model` with every parameter moved by one float32 ulp (random sign)."""
    rng = np.random.RandomState(seed)
    other = copy.deepcopy(model)
    for p in other.params():
        sign = rng.choice([-1, 1], p.shape).astype(np.float32)
        p.array *= 1 + sign * np.float32(2**-23)
    return other


def within(cpu, gpu) -> bool:
    cpu, gpu = np.asarray(cpu), np.asarray(gpu)
    ok = np.abs(gpu - cpu) <= ATOL + RTOL * np.abs(cpu)
    early = np.abs(gpu - cpu)[:EARLY] <= ATOL + RTOL_EARLY * np.abs(cpu[:EARLY])
    return bool(ok.all() and early.all())


def max_rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float((np.abs(a - b) / np.maximum(np.abs(a), ATOL)).max())


class ProgramCounter:
    """How the run's programs were obtained: precompiled cache hits, kernelc
    translations, and kernels the target rejected (IR interpreter)."""

    def __init__(self) -> None:
        from wgpy_runtime import _fallback, _launch

        self.hits = self.translated = 0
        self.names: set[str] = set()  # kernels whose programs this run needed first
        self._launch, self._fallback = _launch, _fallback
        self._pre, self._tr = _launch._precompiled, _launch._translate
        self._interp = (_fallback.interpret_elementwise, _fallback.interpret_reduction)
        self.interpreted_names: set[str] = set()

        def precompiled(*a):
            self.names.add(a[1]["name"])
            found = self._pre(*a)
            self.hits += found is not None
            return found

        def translate(*a):
            self.translated += 1
            return self._tr(*a)

        def interpreted(real):
            def run(kernel, *a):
                self.interpreted_names.add(kernel.name)
                return real(kernel, *a)

            return run

        _launch._precompiled, _launch._translate = precompiled, translate
        _fallback.interpret_elementwise = interpreted(self._interp[0])
        _fallback.interpret_reduction = interpreted(self._interp[1])

    def interpreted(self) -> list[str]:
        return sorted(self.interpreted_names)

    def close(self) -> None:
        self._launch._precompiled, self._launch._translate = self._pre, self._tr
        self._fallback.interpret_elementwise, self._fallback.interpret_reduction = self._interp


def run(
    model_kind: str,
    optimizer_kind: str,
    backend: str,
    iterations: int = 50,
    batch: int = 16,
    seed: int = SEED,
) -> dict:
    """Train on the CPU and on `backend` from the same weights; the comparison as a dict."""
    import wgpy_runtime
    from wgpy_runtime import cupy_shim

    cupy = cupy_shim.install()
    wgpy_runtime.device.set_device(backend)
    import chainer

    chainer.config.use_cudnn = "never"
    images, labels = make_dataset()
    np.random.seed(seed)
    cpu_model = make_model(model_kind)
    gpu_model, nudged = copy.deepcopy(cpu_model), ulp_perturbed(cpu_model)
    cpu_loss, cpu_time = train(
        cpu_model, make_optimizer(optimizer_kind), np, images, labels, iterations, batch, seed
    )
    nudged_loss, _ = train(
        nudged, make_optimizer(optimizer_kind), np, images, labels, iterations, batch, seed
    )
    gpu_model.to_gpu()
    counter = ProgramCounter()
    try:
        gpu_loss, gpu_time = train(
            gpu_model, make_optimizer(optimizer_kind), cupy, images, labels, iterations, batch, seed
        )
    finally:
        counter.close()
    return {
        "model": model_kind,
        "optimizer": optimizer_kind,
        "backend": backend,
        "iterations": iterations,
        "batch": batch,
        "cpu_loss": cpu_loss,
        "gpu_loss": gpu_loss,
        "max_rel_diff": max_rel(cpu_loss, gpu_loss),
        "max_rel_diff_early": max_rel(cpu_loss[:EARLY], gpu_loss[:EARLY]),
        "cpu_sensitivity": max_rel(cpu_loss, nudged_loss),
        "within_tolerance": within(cpu_loss, gpu_loss),
        "gpu_first_s": gpu_time[0],
        "gpu_iter_s": float(np.median(gpu_time[1:])),
        "cpu_iter_s": float(np.median(cpu_time[1:])),
        "programs_precompiled": counter.hits,
        "programs_translated": counter.translated,
        "interpreted": counter.interpreted(),
        "kernels": sorted(counter.names),
    }


def report(r: dict) -> str:
    head = f"{r['model']} / {r['optimizer']} on {r['backend']}: {r['iterations']} iterations"
    lines = [f"{head}, batch {r['batch']}"]
    for it in sorted({1, 10, r["iterations"]}):
        lines.append(
            f"  iteration {it:3d}: loss cpu {r['cpu_loss'][it - 1]:.6f}  "
            f"gpu {r['gpu_loss'][it - 1]:.6f}"
        )
    lines.append(
        f"  max relative difference {r['max_rel_diff_early']:.1e} over iterations "
        f"1-{EARLY}, {r['max_rel_diff']:.1e} over all: "
        f"{'within' if r['within_tolerance'] else 'OUTSIDE'} the tolerance "
        f"(rtol {RTOL_EARLY:g} then {RTOL:g}, atol {ATOL:g})"
    )
    lines.append(f"  cpu alone, weights moved by one ulp: {r['cpu_sensitivity']:.1e}")
    lines.append(
        f"  time per iteration: gpu {r['gpu_iter_s'] * 1e3:.1f} ms (first "
        f"{r['gpu_first_s']:.2f} s), cpu {r['cpu_iter_s'] * 1e3:.1f} ms"
    )
    lines.append(
        f"  programs: {r['programs_precompiled']} precompiled, "
        f"{r['programs_translated']} translated; interpreted kernels: "
        f"{', '.join(r['interpreted']) or 'none'}"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    ap.add_argument(
        "--optimizer",
        choices=("momentum_sgd", "adam"),
        default=None,
        help="default: momentum_sgd for mlp, adam for cnn",
    )
    ap.add_argument("--backend", choices=("webgpu", "webgl"), default="webgpu")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    os.environ["WGPY_BACKEND"] = args.backend  # device 0 (`to_gpu()`, '@cupy:0') is this one
    optimizer = args.optimizer or ("momentum_sgd" if args.model == "mlp" else "adam")
    r = run(args.model, optimizer, args.backend, args.iterations, args.batch)
    print(json.dumps(r) if args.json else report(r))
    return 0 if r["within_tolerance"] else 1


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
