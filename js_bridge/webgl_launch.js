// @ts-check
// Drawing kernelc GLSL programs on the WebGL2 executor (docs/abi.md, "GLSL ES 3.00"): a
// JavaScript twin of wgpy_runtime/device/webgl_launch.py.
//
// Rule: the ABI says everything, and abi.js's `glslSteps` (kernelc.abi.plan.glsl_steps)
// which draws to make. Inputs are the buffers' own textures; an output's old contents
// (`previous`) and any input that is also rendered are pooled copies, since a texture may
// not be sampled and rendered in one draw (a prepared launch that draws an output whole
// renders it into a fresh pooled texture instead and samples the old one: no copy).
// Outputs are rendered straight into their buffers' textures when those can be one
// framebuffer (distinct, equal sizes); otherwise into pooled temporaries of one size,
// copied into the buffers after the draw. `out_width` is the render targets' width. The
// plan's draws before those into the outputs (a reduction's partial passes, a packed
// matmul's stages) render into pooled textures that later draws sample. The draws into the
// outputs (one per output group) have every texture they read bound (copied where needed:
// any group's output counts as rendered) before the first of them.

import { FINAL, glslSteps, numberOf, packMember, PARTIALS, valueKey } from "./abi.js";

/** Draw `program` as `glslSteps` says, with `buffers` bound by parameter name: the draws
 * into pooled textures, each kept under its stage's name for the later draws that sample
 * it, then those into the outputs; `values` (a Map of its own) gets the per-draw values. */
export async function dispatchProgram(exec, program, buffers, values) {
  const abi = program.abi;
  const temps = []; // pooled textures to give back once drawn
  try {
    const made = {};
    const finals = [];
    for (const step of glslSteps(program, values)) {
      for (const [what, x] of step.values) values.set(valueKey(what), x);
      if (step.stage === FINAL) {
        finals.push(step);
        continue;
      }
      const shader = step.shader;
      const targets = shader.outputs.map((o) => exec.temp(o.format, step.texels, temps));
      if (step.texels) {
        const textures = inputs(exec, abi, shader.textures, buffers, new Set(), made, temps);
        // A draw with per-pass values is drawn whole: its cost per texel changes from pass
        // to pass, so the pacer's estimate for its shader does not hold.
        const drawn = step.values.length ? draw : paced;
        await drawn(exec, abi, shader, textures, targets, values, step.texels);
      }
      made[step.stage] = targets;
    }
    await final(exec, finals, abi, buffers, values, made, temps);
  } finally {
    for (const texture of temps) exec.give(texture);
  }
}

/** The draws that write the outputs, one per output group: into their buffers' textures,
 * or temporaries then copied. Every group's textures are bound (copied where needed)
 * before the first draw, so none reads another's results. */
