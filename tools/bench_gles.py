"""Why GLES runs slower than Vulkan for the same work: `maximum(x, 0)` over float32 through
wgpy_runtime on both devices, and minimal hand-written GLES programs on the WebGL device's
own EGL context (same process, same textures' sizes), as a markdown table.

    python tools/bench_gles.py [--size 67108864] [--repeat 20]

Rows (GB/s counts 4 bytes read + 4 written per element):

* `wgpy webgpu` / `wgpy webgl`: `wgpy_runtime.maximum(x, 0, out=y)`, our kernels.
* `hand r32f, our layout`: a ten-line fragment shader reading texel `gl_FragCoord.xy` of
  an R32F texture `MAX_WIDTH` wide (the device's layout) into another: what the driver
  does with the least a shader can do, on our textures.
* `hand r32f, square`: the same in a square texture (another row length).
* `hand rgba32f, square`: four elements per texel (a quarter of the fragments).
* `hand r32f, uniform index`: our layout, with the flat index and `texelFetch` by
  `(i % width, i / width)` computed as our programs do.

Each GLES row gives wall time per draw (`repeat` draws, then `glFinish`) and GPU time
(GL_TIME_ELAPSED query): wall much above GPU time points at the driver's submission or
synchronisation; equal times with low GB/s point at the shader or the layout. The renderer
string shows which GL implementation EGL picked (a software one on a GPU host explains
everything).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = "#version 300 es\nprecision highp float;\nprecision highp int;\n"
COPY_MAX = (
    HEADER
    + """uniform highp sampler2D x;
layout(location = 0) out highp VEC y;
void main() {
    y = max(texelFetch(x, ivec2(gl_FragCoord.xy), 0)SWIZZLE, ZERO);
}
"""
)
INDEXED_MAX = (
    HEADER
    + """uniform highp sampler2D x;
uniform int n;
uniform int width;
layout(location = 0) out highp float y;
void main() {
    int i = int(gl_FragCoord.y) * width + int(gl_FragCoord.x);
    if (i >= n) {
        discard;
    }
    y = max(texelFetch(x, ivec2(i % width, i / width), 0).r, 0.0);
}
"""
)


def wgpy_row(backend: str, size: int, repeat: int) -> tuple[float, float | None]:
    import wgpy_runtime as wp
    from wgpy_runtime import device as devices

    dev = devices.get_device(backend)
    devices.set_device(dev)
    x = wp.asarray(np.random.default_rng(0).standard_normal(size, dtype=np.float32))
    y = wp.empty(size, "float32")
    wp.maximum(x, 0, out=y)
    dev.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        wp.maximum(x, 0, out=y)
    dev.synchronize()
    return (time.perf_counter() - start) / repeat, None


def gles_row(
    ctx,
    shader: str,
    shape: tuple[int, int],
    components: int,
    repeat: int,
    uniforms: dict | None = None,
) -> tuple[float, float]:
    """(wall seconds, GPU seconds) per draw of `shader` over a `shape` texture."""
    from wgpy_runtime.device.webgl import VERTEX_SHADER

    program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=shader)
    vao = ctx.vertex_array(program, [])
    data = np.random.default_rng(0).standard_normal(shape[0] * shape[1] * components)
    src = ctx.texture(shape, components, data.astype(np.float32).tobytes(), dtype="f4")
    dst = ctx.texture(shape, components, dtype="f4")
    fbo = ctx.framebuffer(color_attachments=[dst])
    for name, value in {"x": 0, **(uniforms or {})}.items():
        if name in program:
            program[name].value = value
    src.use(location=0)
    fbo.use()
    fbo.viewport = (0, 0, *shape)
    vao.render(vertices=3)
    ctx.finish()
    query = ctx.query(time=True)
    start = time.perf_counter()
    with query:
        for _ in range(repeat):
            vao.render(vertices=3)
    ctx.finish()
    wall = (time.perf_counter() - start) / repeat
    gpu = query.elapsed * 1e-9 / repeat
    for thing in (fbo, dst, src, vao, program):
        thing.release()
    return wall, gpu


def gles_rows(size: int, repeat: int) -> tuple[list, str]:
    from wgpy_runtime import device as devices
    from wgpy_runtime.device import egl
    from wgpy_runtime.device.webgl import MAX_WIDTH

    dev = devices.get_device("webgl")
    egl.make_current(dev._egl)
    ctx = dev.ctx
    width = min(MAX_WIDTH, dev.max_width)
    ours = (width, -(-size // width))
    side = int(np.ceil(np.sqrt(size)))
    quarter = int(np.ceil(np.sqrt(size / 4)))
    scalar = COPY_MAX.replace("VEC", "float").replace("SWIZZLE", ".r").replace("ZERO", "0.0")
    indexed = {"n": size, "width": width}
    vec4 = COPY_MAX.replace("VEC", "vec4").replace("SWIZZLE", "").replace("ZERO", "vec4(0.0)")
    rows = [
        ("hand r32f, our layout", gles_row(ctx, scalar, ours, 1, repeat)),
        ("hand r32f, square", gles_row(ctx, scalar, (side, side), 1, repeat)),
        ("hand rgba32f, square", gles_row(ctx, vec4, (quarter, quarter), 4, repeat)),
        ("hand r32f, uniform index", gles_row(ctx, INDEXED_MAX, ours, 1, repeat, indexed)),
    ]
    return rows, str(ctx.info.get("GL_RENDERER", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64 << 20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="medians of this many")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float | None]]] = {}
    notes = []
    for _ in range(args.runs):
        for backend in ("webgpu", "webgl"):
            try:
                results.setdefault(f"wgpy {backend}", []).append(
                    wgpy_row(backend, args.size, args.repeat)
                )
            except Exception as e:  # noqa: BLE001  (say so in the table)
                notes.append(f"wgpy {backend}: {type(e).__name__}: {e}")
    # After the device's own runs: the hand-written draws change the context's bindings
    # behind the device's back (its next write would fail).
    for _ in range(args.runs):
        rows, renderer = gles_rows(args.size, args.repeat)
        for name, timing in rows:
            results.setdefault(name, []).append(timing)
    notes.append(f"GL_RENDERER: {renderer}; size {args.size}, {args.repeat} draws per timing")
    print(table(results, args.size, notes))


def table(results: dict, size: int, notes: list[str]) -> str:
    lines = [
        "| row | wall ms | GB/s (wall) | GPU ms | GB/s (GPU) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, timings in results.items():
        wall = statistics.median(t[0] for t in timings)
        gpus = [t[1] for t in timings if t[1] is not None]
        gpu = statistics.median(gpus) if gpus else None
        gpu_cells = f"{gpu * 1e3:.3f} | {_rate(size, gpu)}" if gpu else "— | —"
        lines.append(f"| {name} | {wall * 1e3:.3f} | {_rate(size, wall)} | {gpu_cells} |")
    return "\n".join(lines + [""] + [f"* {note}" for note in dict.fromkeys(notes)])


def _rate(size: int, seconds: float) -> str:
    """GB/s of 4 bytes read and 4 written per element."""
    return f"{8 * size / seconds / 1e9:.1f}"


if __name__ == "__main__":
    main()
