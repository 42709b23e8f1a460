// The kernelc launch contract on the executor side (docs/abi.md): uniform packing, launch
// grids and the reduction and matmul plans, all read from the contract's JSON form that
// Python sends with each program (kernelc.abi.Contract.to_json) and from tables.json
// (generated from Python: ABI version, 64-bit word types, item sizes). Only the arithmetic
// on run-time sizes lives here, following the rules the contract gives as data;
// tests/browser/test_abi_corpus.py checks that it agrees with kernelc.abi on every program.

import tables from "./tables.json" with { type: "json" };

export const ABI_VERSION = tables.abi_version;

/** u32 words of one element of a WGSL storage type (1 unless a wide accumulator's). */
export function elementWords(element) {
  return tables.element_words[element] ?? 1;
}

const ceilDiv = (a, b) => Math.floor((a + b - 1) / b);

/** Throw unless `abi` is a contract of the version these executors read. */
export function checkContract(abi) {
  if (abi?.abi_version !== ABI_VERSION) {
    throw new Error(`kernel '${abi?.kernel}': a program of ABI version ${abi?.abi_version}: ` +
                    `these executors read version ${ABI_VERSION}`);
  }
  return abi;
}

// `values` as the protocol carries it: a list of [what, param, axis, value] (param and
// axis null when absent) -> a Map keyed "what|param|axis". A value JSON cannot hold
// exactly comes as a string: "NaN", "Infinity", "-Infinity", or an integer's decimal
// digits (a 64-bit scalar past 2^53), which becomes a BigInt.
export function valueKey(what, param = null, axis = null) {
  return `${what}|${param ?? ""}|${axis ?? ""}`;
}

export function valuesMap(entries) {
  const map = new Map();
  for (const [what, param, axis, value] of entries) {
    map.set(valueKey(what, param, axis), numberOf(value));
  }
  return map;
}

function parseValue(text) {
  return /^-?[0-9]+$/.test(text) ? BigInt(text) : Number(text);
}

/** A dispatch value as the bridge sends it (valuesMap's entries, a prepared launch's
 * scalars): a number, or a string for an integer past 2**53 or a non-finite float. */
export function numberOf(x) {
  return typeof x === "string" ? parseValue(x) : x;
}

/** The value of `what` (of `param`, along `axis`); `fallback` when absent (a uniform
 * member's `default`), else an error naming it. */
export function value(values, what, param = null, axis = null, fallback = undefined) {
  const v = values.get(valueKey(what, param, axis)) ?? fallback;
  if (v === undefined) {
    throw new Error(`dispatch values lack ${what}${param ? ` of ${param}` : ""}` +
                    `${axis !== null ? ` axis ${axis}` : ""}`);
  }
  return v;
}

// Pack the uniform block (kernelc.abi.encode_uniforms): f32 as float, u32 wrapped to
// 32 bits, i32 checked to fit; a 64-bit scalar's two words (f64lo/f64hi: the float64's
// bits, i64lo/i64hi: the integer's two's complement bits) each as a u32.
export function encodeUniforms(abi, values) {
  const out = new ArrayBuffer(abi.uniform_size);
  const view = new DataView(out);
  for (const m of abi.uniforms) {
    const k = m.key;
    const x = value(values, k.what, k.param ?? null, k.axis ?? null, m.default ?? undefined);
    packMember(view, m, x);
  }
  return new Uint8Array(out);
}

/** Write uniform member `m`'s value `x` into the block's DataView, as encodeUniforms does. */
export function packMember(view, m, x) {
  if (m.type === "f32") {
    view.setFloat32(m.offset, Number(x), true);
  } else if (m.type === "u32") {
    view.setUint32(m.offset, Number(BigInt.asUintN(32, integer(x))), true);
  } else if (WORD_TYPES.has(m.type)) {
    view.setUint32(m.offset, word64(m.type, x), true);
  } else {
    const i = Math.trunc(Number(x));
    if (i < -(2 ** 31) || i >= 2 ** 31) {
      throw new RangeError(`uniform ${m.name} = ${i} does not fit in int32`);
    }
    view.setInt32(m.offset, i, true);
  }
}

// The members of a 64-bit scalar's words (kernelc.abi.WORD_TYPES).
const WORD_TYPES = new Set(tables.word_types);
const f64 = new DataView(new ArrayBuffer(8));

/** A value (Number or BigInt) as a BigInt integer, truncated toward zero. */
function integer(x) {
  return typeof x === "bigint" ? x : BigInt(Math.trunc(Number(x)));
}

/** The low or high u32 word of `x` as a 64-bit value of word type `type`. */
function word64(type, x) {
  let bits;
  if (type.startsWith("f")) {
    f64.setFloat64(0, Number(x), true);
    bits = f64.getBigUint64(0, true);
  } else {
    bits = BigInt.asUintN(64, integer(x));
  }
  return Number(type.endsWith("hi") ? bits >> 32n : BigInt.asUintN(32, bits));
}

// (x, y, 1) with x <= maxPerDimension and x * y >= workgroups.
export function spill(workgroups, maxPerDimension) {
  const x = Math.max(1, Math.min(workgroups, maxPerDimension));
  return [x, Math.max(1, ceilDiv(workgroups, x)), 1];
}

