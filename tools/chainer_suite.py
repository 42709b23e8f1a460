"""Run Chainer 7.8.1's own tests, unmodified, on wgpy_runtime through the cupy shim.

    python3 tools/chainer_suite.py --backend webgpu             # GPU variants, every file
    python3 tools/chainer_suite.py --backend numpy              # the CPU baseline
    python3 tools/chainer_suite.py --backend webgl --dirs pooling_tests --jobs 2
    python3 tools/chainer_suite.py --report                     # rewrite docs/chainer-suite.md

Each test file runs in its own process of `.venv-chainer` (`tools/chainer_suite_plugin.py`,
which installs the shim before Chainer is imported), so a crash or a hang beyond the
per-test limit costs one file. Results go to `--out` (one JSON-lines file per backend and
test file, so an interrupted run resumes with `--resume`); `--report` merges them into
docs/chainer-suite.json and docs/chainer-suite.md, classifying every failure by cause and
marking the GPU failures whose CPU variant fails the same way (they do not count against
the runtime).

Rule: the tests are read from where they are (`--tests`, default
../shared/third_party/chainer-7.8.1-tests or $CHAINER_TESTS); nothing is copied.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chainer_suite_report as report

ROOT = Path(__file__).resolve().parents[1]


def default_tests() -> Path:
    """$CHAINER_TESTS, else ../shared/third_party/chainer-7.8.1-tests beside the checkout
    (or one level further up, for a checkout in a subdirectory)."""
    if os.environ.get("CHAINER_TESTS"):
        return Path(os.environ["CHAINER_TESTS"])
    where = [up / "shared" / "third_party" / "chainer-7.8.1-tests" for up in ROOT.parents[:2]]
    return next((p for p in where if p.is_dir()), where[0])


DEFAULT_TESTS = default_tests()
DIRS = (
    "functions_tests/activation_tests",
    "functions_tests/array_tests",
    "functions_tests/connection_tests",
    "functions_tests/loss_tests",
    "functions_tests/math_tests",
    "functions_tests/normalization_tests",
    "functions_tests/pooling_tests",
    "optimizers_tests",
)
# Chainer's own selection of its variants (the tests' README): GPU ones on one device;
# CPU ones without iDeep (not installed here).
SELECT = {
    "gpu": [
        "-m",
        "gpu and not cudnn and not chainerx and not multi_gpu and not ideep",
        "-k",
        "not cuda_device_1",
    ],
    "cpu": [
        "-m",
        "not gpu and not cudnn and not chainerx and not multi_gpu and not ideep",
        "-k",
        "not use_ideep_always",
    ],
}


def test_files(tests: Path, dirs: list[str]) -> list[Path]:
    base = tests / "tests" / "chainer_tests"
    files = []
    for d in dirs:
        found = sorted((base / d).glob("test_*.py")) if (base / d).is_dir() else []
        if not found and (base / d).is_file():
            found = [base / d]
        if not found:
            raise SystemExit(f"no Chainer test files under {base / d}")
        files += found
    return files


def pytest_command(
    python: Path,
    backend: str,
    tests: Path,
    files: list[Path],
    results: Path,
    timeout: float,
    sample: int | None,
    sample_any: bool = False,
) -> list[str]:
    variant = "cpu" if backend == "numpy" else "gpu"
    cmd = [
        str(python),
        str(ROOT / "tools" / "chainer_suite_plugin.py"),
        "--backend",
        backend,
        "--results",
        str(results),
        "--timeout",
        str(timeout),
    ]
    if sample is not None:
        cmd += ["--sample", str(sample)] + (["--sample-any"] if sample_any else [])
    return cmd + [
        "--",
        "--rootdir",
        str(tests),
        "-c",
        str(tests / "setup.cfg"),
        "-q",
        *SELECT[variant],
        *(str(f) for f in files),
    ]


def run_file(cmd: list[str], results: Path, file_limit: float) -> dict:
    results.unlink(missing_ok=True)
    start = time.monotonic()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=file_limit, env=env, check=False
        )
        rc, tail = proc.returncode, (proc.stdout + proc.stderr)[-3000:]
    except subprocess.TimeoutExpired as e:
        rc, tail = "killed", f"the file ran past {file_limit:g} s and was killed\n{e}"
    status = {"rc": rc, "seconds": round(time.monotonic() - start, 1)}
    if rc not in (0, 1, 5):  # pytest: all passed, some failed, none collected
        status["tail"] = tail
    return status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("webgpu", "webgl", "numpy"))
    parser.add_argument("--tests", type=Path, default=DEFAULT_TESTS)
    parser.add_argument(
        "--dirs",
        nargs="*",
        default=list(DIRS),
        help="directories (or files) under tests/chainer_tests",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "chainer-suite")
    parser.add_argument("--python", type=Path, default=ROOT / ".venv-chainer" / "bin" / "python")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per test")
    parser.add_argument("--file-limit", type=float, default=5400.0, help="seconds per file")
    parser.add_argument("--jobs", type=int, default=1, help="test files run at once")
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        help="per file, only this many tests of the deterministic sample",
    )
    parser.add_argument(
        "--sample-any",
        action="store_true",
        help="sample among all tests (float64, gradient, slow ones too)",
    )
    parser.add_argument(
        "--section",
        default="results",
        help="--report: the docs/chainer-suite.md section (and JSON) to write",
    )
    parser.add_argument("--resume", action="store_true", help="skip files already run")
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="take the directories' files in turn (a cut-short run then covers every directory)",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="every file in one pytest process (faster; a crash loses all)",
    )
    parser.add_argument(
        "--report", action="store_true", help="merge the results into docs/chainer-suite.{json,md}"
    )
    args = parser.parse_args(argv)
    command = "python3 tools/chainer_suite.py " + shlex.join(argv)
    if args.backend:
        if not args.tests.joinpath("setup.cfg").is_file():
            raise SystemExit(f"Chainer's tests are not at {args.tests} (--tests or $CHAINER_TESTS)")
        run_backend(args, command)
    if args.report:
        report.write(args.out, ROOT / "docs", args.section)
    return 0


def run_backend(args, command: str) -> None:
    out = args.out / args.backend
    out.mkdir(parents=True, exist_ok=True)
    runs = out / "runs.jsonl"  # every command that wrote here, for the report
    with runs.open("a") as f:
        f.write(json.dumps({"command": command, "started": report.now()}) + "\n")
    files = test_files(args.tests, args.dirs)
    base = args.tests / "tests" / "chainer_tests"
    if args.interleave:
        rank = {}
        for f in files:
            rank[f] = sum(g.parent == f.parent for g in rank)
        files.sort(key=lambda f: (rank[f], str(f.parent)))
    jobs = []
    if args.one_process:
        results, status_path = out / "all.jsonl", out / "all.status.json"
        cmd = pytest_command(
            args.python,
            args.backend,
            args.tests,
            files,
            results,
            args.timeout,
            args.sample,
            args.sample_any,
        )
        jobs.append((base, cmd, results, status_path))
        files = []
    for file in files:
        key = str(file.relative_to(base)).replace("/", "__").removesuffix(".py")
        results, status_path = out / f"{key}.jsonl", out / f"{key}.status.json"
        if args.resume and status_path.exists():
            continue
        cmd = pytest_command(
            args.python,
            args.backend,
            args.tests,
            [file],
            results,
            args.timeout,
            args.sample,
            args.sample_any,
        )
        jobs.append((file, cmd, results, status_path))

    def one(job):
        file, cmd, results, status_path = job
        status = run_file(cmd, results, args.file_limit)
        status["file"] = str(file.relative_to(base)) if file != base else "(all files)"
        status_path.write_text(json.dumps(status))
        return status

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for status in pool.map(one, jobs):
            print(
                f"{args.backend} {status['file']}: rc {status['rc']} in {status['seconds']} s",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
