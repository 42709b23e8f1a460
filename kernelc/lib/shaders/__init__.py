"""The device-internal shaders, one copy each: `vertex.glsl` (the launch vertex shader of
every GLSL program, named in its ABI), `copy.glsl` (a texel range copy, the WebGL devices'
`copy`) and `byte_copy.wgsl` (the WebGPU devices' copy of ranges that are not whole
words). The native devices read them here; the browser fetches the same files from the
server (js_bridge/shaders.js)."""

from __future__ import annotations

from functools import cache
from importlib import resources

NAMES = ("vertex.glsl", "copy.glsl", "byte_copy.wgsl")


@cache
def device_shader(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"no device shader {name!r}; there are {NAMES}")
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def copy_shader(texel_type: str, sampler_type: str, channels: str = "r") -> str:
    """`copy.glsl` for one texture kind ('float' and 'sampler2D', 'int' and 'isampler2D',
    'uint' and 'usampler2D'; 'uvec2', 'usampler2D' and channels 'rg' for RG32UI)."""
    text = device_shader("copy.glsl").replace("0).r;", f"0).{channels};")
    return text.replace("TEXEL_TYPE", texel_type).replace("SAMPLER_TYPE", sampler_type)
