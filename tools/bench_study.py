"""Measure the browser study (wgpy_runtime.study): trials per minute with 1, 2 and 3
headless Chromium workers on examples/study/curve_fit.py, and the cost of one proxy call
(`trial.suggest_float`) seen from a browser worker, from a native worker, and inside the
server alone. `python tools/bench_study.py [--workers 1 2 3] [--trials-per-worker 8]`
prints Markdown rows for docs/benchmarks.md.

Rule: throughput counts only trials started after every worker was ready (Pyodide
loaded, objective fetched), over the time from then to the last trial's end, from the
timestamps Optuna stored; start-up is reported apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.distributed.study_support import OBJECTIVE, open_worker, wait_done
from tools import headless_chromium
from wgpy_runtime.study.client import StudyClient
from wgpy_runtime.study.server import serve_study_in_background, stop
from wgpy_runtime.study.service import StudyConfig, StudyService

SUGGESTS = 20
SUGGEST_ONLY = f"""
def objective(trial):
    return sum(trial.suggest_float(f"x{{i}}", 0.0, 1.0) for i in range({SUGGESTS}))
"""


def service(tmp: Path, name: str, n_trials: int) -> StudyService:
    return StudyService(
        StudyConfig(
            storage=f"sqlite:///{tmp / (name + '.db')}", study_name=name, n_trials=n_trials, seed=0
        )
    )


def throughput(browser, tmp: Path, workers: int, per_worker: int, round_: int) -> dict:
    svc = service(tmp, f"fit{workers}-{round_}", workers * per_worker)
    server, url = serve_study_in_background(svc, OBJECTIVE, log=lambda line: None)
    try:
        t0 = time.time()
        pages = [open_worker(browser, url) for _ in range(workers)]
        states = wait_done(pages, timeout=600)
        ready = [t0 + p.evaluate("studyWorker.timings.ready") / 1e3 for p in pages]
        for p in pages:
            p.close()
    finally:
        stop(server)
    all_ready = max(ready)
    trials = [t for t in svc.study.get_trials() if t.datetime_start.timestamp() >= all_ready]
    end = max(t.datetime_complete.timestamp() for t in trials)
    seconds = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trials]
    return {
        "workers": workers,
        "trials": len(trials),
        "minutes": (end - all_ready) / 60,
        "per_minute": len(trials) / ((end - all_ready) / 60),
        "trial_s": statistics.median(seconds),
        "startup_s": statistics.median(r - t0 for r in ready),
        "ran": [len(s["finished"]) for s in states],
    }


def browser_suggest_ms(browser, tmp: Path, trials: int = 5) -> float:
    objective = tmp / "suggest_only.py"
    objective.write_text(SUGGEST_ONLY)
    svc = service(tmp, "suggest_browser", trials)
    server, url = serve_study_in_background(svc, objective, log=lambda line: None)
    try:
        page = open_worker(browser, url)
        wait_done([page], timeout=600)
        runs = page.evaluate("studyWorker.finished.map((f) => f.call_ms / f.calls)")
        page.close()
    finally:
        stop(server)
    return statistics.median(runs)


def native_suggest_ms(tmp: Path, trials: int = 5) -> tuple[float, float]:
    """(over HTTP from CPython, inside the service alone) ms per suggest_float."""
    svc = service(tmp, "suggest_native", trials)
    server, url = serve_study_in_background(svc, OBJECTIVE, log=lambda line: None)
    client = StudyClient(url, "suggest_native")
    http, inside = [], []
    try:
        for _ in range(trials):
            claim = client.claim({"worker": "bench"})
            start = time.perf_counter()
            for i in range(SUGGESTS):
                client.call(
                    claim["trial"],
                    claim["token"],
                    "suggest_float",
                    {"name": f"x{i}", "low": 0.0, "high": 1.0},
                )
            http.append((time.perf_counter() - start) / SUGGESTS)
            start = time.perf_counter()
            for i in range(SUGGESTS):
                svc.call(
                    claim["trial"],
                    claim["token"],
                    "suggest_float",
                    {"name": f"y{i}", "low": 0.0, "high": 1.0},
                )
            inside.append((time.perf_counter() - start) / SUGGESTS)
            client.finish(claim["trial"], claim["token"], "complete", 0.0)
    finally:
        stop(server)
    return 1e3 * statistics.median(http), 1e3 * statistics.median(inside)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--trials-per-worker", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="rounds over --workers")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-study-"))
    print(f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores")
    with sync_playwright() as p:
        browser = headless_chromium.launch(p)
        print(
            "| workers | trials timed | trials / minute | median trial (s) | "
            "start-up to ready (s) | trials per worker | load average |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for round_ in range(args.repeat):
            for n in args.workers:
                load = os.getloadavg()[0]
                r = throughput(browser, tmp, n, args.trials_per_worker, round_)
                print(
                    f"| {n} | {r['trials']} | {r['per_minute']:.1f} | {r['trial_s']:.2f} | "
                    f"{r['startup_s']:.1f} | {r['ran']} | {load:.1f} |",
                    flush=True,
                )
        browser_ms = browser_suggest_ms(browser, tmp)
        browser.close()
    http_ms, inside_ms = native_suggest_ms(tmp)
    print(
        f"\nms per suggest_float: browser worker {browser_ms:.1f}, native worker over "
        f"HTTP {http_ms:.1f}, inside the server (Optuna + SQLite) {inside_ms:.1f}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
