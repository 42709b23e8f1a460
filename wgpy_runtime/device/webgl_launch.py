"""Launching kernelc GLSL programs on the WebGL device (docs/abi.md, "GLSL ES 3.00").

Rule: the contract says everything. Inputs are the buffers' own textures; an output's old
contents (`previous`) and any input that is also rendered are pooled copies, since a
texture may not be sampled and rendered in one draw. Outputs are rendered straight into
their buffers' textures when those can be one framebuffer (distinct, equal sizes);
otherwise into pooled temporaries of one size, copied into the buffers after the draw.
`out_width` is the render targets' width. Reductions draw the contract's passes, each pass's
partials in a pooled texture read by the next. A kernel with output groups draws one
group after another, every texture they read bound (copied where needed: any group's
output counts as rendered) before the first draw. A packed matmul draws its stages into
pooled textures, each read by the later ones.
"""

from __future__ import annotations

import struct

from kernelc.abi import (
    Contract,
    Draw,
    Texture,
    encode_uniforms,
    glsl_output_groups,
    uniform_number,
)
from kernelc.abi.contract import OUT_WIDTH, PASS, PASS_CHUNKS, PASS_ITEMS, REDUCE_SIZE, SIZE
from kernelc.abi.launch import UNIFORM_FORMAT
from kernelc.abi.matmul import glsl_stage_texels, matmul_dims
from kernelc.abi.reduction import glsl_passes

from .protocol import DeviceError


def launch(dev, program, buffers: dict[str, int], values: dict) -> None:
    """Draw `program` (every pass of a reduction, every output group) with `buffers`
    bound by parameter name."""
    abi = program.abi
    temps: list = []  # pooled textures to give back once drawn
    try:
        if abi.launch.kind == "reduction":
            _reduction(dev, program, buffers, values, temps)
        elif abi.launch.kind == "fragment":
            _final(dev, glsl_output_groups(program), abi, buffers, values, {}, temps)
        elif abi.launch.kind == "packed_matmul":
            _packed_matmul(dev, program, buffers, values, temps)
        else:
            raise ValueError(f"unknown launch kind {abi.launch.kind!r}")
    finally:
        for texture in temps:
            dev._give(texture)


def _reduction(dev, program, buffers: dict, values: dict, temps: list) -> None:
    abi, n = program.abi, values[SIZE]
    spec = abi.launch
    partials = _temp(dev, spec.partial_format, 1, temps)  # pass 0 reads none
    for p in glsl_passes(values[REDUCE_SIZE], spec.fan_in):
        values.update({PASS: p.index, PASS_ITEMS: p.items, PASS_CHUNKS: p.chunks})
        if p.final:
            final = Draw(code=program.code, textures=abi.textures, outputs=abi.outputs)
            _final(dev, [final], abi, buffers, values, {"partials": partials}, temps)
            return
        shader = spec.partial_shader
        target = _temp(dev, spec.partial_format, n * p.chunks, temps)
        given = {"partials": partials}
        textures = _inputs(dev, abi, shader.textures, buffers, set(), given, temps)
        _draw(dev, abi, shader.code, shader.textures, textures, [target], values, n * p.chunks)
        partials = target


def _packed_matmul(dev, program, buffers: dict, values: dict, temps: list) -> None:
    """Draw the stages into pooled textures of their texel counts (a stage of none is
    skipped: K == 0), then the program's own code into C."""
    abi, spec = program.abi, program.abi.launch
    dims = matmul_dims(abi, values)
    counts = glsl_stage_texels(*dims, k_per_texel=spec.k_per_texel, block=spec.block)
    made: dict = {}
    for stage in spec.stages:
        count = counts[stage.name]
        targets = [_temp(dev, spec.texel_format, count, temps) for _ in stage.outputs]
        made[stage.name] = targets
        if count:
            textures = _inputs(dev, abi, stage.textures, buffers, set(), made, temps)
            _draw(dev, abi, stage.code, stage.textures, textures, targets, values, count)
    final = Draw(code=program.code, textures=abi.textures, outputs=abi.outputs)
    _final(dev, [final], abi, buffers, values, made, temps)


