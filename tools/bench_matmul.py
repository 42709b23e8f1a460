"""Matmul throughput: float32 C = A @ B for square sizes on wgpy_runtime's devices (and
CuPy and NumPy when they import), as a markdown table.

    python tools/bench_matmul.py [--sizes 1024 4096] [--backends webgpu webgl]
                                 [--tiles auto large small 128,128,16,8,8]
                                 [--glsl packed plain] [--seconds 2]

Each row times `wgpy_runtime.matmul` (`auto`: the runtime's own tile choice) or, for a
named WGSL tile shape, the matmul program with those tiles launched the runtime's way;
on WebGL, `--glsl plain` adds rows of the one-element-per-fragment program (the packed
one is the runtime's).
A warm-up call compiles the program first; then the product is repeated until about
`--seconds` have passed (at least `--min-repeat` times) with one synchronise at the end,
so the time per product includes launch overhead but not a read-back. The result of the
warm-up is checked against NumPy (float64 accumulation) on a sample of rows.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE_ROWS = 64  # rows of C checked against NumPy


def flops(n: int) -> float:
    return 2.0 * n**3


def parse_tiles(text: str):
    """A preset name, or m,n,k,thread_m,thread_n; a trailing `/1` asks for one copy of the
    tiles in workgroup memory where two would fit (no double buffering)."""
    if text in ("auto", "huge", "large", "small"):
        return text
    shape, _, copies = text.partition("/")
    return (*(int(x) for x in shape.split(",")), *((1,) if copies == "1" else ()))


def timed(run, sync, seconds: float, min_repeat: int) -> float:
    """Seconds per call of `run`: warm up once, then repeat for about `seconds`."""
    sync()
    start = time.perf_counter()
    run()
    sync()
    once = time.perf_counter() - start
    repeat = max(min_repeat, int(seconds / max(once, 1e-6)))
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    sync()
    return (time.perf_counter() - start) / repeat


def check(got: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Largest error over the sampled rows, relative to the largest reference entry."""
    rows = np.linspace(0, a.shape[0] - 1, min(SAMPLE_ROWS, a.shape[0])).astype(int)
    want = a[rows].astype(np.float64) @ b.astype(np.float64)
    return float(np.abs(got[rows] - want).max() / np.abs(want).max())


# ---------------------------------------------------------------------------- rows


def wgpy_row(backend: str, tiles, a: np.ndarray, b: np.ndarray, args) -> tuple[float, float]:
    import wgpy_runtime as wp
    from wgpy_runtime import device as devices

    dev = devices.get_device(backend)
    devices.set_device(dev)
    x, y = wp.asarray(a), wp.asarray(b)
    if tiles == "auto":

        def run():
            return wp.matmul(x, y)
    elif tiles == "plain":
        run = _fixed_program(dev, x, y, target="glsl", packed=False)
    else:
        run = _fixed_program(dev, x, y, target="wgsl", tiles=tiles)
    result = run()
    error = check(result.get(), a, b)
    return timed(run, dev.synchronize, args.seconds, args.min_repeat), error


def _fixed_program(dev, x, y, *, target: str, **options):
    """A product through the matmul program with these options (WGSL tiles, the plain
    GLSL program), launched the runtime's way (the runtime picks its own)."""
    import kernelc
    import wgpy_runtime as wp
    from kernelc.emit_wgsl import matmul as wgsl_matmul
    from wgpy_runtime import _launch

    if dev.target != target:
        raise ValueError(f"{options} is a {target} choice")
    tiles = options.get("tiles")
    single = isinstance(tiles, tuple) and len(tiles) == 6  # `/1`: one copy of the tiles
    if single:
        options["tiles"] = tiles[:5]
    limit = wgsl_matmul.MAX_WORKGROUP_BYTES
    wgsl_matmul.MAX_WORKGROUP_BYTES = 0 if single else limit
    try:
        program = kernelc.translate_matmul("float32", target=target, **options)
    finally:
        wgsl_matmul.MAX_WORKGROUP_BYTES = limit
    m, k, n = x.shape[0], x.shape[1], y.shape[1]

    def run():
        c = wp.empty((m, n), "float32")
        _launch.dispatch(dev, program, {"A": x, "B": y, "C": c}, (m, n), (k,))
        return c

    return run


