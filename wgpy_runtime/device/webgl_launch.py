"""Launching kernelc GLSL programs on the WebGL device (docs/abi.md, "GLSL ES 3.00").

Rule: the contract says everything, and `kernelc.abi.plan.glsl_steps` which draws to
make (js_bridge/webgl_launch.js follows the same plan). Inputs are the buffers' own
textures; an output's old contents (`previous`) and any input that is also rendered are
pooled copies, since a texture may not be sampled and rendered in one draw (a prepared
launch that draws an output whole renders it into a fresh pooled texture instead and
samples the old one: no copy). Outputs are rendered straight into their buffers'
textures when those can be one framebuffer (distinct, equal sizes); otherwise into pooled
temporaries of one size, copied into the buffers after the draw. `out_width` is the render
targets' width. The plan's draws before those into the outputs (a reduction's partial
passes, a packed matmul's stages) render into pooled textures that later draws sample.
The draws into the outputs (one per output group) have every texture they read bound
(copied where needed: any group's output counts as rendered) before the first of them.
"""

from __future__ import annotations

import struct

from kernelc.abi import (
    Contract,
    Draw,
    Texture,
    encode_uniforms,
    uniform_number,
)
from kernelc.abi.contract import OUT_WIDTH, SIZE
from kernelc.abi.launch import UNIFORM_FORMAT
from kernelc.abi.plan import PARTIALS, GlslDraw, glsl_steps

from .protocol import DeviceError


def launch(dev, program, buffers: dict[str, int], values: dict) -> None:
    """Draw `program` as `kernelc.abi.plan.glsl_steps` says, with `buffers` bound by
    parameter name: the draws into pooled textures, each kept under its stage's name for
    the later draws that sample it, then those into the outputs."""
    abi = program.abi
    temps: list = []  # pooled textures to give back once drawn
    try:
        made: dict[str, list] = {}
        finals = []
        for step in glsl_steps(program, values):
            values.update(step.values)
            if step.final:
                finals.append(step)
                continue
            shader = step.shader
            targets = [_temp(dev, o.format, step.texels, temps) for o in shader.outputs]
            if step.texels:
                textures = _inputs(dev, abi, shader.textures, buffers, set(), made, temps)
                _draw(dev, abi, shader, textures, targets, values, step.texels)
            made[step.stage] = targets
        _final(dev, finals, abi, buffers, values, made, temps)
    finally:
        for texture in temps:
            dev._give(texture)


def _final(
    dev, draws: list[GlslDraw], abi: Contract, buffers: dict, values: dict, made: dict, temps: list
) -> None:
    """The draws that write the outputs, one per output group: into their textures, or
    temporaries then copied. Every group's textures are bound (copied where needed) before
    the first draw, so none reads another's results."""
    outs = [_outputs(dev, abi, buffers, d.shader) for d in draws]
    rendered = {id(b.texture) for out in outs for b in out}
    shared = list({t.name: t for d in draws for t in d.shader.textures}.values())
    textures = _inputs(dev, abi, shared, buffers, rendered, made, temps)
    for step, out in zip(draws, outs):
        n = step.texels
        if _direct(out):
            _draw(dev, abi, step.shader, textures, [b.texture for b in out], values, n)
            continue
        targets = [_temp(dev, b.texture.fmt, n, temps) for b in out]
        _draw(dev, abi, step.shader, textures, targets, values, n)
        for b, target in zip(out, targets):
            dev._copy_texels(target, b.texture, 0, 0, min(n, b.size))


def _outputs(dev, abi: Contract, buffers: dict, group: Draw) -> list:
    """The buffers of a group's render targets, by location."""
    outputs = sorted(group.outputs, key=lambda o: o.location)
    if [o.location for o in outputs] != list(range(len(outputs))):
        raise ValueError(f"render target locations must be 0..{len(outputs) - 1}")
    return [_buffer(dev, abi, buffers, o.param, o.format) for o in outputs]


def _direct(out: list) -> bool:
    """Whether the output buffers' textures can be one framebuffer's attachments."""
    sizes = {(b.texture.width, b.texture.height) for b in out}
    return len({id(b.texture) for b in out}) == len(out) and len(sizes) == 1


