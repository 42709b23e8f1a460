"""The WGSL helper library (`helpers.wgsl`): polyfills giving CUDA's results, and the
run-time Inf/NaN sources; the emitter copies the helpers a program uses, in file order."""

from __future__ import annotations

from kernelc.emit_text import HelperLibrary

LIBRARY = HelperLibrary.from_resource(__package__, "helpers.wgsl", "storage.wgsl")
