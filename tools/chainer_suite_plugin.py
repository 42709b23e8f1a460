"""The pytest side of `tools/chainer_suite.py`: runs Chainer 7.8.1's own tests, unmodified,
on one backend, and writes one JSON line per test.

    python tools/chainer_suite_plugin.py --backend webgpu --results out.jsonl \
        --timeout 60 -- <pytest args>

Rule: for a GPU backend the cupy shim is installed and Chainer imported *before* pytest
reads Chainer's `setup.cfg` (its warning filters name Chainer's classes, and its
`filterwarnings = error` would turn the environment's own import-time deprecations into
errors); for `numpy` no shim is installed, so CUDA is unavailable and the CPU variants run.
A test that runs past `--timeout` seconds gets `SuiteTimeout` raised in its setup or call
(again every second, in case a broad `except` swallows it; never in its teardown, nor
inside the device layer), and its record says `timeout`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import sys
import time
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's wgpy_runtime, not an installed one
# Import-time deprecations of this venv (NumPy 1.26's distutils, pkg_resources), not of
# the code under test; Chainer's CI ran on older packages that did not issue them.
ENVIRONMENT_WARNINGS = (
    "ignore:.*numpy.distutils.* is deprecated:DeprecationWarning",
    "ignore:pkg_resources is deprecated:DeprecationWarning",
    "ignore:Deprecated call to .pkg_resources:DeprecationWarning",
    "ignore::wgpy_runtime.PerformanceWarning",
)


BACKEND_CONFIG = re.compile(r"_use_chainerx_\w*?_use_ideep_(never|always)")


# What a timeout's record adds when the traceback passes through Chainer's
# `dodge_nondifferentiable` loop (FunctionTestCase: it draws new inputs while a float64
# numerical gradient looks non-differentiable, `while True`).
RETRY_LOOP = "(in Chainer's dodge_nondifferentiable retry loop)"


# Code the alarm never interrupts: an exception raised between two calls into a GL or
# WebGPU driver would leave the device half-way through a command (a program linked but
# not recorded, a framebuffer bound), and a later test could crash the process on it. The
# alarm comes again every second, so the test stops as soon as it is out of there.
DEVICE_CODE = (
    f"{os.sep}wgpy_runtime{os.sep}device{os.sep}",
    f"{os.sep}moderngl{os.sep}",
    f"{os.sep}wgpu{os.sep}",
)


def _in_device(frame) -> bool:
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in DEVICE_CODE):
            return True
        frame = frame.f_back
    return False


class SuiteTimeout(Exception):
    """The test ran past the suite's per-test time limit."""


