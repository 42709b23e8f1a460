"""Real shader compilers as validators: naga (inside wgpu-native) for WGSL, and
glslangValidator for GLSL ES 3.00.

Rule: a validator returns or raises `ShaderInvalid` carrying the compiler's message and the
numbered shader text; `*_available()` says whether the tool is here, so tests can skip.
WGSL is validated on the runtime's WebGPU device (one GPU device per process).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache


class ShaderInvalid(AssertionError):
    """A real compiler rejected (or warned about) a shader we emitted."""


def numbered(code: str) -> str:
    return "\n".join(f"{k:4d}  {line}" for k, line in enumerate(code.splitlines(), start=1))


@cache
def wgsl_available() -> bool:
    try:
        import wgpu  # noqa: F401

        _device()
    except Exception:
        return False
    return True


def _device():
    from wgpy_runtime import device

    return device.get_device("webgpu")


def validate_wgsl(code: str) -> None:
    """Raise `ShaderInvalid` unless naga accepts `code` as a WGSL module."""
    try:
        _device().check_shader(code)
    except Exception as e:  # DeviceError with naga's report
        raise ShaderInvalid(f"naga rejected the WGSL:\n{e}\n{numbered(code)}") from None


def glslang_available() -> bool:
    return shutil.which("glslangValidator") is not None


def validate_glsl(code: str, stage: str = "frag", *, allow_warnings: bool = False) -> None:
    """Raise `ShaderInvalid` unless glslangValidator accepts `code` (a `#version 300 es`
    shader of `stage`) with no error, and no warning unless `allow_warnings`."""
    result = subprocess.run(
        ["glslangValidator", "--stdin", "-S", stage],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = (result.stdout + result.stderr).strip()
    bad = result.returncode != 0 or "ERROR" in report
    if bad or (not allow_warnings and "WARNING" in report):
        raise ShaderInvalid(f"glslangValidator: {report}\n{numbered(code)}")
