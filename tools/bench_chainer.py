"""Time a Chainer 7.8.1 training iteration on NumPy, CuPy (CUDA, when importable) and
wgpy_runtime (WebGPU, WebGL) in one run: the MLP and the CNN of tools/train_chainer.py
and ResNet-18 on CIFAR-100-shaped images, from the same initial weights and batches.

    .venv-chainer/bin/python tools/bench_chainer.py [--backends numpy,cupy,webgpu,webgl]
        [--models mlp,cnn,resnet18] [--batch 16,256] [--warmup 5] [--iterations 50]
        [--rounds 1] [--json FILE]

ResNet-18 is the CIFAR variant (a 3x3 stem without max-pooling, four stages of two basic
blocks with 64-512 channels, global average pooling, 100 classes) built from Chainer's
links (`Convolution2D`, `BatchNormalization`, `Linear`), randomly initialised, trained
with MomentumSGD on synthetic 3x32x32 images made here (`make_cifar100`).

An iteration is what a Chainer training loop does per batch: copy the batch to the device,
forward, `softmax_cross_entropy`, `cleargrads`, backward, the optimizer's update (MLP:
MomentumSGD, CNN: Adam, as in train_chainer.py; ResNet-18: MomentumSGD), then a device synchronisation. Reported:
the median milliseconds over `--iterations` after `--warmup` iterations (the first one
translates or compiles every kernel), the training loss at the last iteration, and the
loss and accuracy of the trained model on held-out images (256; ResNet-18: 64), with
train=False (no dropout, BatchNormalization's running statistics).
cuDNN is off on every backend (`use_cudnn = "never"`): all of them run Chainer's own
kernels.

A backend spelled `webgpu@DIR` is webgpu with the wgpy_runtime of the tree in DIR (an
older commit's `git archive`): an older tree and this one timed in one run.

Every backend runs in its own subprocess (`--leg`): `chainer.backends.cuda` binds `cupy`
when Chainer is imported, so a real CuPy and the cupy shim cannot share a process. NumPy
and wgpy_runtime draw the same dropout masks (wgpy_runtime's random numbers are NumPy's),
so their losses agree to float32 rounding (`max rel vs numpy`); CuPy's masks come from
cuRAND, so its losses only agree in size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import types
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OLDER_TREE = "BENCH_CHAINER_TREE"  # a leg's older tree (`BACKEND@DIR`), imported first
sys.path[:0] = [p for p in (os.environ.get(OLDER_TREE), str(ROOT), str(ROOT / "tools")) if p]

import train_chainer

OPTIMIZER = {"mlp": "momentum_sgd", "cnn": "adam", "resnet18": "momentum_sgd"}
HELD_OUT = {"mlp": 256, "cnn": 256, "resnet18": 64}  # images, drawn with seed 1
# Evaluated 16 images at a time: ResNet-18's first im2col for 64 images (151 MB) exceeds
# the 128 MiB storage binding some WebGPU adapters allow.
HELD_OUT_CHUNK = 16
RESNET_CLASSES, RESNET_SIZE = 100, 32


# ---------------------------------------------------------------------------- models


def make_model(kind: str):
    return make_resnet18() if kind == "resnet18" else train_chainer.make_model(kind)


def make_data(kind: str, n: int = 512, seed: int = train_chainer.SEED):
    """(images, labels) for `kind`: train_chainer's stripes, or CIFAR-100-shaped images."""
    if kind == "resnet18":
        return make_cifar100(n, seed)
    return train_chainer.make_dataset(n, seed=seed)


def make_cifar100(n: int, seed: int):
    """(images float32 (n, 3, 32, 32), labels int32 (n,)), deterministic: class k is a
    colour and an oriented stripe pattern of its own (fixed by the class, not by `seed`),
    with random contrast and Gaussian noise — learnable, CIFAR-100's shapes."""
    classes = np.random.RandomState(12345)
    colour = classes.uniform(-1, 1, (RESNET_CLASSES, 3, 1, 1))
    angle = classes.uniform(0, np.pi, (RESNET_CLASSES, 1, 1))
    freq = classes.uniform(1, 5, (RESNET_CLASSES, 1, 1))
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, RESNET_CLASSES, n).astype(np.int32)
    yy, xx = np.mgrid[0:RESNET_SIZE, 0:RESNET_SIZE].astype(np.float64) / RESNET_SIZE
    a, f = angle[labels], freq[labels]
    wave = np.sin(2 * np.pi * f * (xx * np.cos(a) + yy * np.sin(a)))[:, None]
    contrast = rng.uniform(0.5, 1.5, (n, 1, 1, 1))
    images = contrast * colour[labels] * wave + rng.normal(0, 0.5, (n, 3, RESNET_SIZE, RESNET_SIZE))
    return images.astype(np.float32), labels


