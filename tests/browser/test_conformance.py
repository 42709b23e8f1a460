"""Conformance of the browser executors with the native devices: a run recorded natively
as a command stream (tools/record_streams.py) is replayed in headless Chromium directly on
the backend's executor (js_bridge/webgpu.js, js_bridge/webgl.js; tests/browser/pages/
replay.js), and every read must return what the native run read.

Rule: the compiler's differential corpus is recorded in-process once per session; the
Chainer step stream comes from `.venv-chainer` (re-recorded when older than the sources).
Integers and bools compare exactly, floats within the corpus kernel's own tolerances
(the Chainer step: `CHAINER_TOLERANCE`); a failure names the kernel (the stream's mark).
"""

from __future__ import annotations

import base64

import pytest

from tests.browser.streams import CHAINER_TOLERANCE, corpus_tolerances
from wgpy_runtime.device.replay import Read, compare

BACKENDS = ("webgpu", "webgl")
SHOWN = 15  # problems listed in a failure message


def replay_in_browser(page, source, stream: dict) -> tuple[list[Read], list[str]]:
    """Replay `source` (the stream or its URL) on the page's executor: the reads, with
    the recording run's bytes as expected, and the problems (commands that failed)."""
    result = page.evaluate("(source) => window.replayStream(source)", source)
    commands = stream["commands"]
    reads, problems = [], []
    for e in result["errors"]:
        where = f" ({e['label']})" if e["label"] is not None else ""
        problems.append(f"command {e['index']} {e['op']}{where}: {e['message']}")
    for r in result["reads"]:
        if r["actual"] is None:
            continue  # its failure is among the errors
        expected = base64.b64decode(commands[r["index"]][5])
        reads.append(
            Read(r["index"], r["label"], r["dtype"], expected, base64.b64decode(r["actual"]))
        )
    want = sum(c[0] == "read" for c in commands)
    if len(result["reads"]) != want:
        problems.append(f"{len(result['reads'])} reads replayed, the stream has {want}")
    return reads, problems


def _fail_message(what: str, problems: list[str]) -> str:
    kernels = sorted({p.split("(", 1)[1].split(")", 1)[0] for p in problems if "(" in p})
    head = f"{what}: {len(problems)} problems"
    if kernels:
        head += f" in {', '.join(kernels[:20])}" + (" ..." if len(kernels) > 20 else "")
    return "\n".join([head, *problems[:SHOWN]] + (["..."] if len(problems) > SHOWN else []))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_corpus_replays_on_the_browser_executor(executor_page, corpus_stream, backend):
    page = executor_page(backend)
    stream, report = corpus_stream(backend)
    reads, problems = replay_in_browser(page, stream, stream)
    tolerances = corpus_tolerances()
    problems += compare(reads, tolerances=tolerances, shown=4)
    assert not problems, _fail_message(f"corpus stream on the {backend} executor", problems)
    assert {r.label for r in reads} == set(report.recorded)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_chainer_training_step_replays_on_the_browser_executor(
    executor_page, chainer_stream, backend
):
    page = executor_page(backend)
    url, stream = chainer_stream(backend)
    reads, problems = replay_in_browser(page, url, stream)  # fetched and inflated by the page
    problems += compare(reads, *CHAINER_TOLERANCE, shown=4)
    assert not problems, _fail_message(f"{url} on the {backend} executor", problems)
    assert {"iteration 1", "parameters"} <= {r.label for r in reads}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_replay_page_reports_failed_commands_and_goes_on(executor_page, backend):
    page = executor_page(backend)
    data = base64.b64encode(bytes([1, 0, 0, 0, 254, 255, 255, 255])).decode()
    stream = {
        "format": "wgpy-protocol-stream",
        "version": 1,
        "backend": backend,
        "target": page.evaluate("window.executor.target"),
        "programs": [],
        "commands": [
            ["alloc", 3, 2, "int32"],
            ["write", 3, 0, data],
            ["mark", "m"],
            ["read", 9, 0, 2, "int32", data],
            ["read", 3, 0, 2, "int32", data],
            ["free", 3],
        ],
    }
    result = page.evaluate("(s) => window.replayStream(s)", stream)
    [error] = result["errors"]
    assert (error["index"], error["op"], error["label"]) == (3, "read", "m")
    assert "not allocated" in error["message"]
    assert [r["actual"] for r in result["reads"]] == [None, data]
