"""The targets kernelc translates for, as capability records: code asks a `Target` what it
can do instead of comparing target names.

Rule: this is the one place that says what a target can do; a target's name is only a key
(the `target=` argument, `Program.abi["target"]`, cache keys, `--target`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # the shading language
    backend: str  # the browser API whose devices run it
    # An invocation may store to any element of an output (storage buffers); otherwise each
    # writes only its own element (a fragment its texel), so scatters need a gather.
    can_scatter: bool
    # Outputs are whole, C-contiguous buffers (render targets): a strided or partial view is
    # written through a dense temporary.
    dense_outputs: bool
    # Loops with constant bounds are unrolled unless the caller says otherwise (the drivers
    # that run it gain most from it).
    unroll_by_default: bool
    # Workgroups with shared memory (the matrix product's `tiles`).
    workgroup_tiles: bool
    # Inputs are textures that can hold four values a texel (the product's `packed` form).
    packed_texels: bool
    # Texture limits (None: buffers, no such limit). WebGL2 guarantees 16
    # MAX_TEXTURE_IMAGE_UNITS per fragment shader and 4 MAX_DRAW_BUFFERS; a buffer is a 2-D
    # texture `texture_width` texels wide.
    texture_units: int | None
    max_outputs: int | None
    texture_width: int | None
    file_extension: str  # of `kernelc translate -o` files


WGSL = Target(
    "wgsl",
    backend="webgpu",
    can_scatter=True,
    dense_outputs=False,
    unroll_by_default=False,
    workgroup_tiles=True,
    packed_texels=False,
    texture_units=None,
    max_outputs=None,
    texture_width=None,
    file_extension=".wgsl",
)
GLSL = Target(
    "glsl",
    backend="webgl",
    can_scatter=False,
    dense_outputs=True,
    unroll_by_default=True,
    workgroup_tiles=False,
    packed_texels=True,
    texture_units=16,
    max_outputs=4,
    texture_width=4096,
    file_extension=".frag",
)
BY_NAME = {t.name: t for t in (WGSL, GLSL)}
TARGETS = tuple(BY_NAME)  # the names, in the order `check` and cache builds use


def target_named(name: str) -> Target:
    """The `Target` named `name`; ValueError for an unknown name."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"target must be one of {TARGETS}, not {name!r}") from None


def for_backend(backend: str) -> Target:
    """The `Target` whose programs a device of `backend` ('webgpu', 'webgl') runs."""
    found = [t for t in BY_NAME.values() if t.backend == backend]
    if not found:
        backends = ", ".join(t.backend for t in BY_NAME.values())
        raise ValueError(f"unknown backend {backend!r} (one of {backends})")
    return found[0]
