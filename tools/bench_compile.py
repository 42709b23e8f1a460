"""Translation speed: a relu_bwd-sized kernel and the Mandelbrot kernel, both targets.

    python tools/bench_compile.py [--repeat 200]

"cold" is the first translation in a fresh process (imports excluded); "warm" is the
median of repeated translations of the same kernel with the parse cache cleared, so it
measures lowering, passes and emission on every run; "cached parse" keeps the parse cache.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RELU_BWD = dict(
    in_params="T y, T gy",
    out_params="T gx",
    operation="gx = y > 0 ? gy : (T)0",
    name="relu_bwd",
    types={"T": "float32"},
)


def mandelbrot() -> dict:
    from kernelc.scan.sources import read_kernels

    (kdef,), _ = read_kernels(str(ROOT / "examples" / "mandelbrot.cu"))
    args = kdef.translate_args()
    args.pop("line_bases")
    return dict(args, types={"T": "float32"})


def cold(kernel: str, target: str) -> float:
    """First translation in a new interpreter, in milliseconds."""
    code = f"""
import sys, time; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['x']
import kernelc
sys.path.insert(0, {str(ROOT / "tools")!r})
from bench_compile import RELU_BWD, mandelbrot
args = RELU_BWD if {kernel!r} == 'relu_bwd' else mandelbrot()
t = time.perf_counter(); kernelc.translate_elementwise(**args, target={target!r})
print((time.perf_counter() - t) * 1e3)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def warm(args: dict, target: str, repeat: int, clear_parse_cache: bool) -> float:
    import kernelc
    from kernelc import pipeline

    times = []
    for _ in range(repeat):
        if clear_parse_cache:
            pipeline._parse.cache_clear()
        t = time.perf_counter()
        kernelc.translate_elementwise(**args, target=target)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    kernels = {"relu_bwd": RELU_BWD, "mandelbrot": mandelbrot()}
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.processor() or platform.platform()}"
    )
    print("| kernel | target | cold (ms) | warm (ms) | warm, cached parse (ms) |")
    print("| --- | --- | --- | --- | --- |")
    for name, kargs in kernels.items():
        for target in ("wgsl", "glsl"):
            c = cold(name, target)
            w = warm(kargs, target, args.repeat, clear_parse_cache=True)
            wc = warm(kargs, target, args.repeat, clear_parse_cache=False)
            print(f"| {name} | {target} | {c:.2f} | {w:.3f} | {wc:.3f} |")


if __name__ == "__main__":
    main()
