// @ts-check
// Drawing kernelc GLSL programs on the WebGL2 executor (docs/abi.md, "GLSL ES 3.00"): a
// JavaScript twin of wgpy_runtime/device/webgl_launch.py.
//
// Rule: the ABI says everything. Inputs are the buffers' own textures; an output's old
// contents (`previous`) and any input that is also rendered are pooled copies, since a
// texture may not be sampled and rendered in one draw. Outputs are rendered straight into
// their buffers' textures when those can be one framebuffer (distinct, equal sizes);
// otherwise into pooled temporaries of one size, copied into the buffers after the draw.
// `out_width` is the render targets' width. Reductions draw the ABI's passes, each pass's
// partials in a pooled texture read by the next. A kernel with output groups draws one
// group after another, every texture they read bound (copied where needed: any group's
// output counts as rendered) before the first draw. A packed matmul draws its stages into
// pooled textures, each read by the later ones.

import { glslOutputGroups, glslPasses, glslStageTexels, matmulDims, value,
         valueKey } from "./abi.js";

/** Draw `program` (every pass of a reduction, every output group) with `buffers` bound by
 * parameter name; `values` (a Map of its own) gets the per-draw values. */
export async function dispatchProgram(exec, program, buffers, values) {
  const abi = program.abi;
  const temps = []; // pooled textures to give back once drawn
  try {
    if (abi.launch.kind === "reduction") {
      await reduction(exec, program, buffers, values, temps);
    } else if (abi.launch.kind === "fragment") {
      await final(exec, glslOutputGroups(program), abi, buffers, values, {}, temps);
    } else if (abi.launch.kind === "packed_matmul") {
      await packedMatmul(exec, program, buffers, values, temps);
    } else {
      throw new Error(`kernel '${abi.kernel}': unknown launch kind '${abi.launch.kind}'`);
    }
  } finally {
    for (const texture of temps) exec.give(texture);
  }
}

async function reduction(exec, program, buffers, values, temps) {
  const abi = program.abi;
  const spec = abi.launch;
  const n = value(values, "size");
  let partials = exec.one(spec.partial_format); // pass 0 reads none
  for (const p of glslPasses(value(values, "reduce_size"), spec.fan_in)) {
    values.set(valueKey("pass"), p.index);
    values.set(valueKey("pass_items"), p.items);
    values.set(valueKey("pass_chunks"), p.chunks);
    if (p.final) {
      const group = { code: program.code, textures: abi.textures, outputs: abi.outputs };
      await final(exec, [group], abi, buffers, values, { partials }, temps);
      return;
    }
    const shader = spec.partial_shader;
    const target = exec.temp(spec.partial_format, n * p.chunks, temps);
    const textures = inputs(exec, abi, shader.textures, buffers, new Set(), { partials },
                            temps);
    draw(exec, abi, shader.code, shader, textures, [target], values, n * p.chunks);
    partials = target;
  }
}

/** Draw the stages into pooled textures of their texel counts (a stage of none is
 * skipped: K == 0), then the program's own code into C. */
async function packedMatmul(exec, program, buffers, values, temps) {
  const abi = program.abi;
  const spec = abi.launch;
  const counts = glslStageTexels(spec, ...matmulDims(abi, values));
  const made = {};
  for (const stage of spec.stages) {
    const count = counts[stage.name];
    const targets = stage.outputs.map(() => exec.temp(spec.texel_format, count, temps));
    made[stage.name] = targets;
    if (count) {
      const textures = inputs(exec, abi, stage.textures, buffers, new Set(), made, temps);
      await paced(exec, abi, stage.code, stage, textures, targets, values, count);
    }
  }
  const group = { code: program.code, textures: abi.textures, outputs: abi.outputs };
  await final(exec, [group], abi, buffers, values, made, temps);
}

/** The draws that write the outputs, one per output group ({code, textures, outputs}):
 * into their buffers' textures, or temporaries then copied. Every group's textures are
 * bound (copied where needed) before the first draw, so none reads another's results. */
async function final(exec, groups, abi, buffers, values, given, temps) {
  const n = value(values, "size");
  const outs = groups.map((g) => outputs(exec, abi, buffers, g));
  const rendered = new Set(outs.flat().map((b) => b.texture));
  const shared = new Map();
  for (const g of groups) for (const t of g.textures) shared.set(t.name, t);
  const textures = inputs(exec, abi, [...shared.values()], buffers, rendered, given, temps);
  for (const [k, group] of groups.entries()) {
    const out = outs[k];
    if (direct(out)) {
      await paced(exec, abi, group.code, group, textures, out.map((b) => b.texture), values, n);
      continue;
    }
    const targets = out.map((b) => exec.temp(b.texture.fmt, n, temps));
    await paced(exec, abi, group.code, group, textures, targets, values, n);
    out.forEach((b, j) => exec.copyTexels(targets[j], b.texture, 0, 0, Math.min(n, b.size)));
  }
}