async function final(exec, steps, abi, buffers, values, made, temps) {
  const outs = steps.map((s) => outputs(exec, abi, buffers, s.shader));
  const rendered = new Set(outs.flat().map((b) => b.texture));
  const shared = new Map();
  for (const s of steps) for (const t of s.shader.textures) shared.set(t.name, t);
  const textures = inputs(exec, abi, [...shared.values()], buffers, rendered, made, temps);
  for (const [k, step] of steps.entries()) {
    const out = outs[k];
    const n = step.texels;
    if (direct(out)) {
      await paced(exec, abi, step.shader, textures, out.map((b) => b.texture), values, n);
      continue;
    }
    const targets = out.map((b) => exec.temp(b.texture.fmt, n, temps));
    await paced(exec, abi, step.shader, textures, targets, values, n);
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

/** Sampler name -> texture for each of `list` (copies made here); `made` holds the render
 * targets of earlier draws by stage name. */
function inputs(exec, abi, list, buffers, rendered, made, temps) {
  const textures = new Map();
  for (const t of list) {
    if (t.contents === PARTIALS) { // the previous pass's; the first samples none
      textures.set(t.name, made[PARTIALS]?.[0] ?? exec.one(t.format));
      continue;
    }
    if (t.contents === "stage") { // a render target of an earlier stage
      textures.set(t.name, made[t.stage][t.output]);
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

/** One full-screen draw of `shader` ({code, textures}) into `targets` (equal sizes), rows
 * covering `count`. */
function draw(exec, abi, shader, textures, targets, values, count) {
  bind(exec, abi, shader, textures, targets, values);
  exec.drawInto(targets, 0, Math.min(targets[0].height, Math.ceil(count / targets[0].width)));
}

/** `draw`, or when the pacer does not know it fits its budget, the rows in several draws
 * (a range of whole rows each, docs/abi.md), each waited for and timed; a cancel stops it
 * between them. */
async function paced(exec, abi, shader, textures, targets, values, count) {
  const code = shader.code;
  const width = targets[0].width;
  const rows = Math.min(targets[0].height, Math.ceil(count / width));
  if (rows <= 1 || exec.pacer.fitsWhole(code, count)) {
    draw(exec, abi, shader, textures, targets, values, count);
    return;
  }
  await exec.finish(); // time this launch alone
  const issue = (first, elements) => {
    bind(exec, abi, shader, textures, targets, values); // the same state each range
    const row = first / width;
    exec.drawInto(targets, row, Math.min(rows - row, Math.ceil(elements / width)));
  };
  const what = `dispatch of kernel '${abi.kernel}'`;
  await exec.pacer.run(code, what, count, width, rows * width, issue, () => exec.finish());
}

function bind(exec, abi, shader, textures, targets, values) {
  values.set(valueKey("out_width"), targets[0].width);
  const linked = use(exec, abi, shader.code, exec.encode(abi, values));
  for (const t of shader.textures) sample(exec, linked, t.name, t.unit, textures.get(t.name));
}

/** Make the linked program of fragment shader `code` current with uniform block `data`. */
function use(exec, abi, code, data) {
  const linked = exec.program(abi.launch.vertex_shader, code, abi.kernel);
  exec.gl.useProgram(linked.program);
  exec.bindUniforms(linked, abi.uniform_block, data);
  return linked;
}

/** Bind `texture` to texture unit `unit`, which the program's sampler `name` reads. */
function sample(exec, linked, name, unit, texture) {
  const gl = exec.gl;
  gl.activeTexture(gl.TEXTURE0 + unit);
  gl.bindTexture(gl.TEXTURE_2D, texture.tex);
  exec.samplerUnit(linked, name, unit);
}

// ------------------------------------------------------------------ prepared launches

/** What every launch of a prepared program (host.js) shares, as wgpy_runtime's
 * webgl_launch.prepare keeps it, or null where only `dispatchProgram` applies: the
 * launch must be one draw into the outputs whose textures are arrays, an output's old
 * contents (`previous`) or a one-pass reduction's partials (bound, never read). */
export function readyLaunch(exec, p) {
  const abi = p.program.abi;
  if (abi.target !== "glsl" || !Number(p.values.get(valueKey("size")) ?? 0)) return null;
  const values = new Map(p.values);
  const steps = glslSteps(p.program, values);
  const prepared = (t) => ["array", "previous", PARTIALS].includes(t.contents);
  if (steps.length !== 1 || !steps[0].shader.textures.every(prepared)) return null;
  const group = steps[0].shader;
  const textures = group.textures.filter((t) => t.contents !== PARTIALS);
  for (const [what, x] of steps[0].values) values.set(valueKey(what), x);
  const outs = [...group.outputs].sort((a, b) => a.location - b.location);
  if (outs.some((o, k) => o.location !== k)) return null;
  const index = (param) => p.params.indexOf(param);
  return {
    code: group.code, n: Number(values.get(valueKey("size"))), values,
    formats: [...textures.map((t) => [index(t.param), t.format]),
              ...outs.map((o) => [index(o.param), o.format])],
    outputs: outs.map((o) => index(o.param)),
    inputs: textures.filter((t) => t.contents === "array").map((t) => index(t.param)),
    previous: textures.filter((t) => t.contents === "previous")
      .map((t) => [t.name, t.format, index(t.param)]),
    samplers: textures.map((t) => [t.name, t.unit, index(t.param)]),
    unread: group.textures.filter((t) => t.contents === PARTIALS)
      .map((t) => [t.name, t.unit, t.format]),
    members: abi.uniforms.filter((m) => m.key.what === "value")
      .map((m) => [m, p.scalarNames.indexOf(m.key.param)]),
    templates: new Map(), // render-target width -> the uniform block but its scalars
  };
}

/** Draw a prepared launch (`r` = readyLaunch's) with buffers `ids` and `scalars`; false
 * (nothing drawn) where `dispatchProgram` is needed: another format (it says so), render
 * targets that cannot be one framebuffer, a texture both sampled and rendered, or a draw
 * the pacer would split. */
export function launchPrepared(exec, p, r, ids, scalars) {
  const records = ids.map((id) => exec.get(id));
  if (r.formats.some(([k, format]) => records[k].texture.fmt !== format)) return false;
  let targets = r.outputs.map((k) => records[k].texture);
  if (targets.length > 1 && !direct(r.outputs.map((k) => records[k]))) return false;
  if (r.inputs.some((k) => targets.includes(records[k].texture))) return false;
  const width = targets[0].width;
  const rows = Math.min(targets[0].height, Math.ceil(r.n / width));
  if (rows > 1 && !exec.pacer.fitsWhole(r.code, r.n)) return false;
  const renewed = new Map(); // parameter index -> [record, its old texture]
  const temps = []; // copies of outputs' old contents, given back once drawn
  try {
    renew(exec, r, records, renewed);
    targets = r.outputs.map((k) => records[k].texture);
    const old = new Map(r.previous.map(([name, format, k]) => [name, renewed.has(k)
      ? renewed.get(k)[1] : oldContents(exec, records[k], format, temps)]));
    drawPrepared(exec, p, r, records, scalars, targets, old, width, rows);
  } catch (e) {
    for (const [record, texture] of renewed.values()) { // the outputs keep their contents
      exec.give(record.texture);
      record.texture = texture;
    }
    throw e;
  } finally {
    for (const texture of temps) exec.give(texture);
  }
  for (const [, texture] of renewed.values()) exec.give(texture);
  return true;
}

/** Give each output whose old contents are read and that the draw covers whole a fresh
 * pooled texture to render, its old one to be sampled as it is (a texture may not be
 * sampled and rendered in one draw; this way no copy is drawn): `renewed` gets them by
 * parameter index, [the buffer's record, its old texture]. The outputs are distinct
 * buffers (launchPrepared leaves any other case to `dispatchProgram`). */
function renew(exec, r, records, renewed) {
  for (const [, format, k] of r.previous) {
    const record = records[k];
    if (r.n < record.size) continue;
    const texture = exec.take(format, record.size);
    renewed.set(k, [record, record.texture]);
    record.texture = texture;
  }
}

/** A pooled copy of the output a `previous` sampler reads (it is also rendered). */
function oldContents(exec, record, format, temps) {
  const copy = exec.temp(format, record.size, temps);
  if (record.size) exec.copyTexels(record.texture, copy, 0, 0, record.size);
  return copy;
}

function drawPrepared(exec, p, r, records, scalars, targets, old, width, rows) {
  const abi = p.program.abi;
  let data = r.templates.get(width);
  if (!data) {
    const values = new Map(r.values);
    values.set(valueKey("out_width"), width);
    data = exec.encode(abi, values);
    r.templates.set(width, data);
  }
  if (r.members.length) {
    data = data.slice();
    const view = new DataView(data.buffer);
    for (const [m, k] of r.members) packMember(view, m, numberOf(scalars[k]));
  }
  const linked = use(exec, abi, r.code, data);
  for (const [name, unit, k] of r.samplers) {
    sample(exec, linked, name, unit, old.get(name) ?? records[k].texture);
  }
  for (const [name, unit, format] of r.unread) sample(exec, linked, name, unit, exec.one(format));
  exec.drawInto(targets, 0, rows);
}
