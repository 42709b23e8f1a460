"""Debian's Chromium, headless, as the browser tests and benchmarks start it.

Rule: never `playwright install` (it downloads a browser); use /usr/bin/chromium with
SwiftShader for WebGPU (and ANGLE/SwiftShader for WebGL2).
"""

from __future__ import annotations

import os
import shutil

EXECUTABLE = os.environ.get("WGPY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-webgpu-adapter=swiftshader",
]


def missing() -> str | None:
    """Why the browser cannot be started here, or None."""
    if not (os.path.isfile(EXECUTABLE) or shutil.which(EXECUTABLE)):
        return f"no Chromium at {EXECUTABLE} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install playwright)"
    return None


def launch(playwright):
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=ARGS)