/** The buffers of a group's render targets, by location. */
function outputs(exec, abi, buffers, group) {
  const sorted = [...group.outputs].sort((a, b) => a.location - b.location);
  sorted.forEach((o, k) => {
    if (o.location !== k) {
      throw new Error(`kernel '${abi.kernel}': render target locations must be ` +
                      `0..${sorted.length - 1}`);
    }
  });
  return sorted.map((o) => bound(exec, abi, buffers, o.param, o.format));
}

/** Whether the output buffers' textures can be one framebuffer's attachments. */
function direct(out) {
  const textures = new Set(out.map((b) => b.texture));
  const first = out[0].texture;
  return textures.size === out.length &&
    out.every((b) => b.texture.width === first.width && b.texture.height === first.height);
}

/** Sampler name -> texture for each of `list` (copies made here). */
function inputs(exec, abi, list, buffers, rendered, given, temps) {
  const textures = new Map();
  for (const t of list) {
    if (t.contents === "partials") {
      textures.set(t.name, given.partials);
      continue;
    }
    if (t.contents === "stage") { // a render target of an earlier stage
      textures.set(t.name, given[t.stage][t.output]);
      continue;
    }
    if (t.contents !== "array" && t.contents !== "previous") {
      throw new Error(`kernel '${abi.kernel}': unknown texture contents '${t.contents}'`);
    }
    const b = bound(exec, abi, buffers, t.param, t.format);
    if (t.contents === "previous" || rendered.has(b.texture)) {
      const copy = exec.temp(t.format, b.size, temps);
      if (b.size) exec.copyTexels(b.texture, copy, 0, 0, b.size);
      textures.set(t.name, copy);
    } else {
      textures.set(t.name, b.texture);
    }
  }
  return textures;
}

/** The buffer bound to `param`, checked against the format the program reads it as. */
function bound(exec, abi, buffers, param, format) {
  const id = buffers instanceof Map ? buffers.get(param) : buffers[param];
  if (id === undefined) throw new Error(`kernel '${abi.kernel}': no buffer for parameter '${param}'`);
  const b = exec.get(id);
  if (b.texture.fmt !== format) {
    throw new Error(`kernel '${abi.kernel}': '${param}' is bound to a ${b.dtype} buffer ` +
                    `(${b.texture.fmt}), the program reads ${format}`);
  }
  return b;
}

/** One full-screen draw of `code` into `targets` (equal sizes), rows covering `count`. */
function draw(exec, abi, code, shader, textures, targets, values, count) {
  bind(exec, abi, code, shader, textures, targets, values);
  exec.drawInto(targets, 0, Math.min(targets[0].height, Math.ceil(count / targets[0].width)));
}

/** `draw`, or when the pacer does not know it fits its budget, the rows in several draws
 * (a range of whole rows each, docs/abi.md), each waited for and timed; a cancel stops it
 * between them. */
async function paced(exec, abi, code, shader, textures, targets, values, count) {
  const width = targets[0].width;
  const rows = Math.min(targets[0].height, Math.ceil(count / width));
  if (rows <= 1 || exec.pacer.fitsWhole(code, count)) {
    draw(exec, abi, code, shader, textures, targets, values, count);
    return;
  }
  await exec.finish(); // time this launch alone
  const issue = (first, elements) => {
    bind(exec, abi, code, shader, textures, targets, values); // the same state each range
    const row = first / width;
    exec.drawInto(targets, row, Math.min(rows - row, Math.ceil(elements / width)));
  };
  const what = `dispatch of kernel '${abi.kernel}'`;
  await exec.pacer.run(code, what, count, width, rows * width, issue, () => exec.finish());
}

function bind(exec, abi, code, shader, textures, targets, values) {
  const gl = exec.gl;
  const linked = exec.program(abi.launch.vertex_shader, code, abi.kernel);
  values.set(valueKey("out_width"), targets[0].width);
  gl.useProgram(linked.program);
  exec.bindUniforms(linked, abi.uniform_block, exec.encode(abi, values));
  for (const t of shader.textures) {
    gl.activeTexture(gl.TEXTURE0 + t.unit);
    gl.bindTexture(gl.TEXTURE_2D, textures.get(t.name).tex);
    exec.samplerUnit(linked, t.name, t.unit);
  }
}
