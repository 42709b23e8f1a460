"""With $KERNELC_COVERAGE_REPORT=PATH, the Chainer kernel tests write PATH: JSON listing
every kernel call that returned (instance, target, interpreter fallback or not), with the
test it ran in and how that test ended.

    KERNELC_COVERAGE_REPORT=/tmp/executed.json python -m pytest tests/chainer -q
    python tools/coverage.py --executed /tmp/executed.json

Rule: a call counts as executed-and-matched only when its test PASSED (every comparison
with the NumPy reference and the fallback flag held); calls of tests that failed or were
xfailed are written with that outcome, never as matched. Without the variable nothing is
recorded (harness.RECORDER stays None).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.chainer import harness

ENV = "KERNELC_COVERAGE_REPORT"
_pending: list[dict] = []  # calls of the test now running
_calls: list[dict] = []  # calls of finished tests, with their outcome


def _record(inst: dict, target: str, fallback: bool) -> None:
    call = {
        "kind": inst["kind"],
        "name": inst["name"],
        "instance": inst["id"],
        "target": target,
        "fallback": fallback,
    }
    if call not in _pending:
        _pending.append(call)


def pytest_configure(config):
    if os.environ.get(ENV):
        harness.RECORDER = _record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if harness.RECORDER is None or report.when == "teardown":
        return
    if report.when == "setup" and report.passed:
        return  # the calls of the setup phase go with the call phase's outcome
    if report.passed:
        outcome = "passed"
    elif hasattr(report, "wasxfail"):
        outcome = "xfailed"
    else:
        outcome = report.outcome  # 'failed' | 'skipped'
    _calls.extend({"test": item.nodeid, "outcome": outcome, **c} for c in _pending)
    _pending.clear()


def pytest_sessionfinish(session):
    path = os.environ.get(ENV)
    if not path or harness.RECORDER is None:
        return
    report = {"chainer": harness.VERSION, "sdist": harness.sdist(), "calls": _calls}
    Path(path).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
