"""Cache speed: the full Chainer cache build, and a cache hit against a cold translation.

    python tools/bench_cache.py [--version 7.8.1] [--runs 3]

"build" runs `kernelc cache build` in a fresh interpreter (imports, scan, bindings, every
translation for both targets, writing the gzip file) and reports wall time; the stages
are timed in-process once. "hit" is `Cache.get` (key hashing plus a dict lookup and the
Program object) for every entry of the committed cache; "cold" translates the same kernel
with the parse cache cleared. Medians over kernels of per-kernel medians. (How often
training hits the cache: tools/chainer_cache_hits.py.)
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from chainer_sdist import fetch

import kernels_chainer.scan_plugin  # noqa: F401 - registers Chainer's helpers, stubs and dtypes
from kernelc import pipeline
from kernelc.cache.build import build, instance_records, translate
from kernelc.cache.store import Cache, read_json, write_json
from kernelc.scan.bindings import bind
from kernelc.scan.scanner import scan


def build_wall(sdist: str, runs: int, version: str) -> list[float]:
    """The build as kernels_chainer/regenerate.sh runs it (with the recorded call shapes)."""
    recorded = ROOT / "kernels_chainer" / f"specialisations-{version}.jsonl"
    extra = ["--specialisations", str(recorded)] if recorded.is_file() else []
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            cmd = [
                sys.executable,
                "-m",
                "kernelc",
                "cache",
                "build",
                "--package",
                "chainer",
                "--source",
                sdist,
                "-o",
                out,
                "--no-progress",
                "--plugin",
                "kernels_chainer.scan_plugin",
                *extra,
            ]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def stages(sdist: str) -> dict[str, float]:
    t = {"start": time.perf_counter()}
    result = scan(sdist)
    t["scan"] = time.perf_counter()
    for k in result.instances:
        bind(k)
    t["bind"] = time.perf_counter()
    cache, outcomes = build(result, progress=False)
    t["translate"] = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_json(
            os.path.join(out, "c.json.gz"), cache.to_json(instance_records(result, outcomes))
        )
    t["write"] = time.perf_counter()
    keys = list(t)
    return {b: t[b] - t[a] for a, b in itertools.pairwise(keys)} | {"translations": len(outcomes)}


def per_kernel(path: Path) -> tuple[list[float], list[float], float]:
    start = time.perf_counter()
    data = read_json(str(path))
    cache = Cache.load(str(path))
    load = time.perf_counter() - start
    hits, colds = [], []
    for record in data["instances"]:
        for r in record["results"]:
            if r["status"] != "ok":
                continue
            b = r["binding"]
            spec = {
                "target": r["target"],
                "types": b.get("types"),
                "ndim": b.get("ndim", 1),
                "scalars": b.get("scalars", ()),
                "raw": b.get("raw"),
                "reduce_ndim": b.get("reduce_ndim", 1),
            }
            kind, kargs = record["kind"], record["args"]
            hits.append(_median_time(lambda k=kind, a=kargs, s=spec: cache.get(k, a, **s), 200))
            colds.append(_median_time(lambda rec=record, b=b, t=r["target"]: _cold(rec, b, t), 3))
    return hits, colds, load


def _cold(record: dict, binding: dict, target: str) -> None:
    pipeline._parse.cache_clear()
    translate(record["kind"], record["args"], binding, target)


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--version", default="7.8.1")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sdist-dir", default="/tmp/chk")
    args = parser.parse_args()
    sdist = fetch(args.version, args.sdist_dir)
    walls = build_wall(sdist, args.runs, args.version)
    st = stages(sdist)
    hits, colds, load = per_kernel(ROOT / "kernels_chainer" / f"chainer-{args.version}.json.gz")
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}")
    print(
        f"build wall, fresh interpreter: median {statistics.median(walls):.2f} s "
        f"(runs: {', '.join(f'{w:.2f}' for w in walls)})"
    )
    print(
        "stages in-process: "
        + ", ".join(
            f"{k} {v:.2f} s" if k != "translations" else f"{v} translations" for k, v in st.items()
        )
    )
    print(f"cache load (gzip + JSON): {load * 1e3:.1f} ms for {len(hits)} programs")
    print(f"hit: median {statistics.median(hits) * 1e6:.1f} us, max {max(hits) * 1e6:.1f} us")
    print(
        f"cold translation: median {statistics.median(colds) * 1e3:.2f} ms, "
        f"max {max(colds) * 1e3:.2f} ms"
    )
    print(f"cold / hit: {statistics.median(colds) / statistics.median(hits):.0f}x (medians)")


if __name__ == "__main__":
    main()
