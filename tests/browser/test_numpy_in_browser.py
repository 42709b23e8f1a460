"""The runtime's NumPy-level tests (tests/runtime/test_array_*.py) run in the browser:
numpy and pytest in the Pyodide worker, every array op through BrowserDevice and the
bridge — when a full Pyodide distribution (one with numpy) is supplied.

Rule: the npm package has no numpy, and these machines cannot fetch Pyodide's packages,
so without `WGPY_PYODIDE_DIST=DIR` (a Pyodide distribution with numpy and pytest) the
tests here are skipped with that reason.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.streams import ROOT

DIST = os.environ.get("WGPY_PYODIDE_DIST")
pytestmark = pytest.mark.skipif(
    not DIST,
    reason="needs a full Pyodide distribution with numpy: set WGPY_PYODIDE_DIST=DIR "
    "(the npm package has none)",
)
ARRAY_TESTS = sorted((ROOT / "tests/runtime").glob("test_array_*.py"))
FILES = ["tests/runtime/helpers.py", *(p.relative_to(ROOT).as_posix() for p in ARRAY_TESTS)]

RUN = """
import os, sys, pyodide_js
from pyodide.http import pyfetch
await pyodide_js.loadPackage(["numpy", "pytest"])
suite = "/home/pyodide/suite"
for name in {files!r}:
    os.makedirs(os.path.dirname(f"{{suite}}/{{name}}"), exist_ok=True)
    data = await (await pyfetch("/" + name)).bytes()
    with open(f"{{suite}}/{{name}}", "wb") as f:
        f.write(data)
os.chdir(suite)
sys.path.insert(0, suite)
os.environ["WGPY_BACKEND"] = {backend!r}
import pytest

class Outcomes:
    def __init__(self):
        self.counts, self.failures = {{}}, []
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.counts[report.outcome] = self.counts.get(report.outcome, 0) + 1
            if report.failed and len(self.failures) < 10:
                self.failures.append(report.nodeid + ": " + str(report.longrepr)[-400:])

outcomes = Outcomes()
pytest.main(["-q", "-p", "no:cacheprovider", *{tests!r}], plugins=[outcomes])
[outcomes.counts, outcomes.failures]
"""


@pytest.fixture(scope="module")
def full_pyodide_page(served_bridge_page):
    return served_bridge_page(timeout_ms=1_800_000, pyodide=DIST)


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_the_runtime_array_tests_pass_in_the_browser(full_pyodide_page, backend):
    code = RUN.format(files=FILES, backend=backend, tests=FILES[1:])
    counts, failures = full_pyodide_page.evaluate("(code) => window.bridge.run(code)", code)
    assert not failures, "\n".join(failures)
    assert counts.get("passed", 0) >= 300, counts
