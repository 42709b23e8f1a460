"""A NumPy-free study objective: fit a curve to 4096 points, the squared residuals
computed by a kernelc kernel on the worker's device (WebGPU or WebGL2 in a browser), the
mean reported chunk by chunk so a pruner can stop a poor trial early.

The points lie on y = 0.5 t^2 + 2 t - 1 over t in [-1, 1]. The search is define-by-run:
"model" picks a line or a parabola, and only a parabola asks for its `c`. Run it with
`python -m wgpy_runtime.study examples/study/curve_fit.py --n-trials 32` and open the
printed URL in browsers.
"""

import struct

import optuna  # in a browser worker: the stand-in with TrialPruned (wgpy_runtime.study.proxy)

from kernelc import translate_elementwise
from wgpy_runtime.device import get_device
from wgpy_runtime.device.dense import dense_values

POINTS = 4096
CHUNKS = 4  # the mean so far is reported after each chunk
TRUE = (-1.0, 2.0, 0.5)  # a, b, c of y = a + b t + c t^2
RESIDUAL = (
    "float32 t, float32 y, float32 a, float32 b, float32 c",
    "float32 e",
    "float r = a + t * (b + t * c) - y; e = r * r;",
    "squared_residual",
)
TARGETS = {"webgpu": "wgsl", "webgl": "glsl"}
_PROGRAMS = {}


def points(first: int, count: int) -> tuple[list[float], list[float]]:
    """The t and y of points first .. first+count-1, as float32 values."""
    a, b, c = TRUE
    ts = [_f32(-1.0 + 2.0 * i / (POINTS - 1)) for i in range(first, first + count)]
    return ts, [_f32(a + t * (b + t * c)) for t in ts]


def loss(a: float, b: float, c: float = 0.0) -> float:
    """The objective's value for these coefficients, computed here in float64 (tests
    compare it with what the device computed in float32)."""
    ts, ys = points(0, POINTS)
    return sum((a + t * (b + t * c) - y) ** 2 for t, y in zip(ts, ys, strict=True)) / POINTS


def objective(trial) -> float:
    model = trial.suggest_categorical("model", ["line", "parabola"])
    a = trial.suggest_float("a", -4.0, 4.0)
    b = trial.suggest_float("b", -4.0, 4.0)
    c = trial.suggest_float("c", -2.0, 2.0) if model == "parabola" else 0.0
    device = get_device()
    total, size = 0.0, POINTS // CHUNKS
    for chunk in range(CHUNKS):
        total += sum(squared_residuals(device, chunk * size, size, a, b, c))
        trial.report(total / ((chunk + 1) * size), chunk)
        if trial.should_prune():
            raise optuna.TrialPruned()
    trial.set_user_attr("points", POINTS)
    return total / POINTS


def squared_residuals(device, first: int, count: int, a: float, b: float, c: float):
    program = _program(device.name)
    ts, ys = points(first, count)
    bufs = {name: device.alloc(count, "float32") for name in ("t", "y", "e")}
    try:
        device.write(bufs["t"], 0, struct.pack(f"<{count}f", *ts))
        device.write(bufs["y"], 0, struct.pack(f"<{count}f", *ys))
        scalars = {"a": a, "b": b, "c": c}
        device.dispatch(program, bufs, dense_values(program.abi, (count,), scalars))
        return struct.unpack(f"<{count}f", device.read(bufs["e"], 0, count))
    finally:
        for buf in bufs.values():
            device.free(buf)


def _program(backend: str):
    if backend not in _PROGRAMS:
        _PROGRAMS[backend] = translate_elementwise(
            *RESIDUAL, target=TARGETS[backend], scalars=("a", "b", "c")
        )
    return _PROGRAMS[backend]


def _f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]
