"""The kernel playground page (js_bridge/playground/) in headless Chromium: the preloaded
Mandelbrot kernel compiles to WGSL and GLSL in the page's Pyodide, runs on each backend
and draws a non-trivial image; an error shows its line, column and caret and does not
break the page; fixed, the kernel runs again. Leaves build/screenshots/playground.png.

Rule: the page is driven as a person would (the form, the editor, the Run button) and
checked through the DOM, the canvas and `window.playground.last`; one page per module,
each test starting from the preloaded example.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
EXECUTORS = {"webgpu": "js_bridge/webgpu.js", "webgl": "js_bridge/webgl.js"}
SETTLED = "['done', 'error', 'ready', 'failed'].includes(document.body.dataset.state)"


@pytest.fixture(scope="module")
def playground(browser, server_url):
    if not (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no Pyodide in node_modules/pyodide (run: npm ci)")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server_url}/")  # the server's home is the playground
    assert page.url.endswith("/js_bridge/playground/")
    page.evaluate("window.playground.ready")
    assert page.evaluate("document.body.dataset.state") == "ready", page.inner_text("#errors")
    page.page_errors = errors
    yield page
    page.close()


def reset(page) -> None:
    """The preloaded example, compiled, WebGPU chosen."""
    page.select_option("#example", "mandelbrot")
    page.evaluate("window.playground.loadExample('mandelbrot')")
    page.wait_for_function("document.body.dataset.errors === '0'")
    page.wait_for_function("document.getElementById('wgsl-code').textContent.length > 0")


def run(page, backend: str) -> dict:
    if not (ROOT / EXECUTORS[backend]).is_file():
        pytest.skip(f"{EXECUTORS[backend]} does not exist yet")
    page.select_option("#backend", backend)
    page.click("#run")
    page.wait_for_function(f"document.body.dataset.state !== 'running' && {SETTLED}")
    state = page.evaluate("document.body.dataset.state")
    assert state == "done", page.inner_text("#errors")
    return page.evaluate("window.playground.last")


def canvas_statistics(page) -> dict:
    """Distinct colours and two sample pixels of the drawn image."""
    return page.evaluate("""() => {
        const c = document.getElementById('image');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const colours = new Set();
        for (let k = 0; k < px.length; k += 4) colours.add((px[k] << 16) | (px[k+1] << 8) | px[k+2]);
        const at = (x, y) => Array.from(px.slice(4 * (y * c.width + x), 4 * (y * c.width + x) + 3));
        // (-0.25, 0) is inside the set; the top-left corner (-2, 1.5) is far outside
        const inside = at(Math.floor(c.width * 1.75 / 3), Math.floor(c.height / 2));
        return {width: c.width, height: c.height, colours: colours.size,
                inside, corner: at(0, 0)};
    }""")


def test_the_preloaded_kernel_compiles_to_both_targets(playground):
    reset(playground)
    wgsl = playground.inner_text("#wgsl-code")
    glsl = playground.inner_text("#glsl-code")
    assert "@compute" in wgsl and "fn main(" in wgsl
    assert glsl.startswith("#version 300 es") and "void main()" in glsl
    assert "launch: compute" in playground.inner_text("#wgsl-abi")
    assert "launch: fragment" in playground.inner_text("#glsl-abi")
    assert playground.input_value("#scalars input[name=max_iter]") == "200"
    assert playground.inner_text("#wgsl-ms").endswith(" ms")
    assert not playground.is_visible("#errors")


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_a_run_draws_the_mandelbrot_set(playground, backend):
    reset(playground)
    last = run(playground, backend)
    assert last["backend"] == backend
    assert last["output"] == {"name": "count", "dtype": "int32", "shape": [512, 512]}
    stats = last["stats"]
    assert (stats["min"], stats["max"]) == (1, 200) and stats["distinct"] > 100
    assert 30 < stats["mean"] < 50  # about 38 over the default view
    t = last["timings"]
    assert t["run_ms"] > 0 and t["compile_ms"] >= 0
    assert t["run_ms"] == pytest.approx(t["upload_ms"] + t["dispatch_ms"] + t["read_ms"])
    pixels = canvas_statistics(playground)
    assert (pixels["width"], pixels["height"]) == (512, 512) and pixels["colours"] > 50
    assert pixels["inside"] != pixels["corner"]
    table = playground.inner_text("#timings")
    assert "upload" in table and "read back" in table and backend in table
    assert "unknown" not in table.split("backend", 1)[1].split("\n", 1)[0]
    assert playground.page_errors == []


def test_a_compile_error_shows_line_column_and_caret_and_the_fix_runs(playground):
    reset(playground)
    text = playground.input_value("#source")
    lines = text.splitlines()
    line = next(k for k, s in enumerate(lines, 1) if s.strip() == "zi = 2.0f * zr * zi + cy;")
    playground.fill("#source", text.replace("zr * zi + cy", "zr * zq + cy"))
    playground.wait_for_function("document.body.dataset.errors !== '0'")
    panel = playground.inner_text("#errors")
    assert f"mandelbrot:{line}:22: error: use of undeclared identifier 'zq'" in panel
    assert f"line {line}, column 22" in panel and "WGSL and GLSL" in panel
    first = "ps => ps[0].textContent.split('\\n').slice(1, 3)"
    source, caret = playground.eval_on_selector_all("#errors pre", first)
    assert source.strip() == "zi = 2.0f * zr * zq + cy;" and caret.index("^") == source.index("zq")
    assert playground.inner_text("#gutter .error") == str(line)
    assert playground.inner_text("#wgsl-ms") == "failed"

    playground.click("#run")  # refused with the error still there; the page goes on
    playground.wait_for_function(SETTLED)
    assert playground.evaluate("document.body.dataset.state") == "error"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playground.screenshot(path=str(SCREENSHOTS / "playground-error.png"), full_page=True)

    playground.click("#errors .diagnostic")  # puts the cursor on the error
    assert playground.evaluate("document.activeElement.id") == "source"
    selected = playground.evaluate(
        "(() => { const t = document.getElementById('source'); "
        "return t.value.slice(t.selectionStart, t.selectionEnd); })()"
    )
    assert selected == "zq"

    playground.fill("#source", text)
    playground.wait_for_function("document.body.dataset.errors === '0'")
    assert not playground.is_visible("#errors")
    backend = "webgpu" if (ROOT / EXECUTORS["webgpu"]).is_file() else "webgl"
    before = playground.evaluate("window.playground.runs")
    last = run(playground, backend)
    assert last["run"] == before + 1 and last["stats"]["max"] == 200


def test_the_page_after_a_run(playground):
    """The screenshot the docs point at: the Mandelbrot set after a run, log scale."""
    reset(playground)
    playground.select_option("#scale", "log")
    playground.select_option("#colours", "magma")
    backend = "webgpu" if (ROOT / EXECUTORS["webgpu"]).is_file() else "webgl"
    last = run(playground, backend)
    assert last["stats"]["distinct"] > 100
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playground.screenshot(path=str(SCREENSHOTS / "playground.png"), full_page=True)
    assert playground.page_errors == []
