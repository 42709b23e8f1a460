"""Built-ins along long axes: scans and products whose combined axis is long, on NumPy, CuPy
(when importable) and wgpy_runtime's native backends, in one run (docs/benchmarks.md,
"Long axes").

    python tools/bench_long_axes.py [--backends webgpu,webgl] [--cases cumsum_1m,dot_16m]
                                    [--no-check]

`--cases` defaults to every case; `SMALL` lists those a software renderer runs in
seconds.

These are the operations that once walked their axis serially in one invocation
(docs/testing.md, "The test machines' loop cap"). Each case reports milliseconds per call
(median after a warm-up, synchronised) and the bytes it must move at least, as GB/s.
Results are checked against NumPy on the first call unless `--no-check`.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runtime import activate, backends  # noqa: E402

ITEM = 4  # float32


def _ints(shape, seed: int) -> np.ndarray:
    """Small integers as float32: sums stay exact, so any order of addition agrees."""
    return np.random.default_rng(seed).integers(-3, 3, shape).astype(np.float32)


def _cumsum(shape, axis):
    x = _ints(shape, 1)
    return (x,), lambda xp, a: xp.cumsum(a, axis=axis), 2 * x.size * ITEM


def _product(m, k, n):
    a, b = _ints((m, k), 2), _ints((k, n), 3)
    return (a, b), lambda xp, a, b: a @ b, (a.size + b.size + m * n) * ITEM


CASES = {
    "cumsum_64k": lambda: _cumsum((1 << 16,), 0),
    "cumsum_1m": lambda: _cumsum((1 << 20,), 0),
    "cumsum_16m": lambda: _cumsum((1 << 24,), 0),
    "cumsum_256_rows": lambda: _cumsum((256, 4096), 1),
    "cumsum_4k_rows": lambda: _cumsum((4096, 4096), 1),
    "cumsum_4k_cols": lambda: _cumsum((4096, 4096), 0),
    "dot_1m": lambda: _product(1, 1 << 20, 1),
    "dot_16m": lambda: _product(1, 1 << 24, 1),
    "vec_mat_256k_x64": lambda: _product(1, 1 << 18, 64),
    "gemv_4k": lambda: _product(4096, 4096, 1),
    "mm_64_k256k": lambda: _product(64, 1 << 18, 64),
    "mm_256_k256k": lambda: _product(256, 1 << 18, 256),
}
SMALL = "cumsum_64k,cumsum_256_rows,dot_1m,vec_mat_256k_x64,gemv_4k"  # fit a CPU renderer


def run_case(backend, name: str, check: bool) -> str:
    host, op, nbytes = CASES[name]()
    xp = backend.xp
    args = [xp.asarray(h) for h in host]
    verdict = ""
    if check:
        got = op(xp, *args)
        got = got.get() if hasattr(got, "get") else np.asarray(got)
        want = op(np, *(h.astype(np.float64) for h in host))
        verdict = "" if np.array_equal(got, want) else ", **wrong**"
    seconds = backend.time(lambda: op(xp, *args), repeat=5)
    return f"{seconds * 1e3:.3f} ms ({nbytes / seconds / 1e9:.2f} GB/s{verdict})"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="webgpu,webgl")
    parser.add_argument("--cases", default=",".join(CASES), help=f"e.g. {SMALL}")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args(argv)
    names = args.cases.split(",")
    found = [b for b in backends(args.backends.split(",")) if b.name != "numpy"]
    print(f"{platform.node()}: {', '.join(b.name for b in found)}\n")
    print("| case | " + " | ".join(b.name for b in found) + " |")
    print("| --- |" + " --- |" * len(found))
    for name in names:
        cells = []
        for b in found:
            activate(b)
            cells.append(run_case(b, name, not args.no_check))
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
