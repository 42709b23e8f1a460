"""Fixtures of the distributed-study tests: headless Chromium for the worker pages (the
browser tests' launcher, tools/headless_chromium.py) and a PostgreSQL cluster.

Rule: without Chromium, playwright, Pyodide, optuna or PostgreSQL the tests that need
them are skipped with the reason.
"""

from __future__ import annotations

import pytest

from tests.distributed.study_support import ROOT, PostgresCluster


@pytest.fixture
def worker_browser(browser):
    """The session's headless Chromium (tests/conftest.py), once Pyodide is there."""
    if not (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no Pyodide in node_modules/pyodide (run: npm ci)")
    return browser


@pytest.fixture
def postgres():
    """A running PostgreSQL cluster of the test's own; skipped when it cannot start."""
    try:
        cluster = PostgresCluster()
    except (RuntimeError, OSError, LookupError) as e:
        pytest.skip(f"PostgreSQL could not start: {e}")
    yield cluster
    cluster.stop()