// Workgroup counts covering `n` invocations of a compute launch rule
// ({workgroup_size, max_workgroups_per_dimension}).
export function wgslDispatch(n, launch) {
  const groups = Math.max(1, ceilDiv(n, launch.workgroup_size[0]));
  return spill(groups, launch.max_workgroups_per_dimension);
}

// Render-target [width, height] for `n` outputs, row-major, at most `maxWidth` (the launch
// rule's `max_width`) texels a row.
export function glslGrid(n, maxWidth) {
  const width = Math.max(1, Math.min(n, maxWidth));
  return [width, Math.max(1, ceilDiv(n, width))];
}

// [capacity, width, height] of the texture for a buffer of `size` elements asked with
// `capacity` texels (kernelc.abi.launch.glsl_texture_extent): rows of `maxWidth`, or of
// `maxTextureSize` when that many rows would not fit.
export function glslTextureExtent(capacity, size, maxWidth, maxTextureSize) {
  let width = Math.min(capacity, maxWidth);
  if (ceilDiv(capacity, width) > maxTextureSize) {
    width = Math.min(capacity, maxTextureSize);
    capacity = ceilDiv(Math.max(1, size), width) * width;
  }
  const height = ceilDiv(capacity, width);
  if (height > maxTextureSize) {
    throw new Error(`cannot allocate ${size} elements: a texture holds at most ` +
                    `${maxTextureSize * maxTextureSize} (MAX_TEXTURE_SIZE ${maxTextureSize})`);
  }
  return [capacity, width, height];
}

// The draws of a GLSL elementwise program: [{code, textures, outputs}, ...].
export function glslOutputGroups(program) {
  const groups = program.abi.launch.output_groups;
  if (groups) return groups;
  const abi = program.abi;
  return [{ code: program.code, textures: abi.textures, outputs: abi.outputs }];
}

// WGSL reductions: workgroups per output (docs/abi.md, "the rule").
export function wgslGroups(rule, n, reduceSize) {
  if (n <= 0) return 1;
  const groups = Math.min(rule.max_groups, ceilDiv(reduceSize, rule.elements_per_group),
                          ceilDiv(rule.target_workgroups, n));
  return Math.max(1, groups);
}

// Whether a WGSL reduction reads by columns (kernelc/abi/reduction.by_columns).
export function byColumns(launch, n, reduceSize, values) {
  const rule = launch.columns;
  if (!rule || n < rule.min_outputs) return false;
  const groups = wgslGroups(rule.split_rule, ceilDiv(n, launch.workgroup_size[0]), reduceSize);
  if (ceilDiv(reduceSize, groups) > rule.max_chunk) return false;
  if (reduceSize <= rule.short_reduce) return true;
  const stride = (key) => Math.abs(Number(value(values, key.what, key.param, key.axis)));
  return stride(rule.output_stride) < stride(rule.reduce_stride);
}

// [groups, [{entryPoint, workgroups, dispatch: [x, y, z]}, ...]] in order, by rows or by
// `columns`; `groups` overrides the split rule.
export function wgslStages(launch, n, reduceSize, groups = undefined, columns = false) {
  let plan = launch.stages;
  const blocks = ceilDiv(n, launch.workgroup_size[0]);
  if (columns) {
    if (!launch.columns) throw new Error("this reduction cannot be read by columns");
    plan = launch.columns.stages;
    groups ??= wgslGroups(launch.columns.split_rule, blocks, reduceSize);
  }
  groups ??= wgslGroups(launch.split_rule, n, reduceSize);
  if (groups < 1) throw new Error(`groups must be at least 1, not ${groups}`);
  const counts = { n, "n*groups": n * groups, blocks, "blocks*groups": blocks * groups };
  const stages = plan[groups > 1 ? "split" : "single"].map((s) => {
    const count = counts[s.workgroups];
    const dispatch = spill(count, launch.max_workgroups_per_dimension);
    return { entryPoint: s.entry_point, workgroups: count, dispatch };
  });
  return [groups, stages];
}

// GLSL reductions: [{index, items, chunks, final}, ...], at least one pass.
export function glslPasses(reduceSize, fanIn) {
  const passes = [];
  let items = reduceSize;
  for (;;) {
    const chunks = Math.max(1, ceilDiv(items, fanIn));
    passes.push({ index: passes.length, items, chunks, final: chunks === 1 });
    if (chunks === 1) return passes;
    items = chunks;
  }
}

// Matmul: [batch, M, N, K] from a dispatch's values (C's shape is the loop shape).
export function matmulDims(abi, values) {
  const shape = [];
  for (let d = 0; d < abi.ndim; d++) shape.push(value(values, "shape", null, d));
  const batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [batch, shape[shape.length - 2], shape[shape.length - 1],
          value(values, "reduce_size")];
}

// Matmul WGSL: one workgroup per tile of C in every batch entry, spilled into y.
export function matmulGrid(launch, batch, m, n) {
  const tile = launch.tile;
  return spill(batch * ceilDiv(m, tile.m) * ceilDiv(n, tile.n),
               launch.max_workgroups_per_dimension);
}

