"""The shared emitter base under `kernelc.emit_wgsl` and `kernelc.emit_glsl`: `base` (the
`Emitter` that walks legal IR, with each target's tables as class attributes), `text`
(names, indented writing, float literals, helper libraries), `reduction` and `matmul`
(the shells that place a reduction's or a matrix product's body in a shader).

Rule: nothing here knows a target's syntax; a target's emitter subclasses these.
"""
