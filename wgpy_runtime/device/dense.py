"""Dispatch values for the simplest call: every array C-contiguous over the loop shape,
no views, no broadcasting — what a caller without NumPy (the playground, the browser
tests) needs to launch a kernelc program through the device protocol.

Rule: computed from the ABI's uniform members alone (docs/abi.md, "The uniform block");
no NumPy.
"""

from __future__ import annotations

import math

from kernelc.abi import Contract


def c_strides(shape: tuple[int, ...]) -> list[int]:
    """Strides in elements of a C-contiguous array of `shape`."""
    strides, step = [], 1
    for extent in reversed(shape):
        strides.append(step)
        step *= extent
    return strides[::-1]


def dense_values(
    abi: Contract,
    shape: tuple[int, ...],
    scalars: dict | None = None,
    raw_shapes: dict[str, tuple[int, ...]] | None = None,
) -> dict:
    """The `values` of a dispatch over loop `shape` with every `"array"` parameter a dense
    array of that shape, raw parameters dense arrays of `raw_shapes[name]` and scalars
    from `scalars` (name -> number)."""
    scalars, raw_shapes = scalars or {}, raw_shapes or {}
    loop = {"size": math.prod(shape), "shape": shape, "strides": c_strides(shape)}
    raws = {
        name: {"size": math.prod(s), "shape": s, "strides": c_strides(s)}
        for name, s in raw_shapes.items()
    }
    values = {}
    for member in abi.uniforms:
        what, param, axis = key = member.key
        values[key] = _value(what, param, axis, loop, raws, scalars)
    return values


def _value(what: str, param, axis, loop: dict, raws: dict, scalars: dict):
    if what == "value":
        if param not in scalars:
            raise ValueError(f"no value given for scalar {param!r}")
        return scalars[param]
    if what in ("offset", "base"):  # base: the launch starts at element 0
        return 0
    if what == "out_width":
        return 0  # the backend fills it in
    described = loop if param is None or param not in raws else raws[param]
    if what == "size":
        return described["size"]
    if what == "shape":
        return described["shape"][axis]
    if what == "stride":
        return described["strides"][axis]
    raise ValueError(f"dense_values cannot give {what!r} (a reduction or matmul value)")
