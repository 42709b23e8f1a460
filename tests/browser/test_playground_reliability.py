"""The playground page when things go wrong or take long, in headless Chromium: a long
run shows progress and is cancelled by its button, the page going on; sizes that cannot
run are refused before anything is allocated; an error belongs to the run that caused it
(no stale figures or messages, the target's own compile error after a backend switch);
every input's fill is chosen and described before the run; infinite outputs are
summarised as such; the image area says what to do before the first run; a reload during
a long run recovers.

Rule: driven through the form and the buttons, checked through the DOM and
`window.playground`; one page for the module (the reload test comes last).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("webgpu", "webgl")
SETTLED = "['done', 'error', 'ready', 'failed'].includes(document.body.dataset.state)"
# About 512 * 512 * 20000 loop steps: minutes on SwiftShader (below its 65,535 loop cap).
SLOW = """// name: slow_loop
// in_params: T x, int32 iters
// out_params: T y
// scalars: iters
// defaults: iters = 20000
T acc = x;
for (int k = 0; k < iters; ++k) { acc = acc * 0.9999f + x; }
y = acc;
"""
TWICE = """// name: twice
// in_params: int32 k
// out_params: int32 q
q = k * 2;
"""
SCATTER = """// name: scatter
// in_params: int32 k
// out_params: raw int32 out
out[k] = 1;
"""
OVERFLOW = """// name: overflow
// in_params: T x
// out_params: T y
y = x * 1.0e30f * 1.0e30f;
"""


@pytest.fixture(scope="module")
def playground(browser, server_url):
    if not (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no Pyodide in node_modules/pyodide (run: npm ci)")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server_url}/js_bridge/playground/")
    page.evaluate("window.playground.ready")
    page.page_errors = errors
    yield page
    page.close()


def kernel(page, text: str, width: int = 64, height: int = 64) -> None:
    """Put `text` in the editor at this size and wait for it to compile."""
    page.fill("#width", str(width))
    page.fill("#height", str(height))
    page.fill("#source", text)
    name = text.split("\n", 1)[0].split(":", 1)[1].strip()
    page.wait_for_function(f"document.getElementById('kernel-name').textContent === '{name}'")


def run(page, backend: str, expect: str = "done") -> dict:
    page.select_option("#backend", backend)
    page.click("#run")
    page.wait_for_function(f"document.body.dataset.state !== 'running' && {SETTLED}")
    state = page.evaluate("document.body.dataset.state")
    assert state == expect, (state, page.inner_text("#errors"))
    return (
        page.evaluate("window.playground.last")
        if expect == "done"
        else page.evaluate("window.playground.failure")
    )


def test_the_image_area_says_how_to_draw_before_the_first_run(playground):
    assert playground.evaluate("window.playground.runs") == 0
    assert playground.is_visible("#placeholder") and "press Run" in playground.inner_text(
        "#placeholder"
    )
    assert not playground.is_visible("#image")  # no empty checkerboard
    kernel(playground, TWICE)
    run(playground, "webgpu")
    assert playground.is_visible("#image") and not playground.is_visible("#placeholder")


def test_inputs_are_filled_as_chosen_and_said_before_the_run(playground):
    kernel(playground, TWICE, 16, 8)
    row = "#inputs label[data-name=k]"
    assert playground.input_value(f"{row} select") == "zeros"
    assert "zeros" in playground.inner_text(f"{row} small")
    playground.select_option(f"{row} select", "index")
    assert "index, 0 … 127" in playground.inner_text(f"{row} small")
    stats = run(playground, "webgpu")["stats"]
    assert (stats["min"], stats["max"], stats["distinct"]) == (0, 254, 128)
    playground.select_option(f"{row} select", "constant")
    playground.fill(f"{row} input", "7")
    playground.dispatch_event(f"{row} input", "change")
    assert "7 everywhere" in playground.inner_text(f"{row} small")
    stats = run(playground, "webgl")["stats"]
    assert (stats["min"], stats["max"]) == (14, 14)
    playground.select_option(f"{row} select", "random")
    assert "random integers in [0, 100)" in playground.inner_text(f"{row} small")
    stats = run(playground, "webgpu")["stats"]
    assert stats["distinct"] > 20 and 0 <= stats["min"] and stats["max"] <= 198
    assert "k ← random" in playground.inner_text("#timings")
    playground.select_option(f"{row} select", "zeros")


def test_infinite_outputs_are_summarised_as_infinite(playground):
    kernel(playground, OVERFLOW, 32, 16)
    run(playground, "webgpu")
    line = playground.inner_text("#timings")
    assert "min -Infinity, max Infinity" in line and "NaN" not in line, line
    assert "176 +Infinity, 336 -Infinity" in line  # x < 0 in 21 of the 32 columns


@pytest.mark.parametrize("backend", BACKENDS)
def test_sizes_that_cannot_run_are_refused_and_the_next_run_is_clean(playground, backend):
    kernel(playground, TWICE)
    run(playground, backend)
    assert playground.inner_text("#timings")
    for side in (100000, 8192):  # 8192 x 8192 crashed the renderer
        playground.fill("#width", str(side))
        playground.fill("#height", str(side))
        began = time.monotonic()
        failure = run(playground, backend, expect="error")
        assert time.monotonic() - began < 20
        assert "more than the playground runs" in failure["error"]
        assert "nothing was allocated" in playground.inner_text("#errors")
        assert playground.inner_text("#timings") == ""  # no figures of an earlier run
    playground.fill("#width", "64")
    playground.fill("#height", "64")
    last = run(playground, backend)  # neither an empty message nor the previous error
    assert last["output"]["shape"] == [64, 64]
    assert not playground.is_visible("#errors")
    assert playground.evaluate("window.playground.failure") is None


def test_a_backend_switch_shows_that_targets_own_compile_error(playground):
    kernel(playground, SCATTER)
    run(playground, "webgpu")
    assert not playground.is_visible("#errors")
    run(playground, "webgl", expect="error")
    assert playground.inner_text("#status") == "not run: compile error (GLSL)"
    panel = playground.inner_text("#errors")
    assert "written at a computed index" in panel and "GLSL" in panel
    assert playground.inner_text("#timings") == ""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_run_shows_progress_and_its_cancel_leaves_the_page_working(playground, backend):
    kernel(playground, SLOW, 512, 512)
    playground.select_option("#backend", backend)
    playground.click("#run")
    playground.wait_for_function("!document.getElementById('progress').hidden", timeout=30_000)
    assert "dispatch of kernel 'slow_loop'" in playground.inner_text("#progress")
    assert playground.is_visible("#cancel")
    began = time.monotonic()
    playground.click("#cancel")
    playground.wait_for_function(
        f"document.body.dataset.state !== 'running' && {SETTLED}", timeout=20_000
    )
    assert time.monotonic() - began < 15
    assert playground.inner_text("#status") == f"run on {backend} cancelled"
    assert not playground.is_visible("#cancel") and not playground.is_visible("#progress")
    kernel(playground, TWICE)
    began = time.monotonic()
    run(playground, backend)
    assert time.monotonic() - began < 20  # the cancelled launch is not still running


def test_a_reload_during_a_long_run_recovers(playground):
    kernel(playground, SLOW, 512, 512)
    playground.select_option("#backend", "webgpu")
    playground.click("#run")
    playground.wait_for_function("!document.getElementById('progress').hidden", timeout=30_000)
    began = time.monotonic()
    playground.reload()
    playground.evaluate("window.playground.ready")
    kernel(playground, TWICE)
    run(playground, "webgpu")
    assert time.monotonic() - began < 90
    assert playground.page_errors == []
