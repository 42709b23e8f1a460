"""Shared fixtures: the executors (the runtime's devices) and the `target` parametrisation.

Rule: the repository root is put on `sys.path`, and support code is imported as
`tests.support.*` only (importing it also as `support.*` would create a second set of
executor table).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with fixed seeds so a landing never depends on luck; a
# developer's run keeps searching new examples.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.kernel_call import executor_for

TARGETS = ("wgsl", "glsl")


@pytest.fixture(scope="session")
def wgsl_executor():
    """The executor of WGSL programs: the runtime's WebGPU device (wgpu-native)."""
    return executor_for("wgsl")


@pytest.fixture(scope="session")
def gles_executor():
    """The executor of GLSL programs: the runtime's WebGL device (GLES on EGL)."""
    return executor_for("glsl")


@pytest.fixture(params=TARGETS)
def target(request) -> str:
    """Each test taking `target` runs once per shader target."""
    return request.param


@pytest.fixture
def executor(target):
    """The executor of the current `target`."""
    return executor_for(target)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (SwiftShader WebGPU, ANGLE/SwiftShader WebGL2), one for the whole
    session: playwright's sync API cannot run two at once (tests/browser, tests/distributed)."""
    from tools import headless_chromium

    reason = headless_chromium.missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = headless_chromium.launch(p)
        yield chromium
        chromium.close()