def cupy_row(a: np.ndarray, b: np.ndarray, args) -> tuple[float, float]:
    import cupy

    x, y = cupy.asarray(a), cupy.asarray(b)
    sync = cupy.cuda.Device().synchronize
    error = check(cupy.asnumpy(x @ y), a, b)
    return timed(lambda: x @ y, sync, args.seconds, args.min_repeat), error


def numpy_row(a: np.ndarray, b: np.ndarray, args) -> tuple[float, float]:
    error = check(a @ b, a, b)
    return timed(lambda: a @ b, lambda: None, args.seconds, 1), error


def describe(backend: str) -> str:
    from wgpy_runtime import device as devices

    dev = devices.get_device(backend)
    if backend == "webgpu":
        info = dev.adapter_info
        return f"{info.get('device', '?')} ({info.get('backend_type', '?')})"
    return str(dev.ctx.info.get("GL_RENDERER", "?"))


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--backends", nargs="+", default=["webgpu", "webgl"])
    parser.add_argument(
        "--tiles",
        type=parse_tiles,
        nargs="+",
        default=["auto"],
        help="WGSL rows: auto, large, small or m,n,k,thread_m,thread_n",
    )
    parser.add_argument(
        "--glsl",
        nargs="+",
        default=["packed"],
        choices=["packed", "plain"],
        help="WebGL rows: the runtime's packed program, the plain one",
    )
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--min-repeat", type=int, default=3)
    parser.add_argument("--no-cupy", action="store_true")
    parser.add_argument("--no-numpy", action="store_true")
    args = parser.parse_args()

    rows: list[tuple[str, int, float, float]] = []
    notes = [f"Python {platform.python_version()}, {platform.machine()}"]
    for backend in args.backends:
        try:
            notes.append(f"{backend}: {describe(backend)}")
        except Exception as e:  # noqa: BLE001  (no such device here: say so in the table)
            notes.append(f"{backend}: unavailable ({type(e).__name__}: {e})")
            continue
        choices = args.tiles if backend == "webgpu" else _glsl_rows(args.glsl)
        for tiles in choices:
            suffix = {"auto": "", "plain": " plain"}.get(tiles, f" tiles={tiles}")
            label = f"wgpy {backend}{suffix}"
            for n in args.sizes:
                a, b = _operands(n)
                seconds, error = wgpy_row(backend, tiles, a, b, args)
                rows.append((label, n, seconds, error))
                print(f"{label} {n}: {seconds * 1e3:.3f} ms", file=sys.stderr)
    for name, row, skip in (("cupy", cupy_row, args.no_cupy), ("numpy", numpy_row, args.no_numpy)):
        if skip:
            continue
        try:
            for n in args.sizes:
                a, b = _operands(n)
                seconds, error = row(a, b, args)
                rows.append((name, n, seconds, error))
        except ImportError:
            notes.append(f"{name}: not importable")
    print(table(rows, notes))


def _glsl_rows(layouts: list[str]) -> list[str]:
    return ["auto" if layout == "packed" else "plain" for layout in layouts]


def _operands(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return (
        rng.standard_normal((n, n), dtype=np.float32),
        rng.standard_normal((n, n), dtype=np.float32),
    )


def table(rows, notes) -> str:
    """Markdown: one row per (implementation, size), TFLOP/s and the share of CuPy's."""
    cupy = {n: s for name, n, s, _ in rows if name == "cupy"}
    lines = [
        "| implementation | size | ms | TFLOP/s | of CuPy | max rel. error |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, n, seconds, error in rows:
        share = f"{cupy[n] / seconds:.0%}" if n in cupy else "—"
        lines.append(
            f"| {name} | {n}² | {seconds * 1e3:.3f} | {flops(n) / seconds / 1e12:.3g} "
            f"| {share} | {error:.1e} |"
        )
    return "\n".join(lines + [""] + [f"* {note}" for note in notes])


if __name__ == "__main__":
    main()
