"""Fixtures of the browser tests: the project's HTTP server (wgpy_runtime/serve.py, with
the cross-origin isolation headers), Debian's headless Chromium through Python
playwright, and pages: a blank one, the bridge page, and one executor page per backend.

Rule: without /usr/bin/chromium or playwright every test here is skipped with the reason
(tools/headless_chromium.py decides); `playwright install` is never run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.streams import newest_source, record_streams
from tools import headless_chromium
from wgpy_runtime.device.replay import load

HERE = Path(__file__).parent
PAGE_TIMEOUT_MS = 120_000  # a replay of a whole stream on SwiftShader takes a while
EXECUTOR_FILES = {"webgpu": "js_bridge/webgpu.js", "webgl": "js_bridge/webgl.js"}


def pytest_collection_modifyitems(config, items) -> None:
    reason = headless_chromium.missing()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(reason=f"browser tests: {reason}"))


@pytest.fixture(scope="session")
def server_url():
    """Base URL of a server of the repository root on a free port (COOP same-origin,
    COEP require-corp: SharedArrayBuffer works)."""
    from wgpy_runtime import serve

    try:
        server, url = serve.serve_in_background(extra_mounts=serve.TEST_MOUNTS)
    except SystemExit:  # no Pyodide (npm ci not run): the executor pages do not need it
        server = _static_server(serve)
        url = f"http://127.0.0.1:{server.server_address[1]}"
    yield url
    server.shutdown()
    server.server_close()


def _static_server(serve):
    import threading

    server = serve.Server(("127.0.0.1", 0), {**serve.PAGE_MOUNTS, **serve.TEST_MOUNTS})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _new_page(browser):
    page = browser.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.page_errors = errors  # uncaught errors, for failure messages
    return page


@pytest.fixture
def page(browser, server_url):
    """A blank page of the server's origin (cross-origin isolated)."""
    page = _new_page(browser)
    page.goto(f"{server_url}/tests/browser/pages/blank.html")
    yield page
    page.close()


@pytest.fixture(scope="module")
def bridge_page(browser, server_url):
    """tests/browser/pages/bridge.html with its bridge started (Pyodide in a worker)."""
    page = _bridge_page(browser, server_url)
    yield page
    page.close()


def _bridge_page(browser, url: str, timeout_ms: int = PAGE_TIMEOUT_MS):
    if not (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no Pyodide in node_modules/pyodide (run: npm ci)")
    page = _new_page(browser)
    page.set_default_timeout(timeout_ms)
    page.goto(f"{url}/tests/browser/pages/bridge.html")
    page.info = page.evaluate("window.bridgeReady")  # what the worker's init answered
    return page


@pytest.fixture(scope="module")
def served_bridge_page(browser):
    """`served_bridge_page(timeout_ms=..., **options)`: the bridge page on a server of its
    own, started with `serve.serve_in_background(**options)` (say `isolated=False`)."""
    from wgpy_runtime import serve

    opened = []

    def get(timeout_ms: int = PAGE_TIMEOUT_MS, **options):
        server, url = serve.serve_in_background(extra_mounts=serve.TEST_MOUNTS, **options)
        opened.append(server)
        page = _bridge_page(browser, url, timeout_ms)
        opened.append(page)
        return page

    yield get
    for thing in reversed(opened):
        if hasattr(thing, "shutdown"):
            thing.shutdown()
            thing.server_close()
        else:
            thing.close()


@pytest.fixture(scope="session")
def executor_page(browser, server_url):
    """`executor_page(backend)`: the page of tests/browser/pages/executor.html with that
    backend's executor created (one page per backend, kept for the session); skips when
    the executor's file does not exist."""
    pages = {}

    def get(backend: str):
        if backend not in pages:
            if not (ROOT / EXECUTOR_FILES[backend]).is_file():
                pytest.skip(f"{EXECUTOR_FILES[backend]} does not exist")
            page = _new_page(browser)
            page.goto(f"{server_url}/tests/browser/pages/executor.html?backend={backend}")
            try:
                page.evaluate("window.executorReady")
            except Exception as e:  # noqa: BLE001  (the page's error, whatever its type)
                page.close()
                pytest.fail(f"{backend} executor could not be created: {e}")
            pages[backend] = page
        return pages[backend]

    yield get
    for page in pages.values():
        page.close()


@pytest.fixture(scope="session")
def corpus_stream():
    """`corpus_stream(backend)`: (stream, Report) of the corpus recorded on the native
    device of `backend`, once per session."""
    cache = {}

    def get(backend: str):
        if backend not in cache:
            rec, report = record_streams.record_corpus(backend)
            assert not report.failed, report.summary()
            cache[backend] = rec.stream(), report
        return cache[backend]

    return get


@pytest.fixture(scope="session")
def chainer_stream():
    """`chainer_stream(backend)`: (URL path, stream) of build/streams/chainer-step-
    <backend>.json.gz, recorded under .venv-chainer unless it is older than its sources."""

    def get(backend: str):
        path = record_streams.DEFAULT_OUT / f"chainer-step-{backend}.json.gz"
        if not path.exists() or path.stat().st_mtime < newest_source():
            try:
                record_streams.chainer_in_venv([backend], record_streams.DEFAULT_OUT)
            except FileNotFoundError as e:
                pytest.skip(str(e))
        return "/" + path.relative_to(ROOT).as_posix(), load(path)

    return get