def make_resnet18(classes: int = RESNET_CLASSES):
    """ResNet-18 for 32x32 inputs (He et al.'s CIFAR stem: one 3x3 convolution, no
    max-pooling) from Chainer's links; no pretrained weights."""
    import chainer
    import chainer.functions as F
    import chainer.links as L

    class BasicBlock(chainer.Chain):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.projection = stride != 1 or cin != cout  # else the identity shortcut
            with self.init_scope():
                self.c1 = L.Convolution2D(cin, cout, 3, stride, 1, nobias=True)
                self.bn1 = L.BatchNormalization(cout)
                self.c2 = L.Convolution2D(cout, cout, 3, 1, 1, nobias=True)
                self.bn2 = L.BatchNormalization(cout)
                if self.projection:
                    self.sc = L.Convolution2D(cin, cout, 1, stride, 0, nobias=True)
                    self.sc_bn = L.BatchNormalization(cout)

        def forward(self, x):
            h = F.relu(self.bn1(self.c1(x)))
            h = self.bn2(self.c2(h))
            return F.relu(h + (self.sc_bn(self.sc(x)) if self.projection else x))

    class ResNet18(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.conv = L.Convolution2D(3, 64, 3, 1, 1, nobias=True)
                self.bn = L.BatchNormalization(64)
                self.blocks = chainer.ChainList()
                cin = 64
                for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                    for k in range(2):
                        self.blocks.add_link(BasicBlock(cin, cout, stride if k == 0 else 1))
                        cin = cout
                self.fc = L.Linear(512, classes)

        def forward(self, x):
            h = F.relu(self.bn(self.conv(x)))
            for block in self.blocks:
                h = block(h)
            return self.fc(F.average(h, axis=(2, 3)))

    return ResNet18()


# ---------------------------------------------------------------------------- one backend


def stub_numpy_distutils() -> None:
    """Chainer's import-time environment check imports `numpy.distutils.system_info`
    (used only on macOS); NumPy has no `numpy.distutils` on Python >= 3.12."""
    try:
        with warnings.catch_warnings():  # deprecated since NumPy 1.23
            warnings.simplefilter("ignore", DeprecationWarning)
            import numpy.distutils.system_info  # noqa: F401
    except ImportError:
        info = types.ModuleType("numpy.distutils.system_info")
        info.get_info = lambda name, notfound_action=0: {}
        package = types.ModuleType("numpy.distutils")
        package.system_info = info
        sys.modules.update({"numpy.distutils": package, "numpy.distutils.system_info": info})
        np.distutils = package


def hide_unloadable_scipy() -> None:
    """Chainer and CuPy import SciPy if they can and go without it on an ImportError. A
    SciPy built for NumPy 2 fails on NumPy 1.x with an AttributeError instead, which they
    do not catch: hide such a SciPy, so that `import scipy` raises ImportError."""
    try:
        import scipy.linalg
        import scipy.sparse
        import scipy.special  # noqa: F401
    except ImportError:
        return
    except Exception:  # noqa: BLE001 - whatever it raises, this SciPy cannot be used
        for name in [n for n in sys.modules if n.split(".")[0] == "scipy"]:
            del sys.modules[name]
        sys.modules["scipy"] = None


def activate(backend: str) -> tuple[object, object, dict]:
    """(xp, synchronise, description) for `backend`, set up before Chainer is imported."""
    if backend == "numpy":
        return np, lambda: None, {"device": cpu_name()}
    if backend == "cupy":
        try:
            import cupy
        except ImportError as e:
            raise SystemExit(f"CuPy is not importable: {e}") from e

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return cupy, cupy.cuda.Device().synchronize, {"device": name, "cupy": cupy.__version__}
    os.environ["WGPY_BACKEND"] = backend  # device 0 ('@cupy:0', `to_gpu()`) is this one
    import wgpy_runtime
    from wgpy_runtime import cupy_shim

    # This subprocess only ever runs the shim: hiding a real CuPy here is intended.
    cupy = cupy_shim.install(force=True)
    device = wgpy_runtime.device.get_device(backend)
    wgpy_runtime.device.set_device(device)
    return cupy, device.synchronize, {"device": describe(device)}


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        name = next(x.split(":", 1)[1].strip() for x in lines if x.startswith("model name"))
    except (OSError, StopIteration):
        name = platform.machine()
    return f"{name}, {os.cpu_count()} cores"


def describe(device) -> str:
    """The adapter (WebGPU) or renderer (WebGL) name."""
    info = getattr(device, "adapter_info", None)
    if info:
        return f"{info.get('device', '')} ({info.get('backend_type', '')})".strip()
    ctx = getattr(device, "ctx", None)
    return ctx.info.get("GL_RENDERER", "?") if ctx is not None else "?"


def train_timed(kind: str, xp, sync, data, batch: int, warmup: int, iterations: int):
    """The model after `warmup + iterations` iterations, per-iteration losses and seconds."""
    import chainer.functions as F

    images, labels = data
    np.random.seed(train_chainer.SEED)  # the same initial weights on every backend
    model = make_model(kind)
    if xp is not np:
        model.to_gpu()
    optimizer = train_chainer.make_optimizer(OPTIMIZER[kind])
    optimizer.setup(model)
    xp.random.seed(train_chainer.SEED)
    losses, seconds = [], []
    for it in range(warmup + iterations):
        idx = np.arange(it * batch, (it + 1) * batch) % len(labels)
        start = time.perf_counter()
        x, t = xp.asarray(images[idx]), xp.asarray(labels[idx])
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sync()
        seconds.append(time.perf_counter() - start)
        losses.append(loss.array)
    return model, [float(v) for v in losses], seconds


def held_out(kind: str, model, xp) -> tuple[float, float]:
    """(loss, accuracy) of `model` on the held-out images, without dropout."""
    import chainer
    import chainer.functions as F

    images, labels = make_data(kind, HELD_OUT[kind], seed=1)
    losses, accuracies = [], []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for k in range(0, len(labels), HELD_OUT_CHUNK):  # equal chunks: the mean is the mean
            y = model(xp.asarray(images[k : k + HELD_OUT_CHUNK]))
            t = xp.asarray(labels[k : k + HELD_OUT_CHUNK])
            losses.append(float(F.softmax_cross_entropy(y, t).array))
            accuracies.append(float(F.accuracy(y, t).array))
    return float(np.mean(losses)), float(np.mean(accuracies))


def timed_run(kind: str, xp, sync, data, batch: int, warmup: int, iterations: int) -> dict:
    model, losses, seconds = train_timed(kind, xp, sync, data, batch, warmup, iterations)
    loss, accuracy = held_out(kind, model, xp)
    timed = seconds[warmup:]
    return {
        "ms": 1e3 * statistics.median(timed),
        "ms_min": 1e3 * min(timed),
        "first_s": seconds[0],
        "losses": losses,
        "held_out_loss": loss,
        "held_out_accuracy": accuracy,
    }


def run_leg(
    backend: str, models: list[str], batches: list[int], warmup: int, iterations: int
) -> dict:
    hide_unloadable_scipy()
    stub_numpy_distutils()
    xp, sync, about = activate(backend)
    import chainer

    chainer.config.use_cudnn = "never"
    counter = None if xp is np or backend == "cupy" else train_chainer.ProgramCounter()
    if counter is not None:
        about["wgpy_runtime"] = str(Path(sys.modules["wgpy_runtime"].__file__).parents[1])
    runs = []
    for kind in models:
        for batch in batches:
            run = {"model": kind, "optimizer": OPTIMIZER[kind], "batch": batch}
            try:
                data = make_data(kind)
                run.update(timed_run(kind, xp, sync, data, batch, warmup, iterations))
            except Exception as e:  # noqa: BLE001 - report it, go on with the next model
                run["error"] = "".join(traceback.format_exception(e)[-6:])
            runs.append(run)
    if counter is not None:  # kernels the target rejected run on kernelc's interpreter
        about["interpreted"] = counter.interpreted()
        counter.close()
    about.update(
        numpy=np.__version__, chainer=chainer.__version__, python=platform.python_version()
    )
    return {"backend": backend, **about, "runs": runs}


# ---------------------------------------------------------------------------- all backends


def spawn(backend: str, args) -> dict:
    """Run one backend's leg in a fresh interpreter; its result, or why there is none.
    `BACKEND@DIR` runs BACKEND with the wgpy_runtime of the tree in DIR (an older commit's
    `git archive`) ahead of this one's, so both are timed in the same run."""
    name, _, tree = backend.partition("@")
    env = dict(os.environ, **{OLDER_TREE: str(Path(tree).resolve())}) if tree else None
    cmd = [
        sys.executable,
        __file__,
        "--leg",
        name,
        "--models",
        args.models,
        "--batch",
        args.batch,
        "--warmup",
        str(args.warmup),
        "--iterations",
        str(args.iterations),
    ]
    try:
        proc = subprocess.run(
            cmd, check=False, capture_output=True, text=True, timeout=args.timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": f"timed out after {args.timeout} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return {"backend": backend, "error": f"exit {proc.returncode}:\n{tail}"}
    return {**json.loads(lines[-1]), "backend": backend}


def compare(results: list[dict]) -> None:
    """Add each run's largest relative loss difference from NumPy's same run (not CuPy's:
    its dropout masks are cuRAND's)."""
    ref = next((r for r in results if r["backend"] == "numpy" and "runs" in r), None)
    if ref is None:
        return
    by_key = {(r["model"], r["batch"]): r["losses"] for r in ref["runs"] if "losses" in r}
    for result in results:
        if result["backend"] == "cupy":
            continue
        for r in result.get("runs", []):
            cpu = by_key.get((r["model"], r["batch"]))
            if cpu is not None and len(cpu) == len(r.get("losses", ())):
                r["max_rel_vs_numpy"] = train_chainer.max_rel(cpu, r["losses"])


def table(results: list[dict]) -> str:
    head = (
        "| model, batch | backend | ms/iteration (median) | min | first (s) | "
        "loss at last it. | max rel vs numpy | held-out loss / accuracy |"
    )
    lines = [head, "|" + " --- |" * 8]
    rows = [(r["model"], r["batch"], res, r) for res in results for r in res.get("runs", [])]
    order = list(OPTIMIZER)
    for model, batch, res, r in sorted(rows, key=lambda x: (order.index(x[0]), x[1])):
        name = f"| {model.upper()} ({r['optimizer']}), {batch} | {res['backend']} | "
        if "error" in r:
            lines.append(name + "ERROR " + " ".join(r["error"].split()) + " |")
            continue
        rel = r.get("max_rel_vs_numpy")
        lines.append(
            name + f"{r['ms']:.2f} | {r['ms_min']:.2f} | {r['first_s']:.2f} | "
            f"{r['losses'][-1]:.6f} | {'—' if rel is None else f'{rel:.1e}'} | "
            f"{r['held_out_loss']:.4f} / {r['held_out_accuracy']:.3f} |"
        )
    for res in results:  # versions and device names, or the error
        if "error" in res:
            lines.append(f"{res['backend']}: ERROR {res['error']}")
            continue
        about = ", ".join(f"{k} {v}" for k, v in res.items() if k not in ("runs", "backend"))
        lines.append(f"{res['backend']}: {about}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="numpy,cupy,webgpu,webgl")
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--batch", default="16", help="comma-separated batch sizes")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per backend")
    ap.add_argument(
        "--rounds", type=int, default=1, help="run the backends' legs this many times, alternating"
    )
    ap.add_argument("--json", help="write every backend's result here (a list per round)")
    ap.add_argument("--leg", help=argparse.SUPPRESS)  # run one backend, print JSON
    args = ap.parse_args(argv)
    models, batches = args.models.split(","), [int(b) for b in args.batch.split(",")]
    if set(models) - set(OPTIMIZER):
        ap.error(f"--models: choose from {', '.join(OPTIMIZER)}")
    if args.leg:
        print(json.dumps(run_leg(args.leg, models, batches, args.warmup, args.iterations)))
        return 0
    rounds = []
    for k in range(args.rounds):
        results = []
        for backend in args.backends.split(","):
            results.append(spawn(backend, args))
            state = "error" if "error" in results[-1] else "done"
            print(f"{backend}: {state} (round {k + 1})", file=sys.stderr, flush=True)
        compare(results)
        print(table(results))
        rounds.append(results)
    if args.rounds > 1:
        backends = args.backends.split(",")
        print(ratios(rounds, "cupy" if "cupy" in backends else backends[0]))
    if args.json:
        Path(args.json).write_text(json.dumps(rounds[0] if args.rounds == 1 else rounds, indent=1))
    return 0


def ratios(rounds: list[list[dict]], reference: str) -> str:
    """Each backend's median ms over `reference`'s in the same round, per model and batch:
    the median of the rounds' ratios and their range (hosts whose speed drifts between
    legs move every ratio; alternating the legs and taking the median evens that out)."""
    per: dict[tuple, list[float]] = {}
    for results in rounds:
        ms = {
            (res["backend"], r["model"], r["batch"]): r["ms"]
            for res in results
            for r in res.get("runs", [])
            if "ms" in r
        }
        for (backend, model, batch), value in ms.items():
            ref = ms.get((reference, model, batch))
            if backend != reference and ref:
                per.setdefault((model, batch, backend), []).append(value / ref)
    lines = [
        f"| model, batch | backend | / {reference}, median of {len(rounds)} rounds | range |",
        "| --- | --- | ---: | --- |",
    ]
    order = list(OPTIMIZER)
    for (model, batch, backend), values in sorted(
        per.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1], kv[0][2])
    ):
        lines.append(
            f"| {model.upper()}, {batch} | {backend} | {statistics.median(values):.2f}× | "
            f"{min(values):.2f}–{max(values):.2f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