class Recorder:
    """Times every test and appends its outcome to a JSON-lines file."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = path, timeout
        self.started: dict[str, float] = {}
        self.deadline = 0.0
        self.active = False
        self.reports: dict[str, list] = {}

    def _alarm(self, signum, frame):
        if self.active and time.monotonic() >= self.deadline and not _in_device(frame):
            where = f" {RETRY_LOOP}" if _in_retry_loop(frame) else ""
            raise SuiteTimeout(f"ran past the suite's limit of {self.timeout:g} s{where}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.deadline = time.monotonic() + self.timeout
        previous = signal.signal(signal.SIGALRM, self._alarm)
        # The driver's own threads may take the signal: their system calls restart rather
        # than fail with EINTR (Mesa's compiler threads do not expect it).
        signal.siginterrupt(signal.SIGALRM, False)
        signal.setitimer(signal.ITIMER_REAL, self.timeout, 1.0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _phase(self, raises: bool = True):
        """The alarm raises only inside the test's own setup and call: a teardown cut
        short would leave the next test a broken fixture state."""
        self.active = raises
        try:
            yield
        finally:
            self.active = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield from self._phase(raises=False)

    def pytest_collectreport(self, report):
        if report.failed:  # a module that does not import: one record for the file
            self._write(report.nodeid or "(collection)", [report])

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)
        if report.when == "teardown":
            self._write(report.nodeid, self.reports.pop(report.nodeid))

    def _write(self, nodeid: str, reports: list) -> None:
        outcome, when, error = "passed", "call", ""
        for r in reports:
            if r.skipped and outcome == "passed":
                outcome, when = "skipped", r.when
                error = str(r.longrepr[2]) if isinstance(r.longrepr, tuple) else ""
            elif r.failed and outcome in ("passed", "skipped"):
                when = getattr(r, "when", "collect")
                outcome = "failed" if when == "call" else "errored"
                error = _error_text(r)
        if "SuiteTimeout" in error:
            outcome = "timeout"
        duration = sum(getattr(r, "duration", 0.0) for r in reports)
        record = {
            "nodeid": nodeid,
            "outcome": outcome,
            "when": when,
            "duration": round(duration, 3),
            "error": error,
        }
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")


def _in_retry_loop(frame) -> bool:
    """Whether a FunctionTestCase with `dodge_nondifferentiable` is on the stack."""
    while frame is not None:
        owner = frame.f_locals.get("self")
        if frame.f_code.co_filename.endswith("function_link.py") and getattr(
            owner, "dodge_nondifferentiable", False
        ):
            return True
        frame = frame.f_back
    return False


class Variants:
    """Skips, while collecting, the classes of backend configurations the run deselects
    anyway (`inject_backend_tests` makes one class per configuration; creating their
    tens of thousands of items only to deselect them would dominate a short run)."""

    def __init__(self, backend: str, sample: bool):  # sample: float64 classes are never sampled
        other = ("use_cuda_true", "use_ideep_always") if backend == "numpy" else ("use_cuda_false",)
        self.skip = (*other, "use_chainerx_true", *(("float64",) if sample else ()))

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector, name, obj):
        if isinstance(obj, type) and any(s in name for s in self.skip):
            return []
        return None


class Sample:
    """Keeps, per test file, the `size` tests first in the order of a hash of their
    backend-free name (so both backends and every run pick the same ones), among those
    that do not depend on float64 (held in 32 bits on the device: docs/dtypes.md): no
    float64 parameter and no gradient test (check_backward's own arithmetic is float64);
    and none that Chainer marks `slow`."""

    def __init__(self, size: int, any_test: bool = False):
        self.size, self.any_test = size, any_test

    @pytest.hookimpl(trylast=True)  # after -m/-k have deselected the other variants
    def pytest_collection_modifyitems(self, config, items):
        by_file: dict[str, list] = {}
        for item in items:
            slow = item.get_closest_marker("slow") is not None  # Chainer's own mark
            eligible = "float64" not in item.nodeid and not _float64_gradients(item) and not slow
            if eligible or self.any_test:
                by_file.setdefault(item.nodeid.split("::")[0], []).append(item)
        keep = {}  # id -> (rank in its file, file): taking turns, a run cut short
        for file, group in by_file.items():  # has sampled every file alike
            group.sort(key=lambda item: hashlib.sha1(sample_key(item.nodeid).encode()).digest())
            keep.update((id(item), (k, file)) for k, item in enumerate(group[: self.size]))
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in keep])
        items[:] = [i for i in items if id(i) in keep]
        if self.any_test:  # the broad sample: files take turns (the CI sample keeps its order)
            items.sort(key=lambda i: keep[id(i)])


def _float64_gradients(item) -> bool:
    """A gradient test: Chainer's check_backward computes its directional derivatives and
    their comparison in float64, whatever the inputs' dtype."""
    return "backward" in item.name


def sample_key(nodeid: str) -> str:
    """The test's name without its backend configuration (`_use_chainerx_..._use_ideep_X`)."""
    return BACKEND_CONFIG.sub("", nodeid)


def _error_text(report) -> str:
    """The exception lines of a failure (`E   ...`), else its last lines; long ones keep
    their head (the exception and parameters) and tail (the compared values)."""
    text = str(report.longrepr)
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    if not lines:
        lines = text.splitlines()[-6:]
    text = "\n".join(lines)
    return text if len(text) <= 5000 else f"{text[:2000]}\n[...]\n{text[-3000:]}"


def _numpy_aliases() -> None:
    """NumPy 1.24 removed the aliases `np.bool` etc. that Chainer 7.8.1's tests still name
    (test_get_item.py at import); they were the builtins."""
    import numpy

    for name, value in (("bool", bool), ("int", int), ("float", float), ("object", object)):
        if name not in numpy.__dict__:
            setattr(numpy, name, value)


def _prepare_backend(backend: str) -> None:
    if backend != "numpy":
        os.environ["WGPY_BACKEND"] = backend
        import wgpy_runtime.cupy_shim

        wgpy_runtime.cupy_shim.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import chainer  # noqa: F401  (now, before setup.cfg's filters say "error")
    if backend != "numpy":
        from chainer.backends import cuda

        if not cuda.available:
            raise SystemExit("the cupy shim is installed but Chainer sees no CUDA")
        # Start the device now: its start-up (seconds on a busy machine) is no test's time.
        (cuda.cupy.arange(2, dtype="float32") + 1).get()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("webgpu", "webgl", "numpy"), required=True)
    parser.add_argument("--results", type=Path, required=True, help="JSON lines, appended")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per test")
    parser.add_argument("--sample", type=int, default=None, help="tests per file (Sample)")
    parser.add_argument(
        "--sample-any",
        action="store_true",
        help="sample every test, float64, gradient and slow ones too",
    )
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    os.environ.setdefault("CHAINER_CUDNN", "0")
    os.environ.setdefault("CHAINER_TEST_GPU_LIMIT", "1")
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    sys.dont_write_bytecode = True  # the tests' directory is read-only data
    _numpy_aliases()
    _prepare_backend(args.backend)
    pytest_args = [a for a in args.pytest_args if a != "--"]
    for spec in ENVIRONMENT_WARNINGS:
        pytest_args += ["-W", spec]
    plugins = [
        Recorder(args.results, args.timeout),
        Variants(args.backend, args.sample is not None),
    ]
    if args.sample is not None:
        plugins.append(Sample(args.sample, args.sample_any))
    return pytest.main(["-p", "no:cacheprovider", *pytest_args], plugins=plugins)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
