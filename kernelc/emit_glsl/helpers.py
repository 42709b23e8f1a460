"""The GLSL ES 3.00 helper library (`helpers.glsl`): polyfills giving CUDA's results
(integer division included), the run-time Inf/NaN sources and texel addressing; the
emitter copies the helpers a program uses, in file order."""

from __future__ import annotations

from kernelc.emit_text import HelperLibrary

LIBRARY = HelperLibrary.from_resource(__package__, "helpers.glsl", "storage.glsl")