def _inputs(
    dev,
    abi: Contract,
    samplers: list[Texture],
    buffers: dict,
    rendered: set,
    made: dict,
    temps: list,
) -> dict:
    """Sampler name -> texture for each of `samplers` (copies made here); `made` holds
    the render targets of earlier draws by stage name."""
    textures = {}
    for t in samplers:
        if t.contents == PARTIALS:  # the previous pass's
            if PARTIALS not in made:  # the first pass samples none, yet binds its format
                made[PARTIALS] = [_temp(dev, t.format, 1, temps)]
            textures[t.name] = made[PARTIALS][0]
            continue
        if t.contents == "stage":  # a render target of an earlier stage
            textures[t.name] = made[t.stage][t.output]
            continue
        b = _buffer(dev, abi, buffers, t.param, t.format)
        if t.contents == "previous" or id(b.texture) in rendered:
            copy = _temp(dev, t.format, b.size, temps)
            dev._copy_texels(b.texture, copy, 0, 0, b.size)
            textures[t.name] = copy
        elif t.contents == "array":
            textures[t.name] = b.texture
        else:
            raise ValueError(f"unknown texture contents {t.contents!r}")
    return textures


def _buffer(dev, abi: Contract, buffers: dict, param: str, fmt: str):
    if param not in buffers:
        raise ValueError(f"kernel {abi.kernel!r}: no buffer for parameter {param!r}")
    b = dev._get(buffers[param])
    if b.texture.fmt != fmt:
        raise DeviceError(
            f"kernel {abi.kernel!r}: {param!r} is bound to a {b.dtype} "
            f"buffer ({b.texture.fmt}), the program reads {fmt}"
        )
    return b


def _temp(dev, fmt: str, count: int, temps: list):
    texture = dev._take(fmt, count)
    temps.append(texture)
    return texture


