"""The device-internal shaders, one copy each: `vertex.glsl` (the launch vertex shader of
every GLSL program, named in its ABI), `copy.glsl` (a texel range copy, the WebGL devices'
`copy`) and `byte_copy.wgsl` (the WebGPU devices' copy of ranges that are not whole
words). The native devices read them here; the browser fetches the same files from the
server (js_bridge/shaders.js).

Rule: a device shader launched like a program has its contract beside it, `NAME.json`
(its bindings, uniform block and launch rule, as a `kernelc.abi.Contract`'s JSON form
without `abi_version`: it ships with the executors, so it is of their version), and
executors launch it from that record (`device_program`), spelling none of it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from kernelc.abi.contract import ABI_VERSION, Contract
from kernelc.abi.program import Program

NAMES = ("vertex.glsl", "copy.glsl", "byte_copy.wgsl")
PROGRAMS = {"byte_copy": "wgsl"}  # device shaders with a contract: name -> target


@cache
def device_shader(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"no device shader {name!r}; there are {NAMES}")
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def device_program(name: str) -> Program:
    """Device shader `name` (of PROGRAMS) with its contract from `name.json`."""
    if name not in PROGRAMS:
        raise ValueError(f"no device program {name!r}; there are {sorted(PROGRAMS)}")
    target = PROGRAMS[name]
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    abi = Contract.from_json({"abi_version": ABI_VERSION, **json.loads(text)})
    return Program(name, target, device_shader(f"{name}.{target}"), abi)


def copy_shader(texel_type: str, sampler_type: str, channels: str = "r") -> str:
    """`copy.glsl` for one texture kind ('float' and 'sampler2D', 'int' and 'isampler2D',
    'uint' and 'usampler2D'; 'uvec2', 'usampler2D' and channels 'rg' for RG32UI)."""
    text = device_shader("copy.glsl").replace("0).r;", f"0).{channels};")
    return text.replace("TEXEL_TYPE", texel_type).replace("SAMPLER_TYPE", sampler_type)
