"""The GLSL ES 3.00 primitives (`primitives.glsl`): C's conversions and integer division in
GLSL, the run-time Inf/NaN sources and texel addressing — what the shader library
(`kernelc.lib`) cannot say in C; the emitter copies the primitives a program uses, in file
order."""

from __future__ import annotations

from kernelc.emit.text import HelperLibrary

PRIMITIVES = HelperLibrary.from_resource(__package__, "primitives.glsl")