def _draw(
    dev,
    abi: Contract,
    shader: Draw,
    textures: dict,
    targets: list,
    values: dict,
    count: int,
) -> None:
    """One full-screen draw of `shader` into `targets` (equal sizes), rows covering
    `count`, with its samplers bound to `textures` (sampler name -> texture)."""
    kernel = abi.kernel
    linked, vao = dev.program(abi.launch.vertex_shader, shader.code, kernel)
    width = targets[0].width
    values[OUT_WIDTH] = width
    dev.bind_uniforms(linked, abi.uniform_block, dev.encode(abi, values))
    for t in shader.textures:
        textures[t.name].tex.use(location=t.unit)
        dev.sampler_unit(linked, t.name, t.unit)
    rows = min(targets[0].height, -(-count // width))
    if len(targets) == 1:
        dev.draw(vao, dev._framebuffer(targets[0]), (0, 0, width, rows))
    else:
        fbo = dev.ctx.framebuffer(color_attachments=[t.tex for t in targets])
        try:
            dev.draw(vao, fbo, (0, 0, width, rows))
        finally:
            dev._framebuffer(targets[0]).use()  # moderngl rebinds the last used one on read
            fbo.release()
    dev._check(f"kernel {kernel!r}")


# ---------------------------------------------------------------------------- prepared


_PREPARED = ("array", "previous", PARTIALS)  # texture contents a prepared launch binds


class Prepared:
    """A fragment program's launch with everything fixed but its buffers and scalar
    values (`WebGLDevice.prepare`): the linked program, which buffer each texture and
    render target comes from, the uniform block by render-target width with the scalar
    members still to fill."""

    __slots__ = (
        "code",
        "formats",
        "inputs",
        "kernel",
        "linked",
        "n",
        "outputs",
        "params",
        "previous",
        "program",
        "samplers",
        "scalar_names",
        "scalars",
        "templates",
        "uniform",
        "unread",
        "values",
        "vao",
    )


def prepare(dev, program, values: dict) -> Prepared | None:
    """None unless the launch is one draw into the outputs whose textures are arrays or
    outputs' old contents (a one-pass reduction's partials sampler, which it does not
    read, included); the rest keeps `launch`'s general path."""
    abi = program.abi
    if values[SIZE] == 0:
        return None
    steps = glsl_steps(program, values)
    if len(steps) != 1 or any(t.contents not in _PREPARED for t in steps[0].shader.textures):
        return None
    group = steps[0].shader
    outputs = sorted(group.outputs, key=lambda o: o.location)
    if [o.location for o in outputs] != list(range(len(outputs))):
        return None
    p = Prepared()
    p.program, p.kernel, p.code = program, abi.kernel, group.code
    p.values = values | steps[0].values
    p.n = values[SIZE]
    textures = [t for t in group.textures if t.contents != PARTIALS]
    used = [t.param for t in textures] + [o.param for o in outputs]
    p.params = tuple(dict.fromkeys(used))
    p.formats = [(p.params.index(t.param), t.format) for t in textures]
    p.formats += [(p.params.index(o.param), o.format) for o in outputs]
    p.outputs = [p.params.index(o.param) for o in outputs]
    p.inputs = [p.params.index(t.param) for t in textures if t.contents == "array"]
    p.previous = [
        (t.name, t.format, p.params.index(t.param)) for t in textures if t.contents == "previous"
    ]
    p.unread = [(t.name, t.unit, t.format) for t in group.textures if t.contents == PARTIALS]
    p.linked, p.vao = dev.program(abi.launch.vertex_shader, p.code, p.kernel)
    p.samplers = [(t.name, t.unit, p.params.index(t.param)) for t in textures]
    p.uniform = abi.uniform_block
    p.scalars = [m for m in abi.uniforms if m.key.what == "value"]
    p.scalar_names = tuple(m.key.param for m in p.scalars)
    p.templates = {}
    return p


def run(dev, p: Prepared, ids: tuple, scalars) -> bool:
    """Draw a prepared launch; False (nothing done) where `launch`'s general path is
    needed: an unknown buffer, a format that does not match (it raises there), render
    targets that cannot be one framebuffer, a texture both sampled and rendered."""
    try:
        records = [dev._buffers[i] for i in ids]
    except (KeyError, TypeError):
        return False
    if len(records) != len(p.params):
        return False
    for k, fmt in p.formats:
        if records[k].texture.fmt != fmt:
            return False
    targets = [records[k].texture for k in p.outputs]
    if len(targets) > 1 and not _direct([records[k] for k in p.outputs]):
        return False
    for k in p.inputs:
        if any(records[k].texture is t for t in targets):
            return False
    renewed: dict[int, tuple] = {}
    try:
        _renew(dev, p, records, renewed)
        _draw_prepared(dev, p, records, scalars, renewed)
    except BaseException:
        for record, old in renewed.values():  # the outputs keep their contents
            dev._give(record.texture)
            record.texture = old
        raise
    for _record, old in renewed.values():
        dev._give(old)
    return True


def _renew(dev, p: Prepared, records: list, renewed: dict) -> None:
    """Give each output whose old contents are read and that the draw covers whole a
    fresh pooled texture to render, its old one to be sampled as it is (a texture may not
    be sampled and rendered in one draw; this way no copy is drawn). `renewed` gets them
    by parameter index: (the buffer's record, its old texture). The outputs are distinct
    buffers (`run` leaves any other case to the general path)."""
    for _name, fmt, k in p.previous:
        record = records[k]
        if p.n >= record.size:
            texture = dev._take(fmt, record.size)
            renewed[k] = (record, record.texture)
            record.texture = texture


def _draw_prepared(dev, p: Prepared, records: list, scalars, renewed: dict) -> None:
    targets = [records[k].texture for k in p.outputs]
    numbers = [uniform_number(m.type, m.name, x) for m, x in zip(p.scalars, scalars)]
    width = targets[0].width
    data = p.templates.get(width)
    if data is None:
        values = dict(p.values)
        values[OUT_WIDTH] = width
        data = p.templates[width] = encode_uniforms(p.program.abi, values)
    if numbers:
        data = bytearray(data)
        for m, x in zip(p.scalars, numbers):
            struct.pack_into(UNIFORM_FORMAT[m.type], data, m.offset, x)
    temps: list = []  # copies of outputs' old contents, given back once drawn
    try:
        copies = {
            name: renewed[k][1] if k in renewed else _old_contents(dev, records[k], fmt, temps)
            for name, fmt, k in p.previous
        }
        linked = p.linked
        dev.bind_uniforms(linked, p.uniform, data)
        for name, unit, k in p.samplers:
            copies.get(name, records[k].texture).tex.use(location=unit)
            dev.sampler_unit(linked, name, unit)
        for name, unit, fmt in p.unread:  # bound with its format, never read
            _temp(dev, fmt, 1, temps).tex.use(location=unit)
            dev.sampler_unit(linked, name, unit)
        rows = min(targets[0].height, -(-p.n // width))
        if len(targets) == 1:
            dev.draw(p.vao, dev._framebuffer(targets[0]), (0, 0, width, rows))
        else:
            fbo = dev.ctx.framebuffer(color_attachments=[t.tex for t in targets])
            try:
                dev.draw(p.vao, fbo, (0, 0, width, rows))
            finally:
                dev._framebuffer(targets[0]).use()  # moderngl rebinds the last used one
                fbo.release()
    finally:
        for texture in temps:
            dev._give(texture)
    dev._check(f"kernel {p.kernel!r}")


def _old_contents(dev, record, fmt: str, temps: list):
    """A pooled copy of the output a `previous` sampler reads (it is also rendered)."""
    copy = _temp(dev, fmt, record.size, temps)
    dev._copy_texels(record.texture, copy, 0, 0, record.size)
    return copy
