"""The WGSL primitives (`primitives.wgsl`): C's conversions and division in WGSL, and the
run-time Inf/NaN sources — what the shader library (`kernelc.lib`) cannot say in C; the
emitter copies the primitives a program uses, in file order."""

from __future__ import annotations

from kernelc.emit.text import HelperLibrary

PRIMITIVES = HelperLibrary.from_resource(__package__, "primitives.wgsl")