/**
 * The WGSL dispatches of a launch (kernelc.abi.plan.wgsl_steps): {stages: [[entry point,
 * [x, y, z]], ...], scratch: elements, groups: workgroups per output (reductions) or null}
 * for the values' `size` outputs; a reduction's `reduce_groups` may fix the split.
 */
export function wgslSteps(abi, values) {
  const launch = abi.launch;
  const n = Number(value(values, "size"));
  if (launch.kind === "compute") {
    const size = launch.workgroup_size;
    if (size[1] !== 1 || size[2] !== 1) throw new Error(`unsupported workgroup size [${size}]`);
    return { stages: [[abi.entry_point ?? "main", wgslDispatch(n, launch)]], scratch: 0,
             groups: null };
  }
  if (launch.kind === "matmul") {
    const [batch, m, cols] = matmulDims(abi, values);
    return { stages: [[abi.entry_point ?? "main", matmulGrid(launch, batch, m, cols)]],
             scratch: 0, groups: null };
  }
  if (launch.kind !== "reduction") throw new Error(`unknown launch kind '${launch.kind}'`);
  const given = values.get(valueKey("reduce_groups"));
  const reduceSize = Number(value(values, "reduce_size"));
  const [groups, stages] = wgslStages(launch, n, reduceSize,
                                      given === undefined ? undefined : Number(given),
                                      byColumns(launch, n, reduceSize, values));
  return { stages: stages.map((s) => [s.entryPoint, s.dispatch]), scratch: n * groups, groups };
}

// Packed GLSL matmul: the texels each stage writes (kernelc/abi/matmul.glsl_stage_texels).
export function glslStageTexels(launch, batch, m, n, k) {
  const kp = ceilDiv(k, launch.k_per_texel);
  const [rows, cols] = launch.block;
  return { pack_a: batch * m * kp, pack_b: batch * n * kp,
           product: batch * ceilDiv(m, rows) * ceilDiv(n, cols) };
}

// GLSL draws: a draw's `stage` for those into the program's outputs, and for a reduction
// pass's into pooled partials (kernelc.abi.plan.FINAL, PARTIALS).
export const FINAL = "final";
export const PARTIALS = "partials";

/**
 * The GLSL draws of a launch (kernelc.abi.plan.glsl_steps) for `program` ({code, abi}):
 * [{stage, shader, texels, values: [[what, number], ...]}, ...] in order, those into the
 * outputs (stage FINAL) last; any other draw renders pooled textures of its shader's
 * output formats, sampled later under its stage's name (PARTIALS or a packed-matmul
 * stage's), and is not drawn when it has 0 texels.
 */
export function glslSteps(program, values) {
  const abi = program.abi;
  const launch = abi.launch;
  const n = Number(value(values, "size"));
  const own = { code: program.code, textures: abi.textures, outputs: abi.outputs };
  const step = (stage, shader, texels, extra = []) => ({ stage, shader, texels, values: extra });
  if (launch.kind === "fragment") return glslOutputGroups(program).map((g) => step(FINAL, g, n));
  if (launch.kind === "packed_matmul") {
    const texels = glslStageTexels(launch, ...matmulDims(abi, values));
    return [...launch.stages.map((s) => step(s.name, s, texels[s.name])), step(FINAL, own, n)];
  }
  if (launch.kind !== "reduction") throw new Error(`unknown launch kind '${launch.kind}'`);
  return glslPasses(Number(value(values, "reduce_size")), launch.fan_in).map((p) => {
    const extra = [["pass", p.index], ["pass_items", p.items], ["pass_chunks", p.chunks]];
    return p.final ? step(FINAL, own, n, extra)
      : step(PARTIALS, launch.partial_shader, n * p.chunks, extra);
  });
}

// Bytes per element as the protocol carries them (wgpy_runtime/device/protocol.py's
// ITEMSIZE), and as device memory holds them (bool is a 32-bit 0/1 word on the device;
// a 64-bit element is its own 8 bytes: two u32 words, low first).
const ITEMSIZE = tables.itemsize;
export const DTYPES = Object.keys(ITEMSIZE);

export function hostItemsize(dtype) {
  const size = ITEMSIZE[dtype];
  if (size === undefined) throw new Error(`dtype ${dtype} cannot be held on the device`);
  return size;
}

export function deviceItemsize(dtype) {
  return dtype === "bool" ? 4 : hostItemsize(dtype);
}

// Protocol bytes of `dtype` -> device bytes (bool widened to 0/1 u32), and back.
export function toDevice(dtype, bytes) {
  if (dtype !== "bool") return bytes;
  const words = new Uint32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) words[k] = bytes[k] !== 0 ? 1 : 0;
  return new Uint8Array(words.buffer);
}

export function fromDevice(dtype, bytes) {
  if (dtype !== "bool") return bytes;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const out = new Uint8Array(words.length);
  for (let k = 0; k < words.length; k++) out[k] = words[k] !== 0 ? 1 : 0;
  return out;
}
