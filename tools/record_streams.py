"""Record protocol command streams (docs/protocol.md "Command streams") of real runs on
the native devices, for replay elsewhere (tests/browser replays them on the browser
executors):

    python tools/record_streams.py                      # corpus-<backend>.json.gz, both backends
    .venv-chainer/bin/python tools/record_streams.py --chainer   # chainer-step-<backend>.json.gz
    python tools/record_streams.py --chainer            # the same, re-run under .venv-chainer

The corpus stream runs every kernel of the compiler's differential corpus
(tests/compiler/kernel_corpus.py) through `wgpy_runtime.ElementwiseKernel`, each after a
mark naming it, and checks the native result against the kernel's NumPy reference while
recording; kernels the runtime cannot run on the backend's target are skipped and listed.
The Chainer stream is two training iterations of tools/train_chainer.py's MLP (Chainer
7.8.1 through the cupy shim), which needs `.venv-chainer` (numpy<2; `bash
tools/chainer_env.sh`), checked against the same training on the CPU.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "streams"
CHAINER_VENV = Path(os.environ.get("WGPY_CHAINER_VENV", ROOT / ".venv-chainer"))
BACKENDS = ("webgpu", "webgl")
CHAINER_ITERATIONS, CHAINER_BATCH = 2, 16

for _path in (ROOT, ROOT / "tools"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@dataclass
class Report:
    """What one recording did: the kernels (or steps) recorded, those skipped and why,
    and those whose native result disagreed with the reference."""

    name: str
    recorded: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        head = (
            f"{self.name}: {len(self.recorded)} recorded, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed ({self.seconds:.1f} s)"
        )
        lines = [head]
        lines += [f"  skipped {k}: {why}" for k, why in self.skipped.items()]
        lines += [f"  FAILED {k}: {why}" for k, why in self.failed.items()]
        return "\n".join(lines)


# ---------------------------------------------------------------------------- the corpus


def record_corpus(backend: str, device=None):
    """(RecordingDevice, Report): every corpus kernel run on `backend` (a fresh native
    device unless `device` is given), recorded."""
    import numpy as np

    import wgpy_runtime as wp
    from tests.compiler.kernel_corpus import CORPUS
    from wgpy_runtime.device import create_device
    from wgpy_runtime.device.recording import RecordingDevice

    rec = RecordingDevice(device if device is not None else create_device(backend))
    report, start = Report(f"corpus on {backend}"), time.perf_counter()
    with wp.use_device(rec), np.errstate(all="ignore"):
        for kernel in CORPUS:
            if rec.target not in kernel.targets:
                report.skipped[kernel.name] = f"not supported on {rec.target}"
                continue
            rec.mark(kernel.name)
            outcome = _run_and_check(kernel)
            if outcome is None:
                report.recorded.append(kernel.name)
            elif outcome.startswith("skip: "):
                report.skipped[kernel.name] = outcome.removeprefix("skip: ")
            else:
                report.failed[kernel.name] = outcome
    report.seconds = time.perf_counter() - start
    return rec, report


def _run_and_check(kernel) -> str | None:
    """None when the kernel ran on the device and matched its reference; else why not
    ("skip: ..." when the runtime could not run it on the device)."""
    import numpy as np

    import wgpy_runtime as wp
    from tests.compiler.test_differential import assert_matches

    args = kernel.args()
    device_args = [wp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    call = wp.ElementwiseKernel(
        kernel.in_params,
        kernel.out_params,
        kernel.operation,
        kernel.name,
        preamble=kernel.preamble,
        loop_prep=kernel.loop_prep,
        after_loop=kernel.after_loop,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", wp.PerformanceWarning)
        try:
            result = call(*device_args, size=kernel.size)
        except Exception as e:  # noqa: BLE001  (whatever stops the runtime is reported)
            return f"skip: {type(e).__name__}: {e}"
    if any(issubclass(w.category, wp.PerformanceWarning) for w in caught):
        return "skip: the runtime ran it on the IR interpreter"
    results = result if isinstance(result, tuple) else (result,)
    actual = tuple(r.get() for r in results)
    expected = kernel.reference(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    try:
        assert_matches(kernel, actual if len(actual) > 1 else actual[0], expected)
    except AssertionError as e:
        return str(e).strip().splitlines()[0][:300]
    return None


def corpus_tolerances() -> dict[str, tuple[float, float]]:
    """Each corpus kernel's float tolerance (rtol, atol), by name (= its mark)."""
    from tests.compiler.kernel_corpus import CORPUS

    return {k.name: (k.rtol, k.atol) for k in CORPUS}


# --------------------------------------------------------------------------- Chainer


def chainer_here() -> bool:
    """Whether this interpreter can run Chainer 7.8.1 (numpy<2 and chainer importable)."""
    import numpy as np

    return int(np.__version__.split(".")[0]) < 2 and importlib.util.find_spec("chainer") is not None


