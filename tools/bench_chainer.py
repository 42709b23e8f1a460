"""Time a Chainer 7.8.1 training iteration on NumPy, CuPy (CUDA, when importable) and
wgpy_runtime (WebGPU, WebGL) in one run: the MLP and the CNN of tools/train_chainer.py,
from the same initial weights and batches.

    .venv-chainer/bin/python tools/bench_chainer.py [--backends numpy,cupy,webgpu,webgl]
        [--models mlp,cnn] [--batch 16,256] [--warmup 5] [--iterations 50] [--json FILE]

An iteration is what a Chainer training loop does per batch: copy the batch to the device,
forward, `softmax_cross_entropy`, `cleargrads`, backward, the optimizer's update (MLP:
MomentumSGD, CNN: Adam, as in train_chainer.py), then a device synchronisation. Reported:
the median milliseconds over `--iterations` after `--warmup` iterations (the first one
translates or compiles every kernel), the training loss at the last iteration, and the
loss and accuracy of the trained model on 256 held-out images (train=False, so no dropout).
cuDNN is off on every backend (`use_cudnn = "never"`): all of them run Chainer's own
kernels.

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
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import train_chainer

OPTIMIZER = {"mlp": "momentum_sgd", "cnn": "adam"}
HELD_OUT = {"n": 256, "seed": 1}


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
        return cupy, cupy.cuda.Device().synchronize, {"device": name,
                                                      "cupy": cupy.__version__}  # fmt: skip
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
    model = train_chainer.make_model(kind)
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


def held_out(model, xp) -> tuple[float, float]:
    """(loss, accuracy) of `model` on the held-out images, without dropout."""
    import chainer
    import chainer.functions as F

    images, labels = train_chainer.make_dataset(**HELD_OUT)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = model(xp.asarray(images))
        t = xp.asarray(labels)
        return float(F.softmax_cross_entropy(y, t).array), float(F.accuracy(y, t).array)


def timed_run(kind: str, xp, sync, data, batch: int, warmup: int, iterations: int) -> dict:
    model, losses, seconds = train_timed(kind, xp, sync, data, batch, warmup, iterations)
    loss, accuracy = held_out(model, xp)
    timed = seconds[warmup:]
    return {"ms": 1e3 * statistics.median(timed), "ms_min": 1e3 * min(timed),
            "first_s": seconds[0], "losses": losses, "held_out_loss": loss,
            "held_out_accuracy": accuracy}  # fmt: skip


def run_leg(backend: str, models: list[str], batches: list[int], warmup: int,
            iterations: int) -> dict:  # fmt: skip
    hide_unloadable_scipy()
    stub_numpy_distutils()
    xp, sync, about = activate(backend)
    import chainer

    chainer.config.use_cudnn = "never"
    data = train_chainer.make_dataset()
    counter = None if xp is np or backend == "cupy" else train_chainer.ProgramCounter()
    runs = []
    for kind in models:
        for batch in batches:
            run = {"model": kind, "optimizer": OPTIMIZER[kind], "batch": batch}
            try:
                run.update(timed_run(kind, xp, sync, data, batch, warmup, iterations))
            except Exception as e:  # noqa: BLE001 - report it, go on with the next model
                run["error"] = "".join(traceback.format_exception(e)[-6:])
            runs.append(run)
    if counter is not None:  # kernels the target rejected run on kernelc's interpreter
        about["interpreted"] = counter.interpreted()
        counter.close()
    about.update(numpy=np.__version__, chainer=chainer.__version__,
                 python=platform.python_version())  # fmt: skip
    return {"backend": backend, **about, "runs": runs}


# ---------------------------------------------------------------------------- all backends


def spawn(backend: str, args) -> dict:
    """Run one backend's leg in a fresh interpreter; its result, or why there is none."""
    cmd = [sys.executable, __file__, "--leg", backend, "--models", args.models,
           "--batch", args.batch, "--warmup", str(args.warmup),
           "--iterations", str(args.iterations)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True,
                              timeout=args.timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": f"timed out after {args.timeout} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return {"backend": backend, "error": f"exit {proc.returncode}:\n{tail}"}
    return json.loads(lines[-1])


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
    head = ("| model, batch | backend | ms/iteration (median) | min | first (s) | "
            "loss at last it. | max rel vs numpy | held-out loss / accuracy |")  # fmt: skip
    lines = [head, "|" + " --- |" * 8]
    rows = [(r["model"], r["batch"], res, r) for res in results for r in res.get("runs", [])]
    for model, batch, res, r in sorted(rows, key=lambda x: (x[0] != "mlp", x[1])):
        name = f"| {model.upper()} ({r['optimizer']}), {batch} | {res['backend']} | "
        if "error" in r:
            lines.append(name + "ERROR " + " ".join(r["error"].split()) + " |")
            continue
        rel = r.get("max_rel_vs_numpy")
        lines.append(name + f"{r['ms']:.2f} | {r['ms_min']:.2f} | {r['first_s']:.2f} | "
                     f"{r['losses'][-1]:.6f} | {'—' if rel is None else f'{rel:.1e}'} | "
                     f"{r['held_out_loss']:.4f} / {r['held_out_accuracy']:.3f} |")  # fmt: skip
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
    ap.add_argument("--json", help="write every backend's result here")
    ap.add_argument("--leg", help=argparse.SUPPRESS)  # run one backend, print JSON
    args = ap.parse_args(argv)
    models, batches = args.models.split(","), [int(b) for b in args.batch.split(",")]
    if set(models) - set(OPTIMIZER):
        ap.error(f"--models: choose from {', '.join(OPTIMIZER)}")
    if args.leg:
        print(json.dumps(run_leg(args.leg, models, batches, args.warmup, args.iterations)))
        return 0
    results = []
    for backend in args.backends.split(","):
        results.append(spawn(backend, args))
        print(f"{backend}: {'error' if 'error' in results[-1] else 'done'}", file=sys.stderr,
              flush=True)  # fmt: skip
    compare(results)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