def _final(
    dev, groups: list[Draw], abi: Contract, buffers: dict, values: dict, given: dict, temps: list
) -> None:
    """The draws that write the outputs, one per output group: into their textures, or
    temporaries then copied. Every group's textures are bound (copied where needed) before
    the first draw, so none reads another's results."""
    n = values[SIZE]
    outs = [_outputs(dev, abi, buffers, g) for g in groups]
    rendered = {id(b.texture) for out in outs for b in out}
    shared = list({t.name: t for g in groups for t in g.textures}.values())
    textures = _inputs(dev, abi, shared, buffers, rendered, given, temps)
    for group, out in zip(groups, outs):
        code = group.code
        if _direct(out):
            targets = [b.texture for b in out]
            _draw(dev, abi, code, group.textures, textures, targets, values, n)
            continue
        targets = [_temp(dev, b.texture.fmt, n, temps) for b in out]
        _draw(dev, abi, code, group.textures, textures, targets, values, n)
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
    given: dict,
    temps: list,
) -> dict:
    """Sampler name -> texture for each of `samplers` (copies made here)."""
    textures = {}
    for t in samplers:
        if t.contents == "partials":
            textures[t.name] = given["partials"]
            continue
        if t.contents == "stage":  # a render target of an earlier stage
            textures[t.name] = given[t.stage][t.output]
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
    code: str,
    samplers: tuple[Texture, ...],
    textures: dict,
    targets: list,
    values: dict,
    count: int,
) -> None:
    """One full-screen draw of `code` into `targets` (equal sizes), rows covering `count`,
    with `samplers` bound to `textures` (sampler name -> texture)."""
    kernel = abi.kernel
    linked, vao = dev.program(abi.launch.vertex_shader, code, kernel)
    width = targets[0].width
    values[OUT_WIDTH] = width
    dev.bind_uniforms(linked, abi.uniform_block, dev.encode(abi, values))
    for t in samplers:
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
        "program",
        "samplers",
        "scalar_names",
        "scalars",
        "templates",
        "uniform",
        "values",
        "vao",
    )


def prepare(dev, program, values: dict) -> Prepared | None:
    """None unless a single-group fragment program whose textures are plain arrays (the
    rest keeps `launch`'s general path)."""
    abi = program.abi
    if abi.launch.kind != "fragment" or values[SIZE] == 0:
        return None
    groups = glsl_output_groups(program)
    if len(groups) != 1 or any(t.contents != "array" for t in groups[0].textures):
        return None
    group = groups[0]
    outputs = sorted(group.outputs, key=lambda o: o.location)
    if [o.location for o in outputs] != list(range(len(outputs))):
        return None
    p = Prepared()
    p.program, p.kernel, p.code, p.values = program, abi.kernel, group.code, dict(values)
    p.n = values[SIZE]
    used = [t.param for t in group.textures] + [o.param for o in outputs]
    p.params = tuple(dict.fromkeys(used))
    p.formats = [(p.params.index(t.param), t.format) for t in group.textures]
    p.formats += [(p.params.index(o.param), o.format) for o in outputs]
    p.outputs = [p.params.index(o.param) for o in outputs]
    p.inputs = [p.params.index(t.param) for t in group.textures]
    p.linked, p.vao = dev.program(abi.launch.vertex_shader, p.code, p.kernel)
    p.samplers = [(t.name, t.unit, p.params.index(t.param)) for t in group.textures]
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
    linked = p.linked
    dev.bind_uniforms(linked, p.uniform, data)
    for name, unit, k in p.samplers:
        records[k].texture.tex.use(location=unit)
        dev.sampler_unit(linked, name, unit)
    rows = min(targets[0].height, -(-p.n // width))
    if len(targets) == 1:
        dev.draw(p.vao, dev._framebuffer(targets[0]), (0, 0, width, rows))
    else:
        fbo = dev.ctx.framebuffer(color_attachments=[t.tex for t in targets])
        try:
            dev.draw(p.vao, fbo, (0, 0, width, rows))
        finally:
            dev._framebuffer(targets[0]).use()  # moderngl rebinds the last used one on read
            fbo.release()
    dev._check(f"kernel {p.kernel!r}")
    return True