def record_chainer(backend: str, iterations: int = CHAINER_ITERATIONS, batch: int = CHAINER_BATCH):
    """(RecordingDevice, Report): `iterations` of MomentumSGD training of
    tools/train_chainer.py's MLP on `backend`, checked against the same steps on the CPU.
    Call in a fresh process: the recorder must become the backend's device before the
    runtime creates one (Chainer finds it as CuPy device 0)."""
    import numpy as np

    os.environ["WGPY_BACKEND"] = backend  # CuPy device 0 (`to_gpu()`) is this backend
    from wgpy_runtime import cupy_shim
    from wgpy_runtime import device as devices
    from wgpy_runtime.device.recording import RecordingDevice

    rec = RecordingDevice(devices.create_device(backend))
    devices.set_device(rec)
    if devices.get_device(backend) is not rec:
        raise RuntimeError(f"a {backend} device existed before the recorder; use a fresh process")
    cupy = cupy_shim.install()
    import chainer
    import train_chainer as tc

    chainer.config.use_cudnn = "never"
    report, start = Report(f"chainer MLP step on {backend}"), time.perf_counter()
    images, labels = tc.make_dataset()
    np.random.seed(tc.SEED)
    cpu_model = tc.make_model("mlp")
    gpu_model = copy.deepcopy(cpu_model)
    cpu_loss, _ = tc.train(
        cpu_model, tc.make_optimizer("momentum_sgd"), np, images, labels, iterations, batch, tc.SEED
    )
    rec.mark("to_gpu")
    gpu_model.to_gpu()
    gpu_loss = _train_marked(rec, gpu_model, cupy, images, labels, iterations, batch)
    report.recorded += [f"iteration {k + 1}" for k in range(iterations)]
    if not tc.within(cpu_loss, gpu_loss):
        report.failed["loss"] = f"gpu {gpu_loss} vs cpu {cpu_loss}"
    rec.mark("parameters")
    for (name, p), (_, q) in zip(sorted(gpu_model.namedparams()), sorted(cpu_model.namedparams())):
        got = cupy.asnumpy(p.array)
        if not np.allclose(got, q.array, rtol=1e-4, atol=1e-5):
            report.failed[name] = f"max |gpu - cpu| {np.abs(got - q.array).max():.2e}"
    report.recorded.append("parameters")
    report.seconds = time.perf_counter() - start
    return rec, report


def _train_marked(rec, model, cupy, images, labels, iterations: int, batch: int) -> list:
    """`train_chainer.train` on the device, with a mark before each iteration."""
    import chainer.functions as F
    import numpy as np
    import train_chainer as tc

    optimizer = tc.make_optimizer("momentum_sgd")
    optimizer.setup(model)
    cupy.random.seed(tc.SEED)  # the dropout masks the CPU run drew
    losses = []
    for it in range(iterations):
        rec.mark(f"iteration {it + 1}")
        idx = np.arange(it * batch, (it + 1) * batch) % len(labels)
        x, t = cupy.asarray(images[idx]), cupy.asarray(labels[idx])
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))
    return losses


def chainer_in_venv(backends, out: Path, python: Path = CHAINER_VENV / "bin" / "python"):
    """Run `--chainer` for `backends` under the Chainer venv's interpreter, one process
    per backend (the recorder must be the process's first device). Returns the reports'
    text; raises CalledProcessError when a recording fails."""
    if not python.exists():
        raise FileNotFoundError(
            f"no Chainer venv at {python.parents[1]} (build it with: bash tools/chainer_env.sh)"
        )
    env = dict(os.environ)
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    texts = []
    for backend in backends:
        cmd = [
            str(python),
            str(Path(__file__).resolve()),
            "--chainer",
            "--backend",
            backend,
            "--out",
            str(out),
        ]
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
        texts.append(proc.stdout.strip())
    return "\n".join(texts)


# ------------------------------------------------------------------------------ main


def save(rec, out: Path, stem: str) -> Path:
    path = rec.save(out / f"{stem}-{rec.name}.json.gz")
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, "
        f"{len(rec.stream()['commands'])} commands)"
    )
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: build/streams")
    ap.add_argument(
        "--backend", action="append", choices=BACKENDS, help="repeatable; default: both"
    )
    ap.add_argument(
        "--chainer",
        action="store_true",
        help="record the Chainer training step instead of the corpus "
        "(re-runs itself under .venv-chainer when Chainer is not importable)",
    )
    args = ap.parse_args(argv)
    backends = args.backend or list(BACKENDS)
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    failed = False
    if args.chainer and not chainer_here():
        print(chainer_in_venv(backends, args.out))
        return 0
    if args.chainer and len(backends) > 1:  # one fresh process per backend
        print(chainer_in_venv(backends, args.out, Path(sys.executable)))
        return 0
    for backend in backends:
        rec, report = record_chainer(backend) if args.chainer else record_corpus(backend)
        save(rec, args.out, "chainer-step" if args.chainer else "corpus")
        print(report.summary())
        failed |= bool(report.failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
