// @ts-check
// The main-thread WebGPU executor: the device protocol (docs/protocol.md) on navigator.gpu
// for kernelc's WGSL programs (docs/abi.md). A port of wgpy_runtime/device/webgpu.py.
//
// Rule: every command keeps the protocol's order. Dispatches and copies are recorded into
// one command encoder (consecutive dispatches into one compute pass), submitted every
// `batchSize` commands and before anything that acts on the queue directly (write, read,
// sync). What can be checked before recording (ids, dtypes, ranges, sizes, launch limits,
// a kernel already known not to compile) throws from the command; what WebGPU reports
// later (error scopes around each batch, shader compilation, device loss) is recorded and
// thrown by the next read() or sync(), which never wait on a lost device.

import * as abi from "./abi.js";
import { Pacer } from "./pacing.js";
import { deviceProgram } from "./shaders.js";
import { Pool, sizeClass } from "./pool.js";

const BATCH_SIZE = 64; // GPU commands per submit
const ARENA_BYTES = 64 << 10; // uniform blocks of one batch (WebGPU's default binding limit)
const POOL_LIMIT = 512 << 20; // freed bytes held for reuse before the oldest are destroyed
const STAGING_KEPT = 4; // mappable read-back buffers kept per size class
const STAGING_LARGEST = 64 << 20; // larger ones are made for their read and destroyed
// Limits asked of the adapter at their maximum (the defaults cap buffers at 256 MiB).
const WANTED_LIMITS = ["maxBufferSize", "maxStorageBufferBindingSize",
                       "maxStorageBuffersPerShaderStage"];
const ELEMENT_DTYPES = { f32: ["float32"], i32: ["int32"], u32: ["uint32", "bool"] };

const ceil4 = (n) => Math.ceil(n / 4) * 4;
const kernelName = (name) => `kernel '${name}'`;

/**
 * A GPU buffer with a serial number (bind groups are cached by the buffers they hold).
 * @typedef {{gpu: GPUBuffer, bytes: number, uid: number, failed: string|null}} Block
 * @typedef {{block: Block, dtype: string, size: number}} Buffer  size in elements
 * @typedef {{pipeline: GPUComputePipeline, state: "pending"|"ok"|"failed",
 *            error: string|null, used: boolean}} PipelineEntry
 */

/**
 * The commands recorded since the last submit: one command encoder in which consecutive
 * dispatches share one compute pass (WebGPU orders dispatches and makes each one's writes
 * visible to the next); a copy ends the pass.
 */
class Batch {
  constructor(device) {
    this.device = device;
    this.commandEncoder = null;
    this.pass = null;
    this.pipeline = null;
    this.count = 0;
  }

  /** The encoder with no pass open (for copies). */
  encoder() {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.commandEncoder ??= this.device.createCommandEncoder();
    return this.commandEncoder;
  }

  dispatch(pipeline, group, offset, counts) {
    if (!this.pass) {
      this.pass = this.encoder().beginComputePass();
      this.pipeline = null;
    }
    if (pipeline !== this.pipeline) {
      this.pass.setPipeline(pipeline);
      this.pipeline = pipeline;
    }
    this.pass.setBindGroup(0, group, [offset]);
    this.pass.dispatchWorkgroups(counts[0], counts[1], counts[2]);
  }

  finish() {
    return this.encoder().finish();
  }
}

export class WebGPUExecutor {
  name = "webgpu";
  target = "wgsl";

  /** navigator.gpu's adapter and device; throws with the reason when there is none. */
  static async create(options = {}) {
    const gpu = options.gpu ?? globalThis.navigator?.gpu;
    if (!gpu) {
      throw new Error("WebGPU is unavailable: navigator.gpu is missing (it needs a secure " +
                      "context and a browser with WebGPU enabled)");
    }
    const adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference ?? "high-performance" });
    if (!adapter) throw new Error("WebGPU is unavailable: the browser offers no adapter");
    const requiredLimits = {};
    for (const k of WANTED_LIMITS) if (k in adapter.limits) requiredLimits[k] = adapter.limits[k];
    let device;
    try {
      device = await adapter.requestDevice({ requiredLimits });
    } catch (e) {
      throw new Error(`WebGPU is unavailable: requestDevice failed: ${messageOf(e)}`);
    }
    // byte-granular copies, for what copyBufferToBuffer cannot do (packed 8/16-bit ranges)
    const internal = { byteCopy: await deviceProgram("byte_copy") };
    const executor = new WebGPUExecutor(device, internal, options);
    executor.adapter = describeAdapter(adapter);
    return executor;
  }

  /**
   * @param {GPUDevice} device
   * @param {{byteCopy: {code: string, abi: any}}} internal the device programs (shaders.js)
   */
  constructor(device, internal, options = {}) {
    this.device = device;
    this.internal = internal;
    this.limits = plainLimits(device.limits);
    this.batchSize = options.batchSize ?? BATCH_SIZE;
    this.pacer = options.pacer ?? new Pacer(options);
    this.align = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    /** @type {Map<number, Buffer>} */
    this.buffers = new Map();
    this.pool = new Pool((block) => this.destroyBlock(block), options.poolLimit ?? POOL_LIMIT);
    this.staging = new Map(); // size class -> [mappable GPUBuffer]
    this.batch = new Batch(device);
    this.afterSubmit = []; // callbacks once the recorded commands are submitted
    this.uniforms = new Uint8Array(ARENA_BYTES); // the batch's uniform blocks
    this.uniformEnd = 0;
    this.serial = 0;
    this.shaders = new Map(); // code -> {module, entries: entry point -> PipelineEntry, ...}
    this.layouts = new Map(); // binding signature -> {group, pipeline, uid}
    this.layoutOf = new WeakMap(); // an ABI's bindings list -> its layout
    this.groups = new Map(); // layout, uniform size and blocks -> GPUBindGroup
    // block uid -> keys of the cached groups binding it: destroying a block drops those
    // only (wgpy_runtime/device/webgpu.py does the same); `groupNotes` counts the keys
    this.groupsBinding = new Map();
    this.groupNotes = 0;
    this.scratch = null; // the reduction scratch block
    this.errors = []; // Promise<string|null> per failure check, in command order
    this.segment = { count: 0, what: new Set() }; // what the open error scopes cover
    this.destroyed = false;
    this.lostMessage = null;
    this.lost = device.lost.then((info) => {
      if (!this.destroyed) {
        this.lostMessage = `WebGPU device lost (${info.reason}): ${info.message}`;
      }
      return this.lostMessage;
    });
    device.addEventListener("uncapturederror", (event) => {
      this.errors.push(Promise.resolve(`WebGPU error: ${event.error.message}`));
    });
    this.stats = { commands: 0, submits: 0, pool: this.pool.stats };
    this.openScopes();
    this.arena = device.createBuffer({
      size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  // ------------------------------------------------------------------ the protocol

  alloc(id, size, dtype) {
    this.usable();
    if (!Number.isSafeInteger(id)) throw new Error(`buffer id ${id} is not an integer`);
    if (this.buffers.has(id)) throw new Error(`buffer id ${id} is already allocated`);
    const item = abi.deviceItemsize(dtype);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new Error(`buffer size must be a non-negative integer, not ${size}`);
    }
    this.buffers.set(id, { block: this.take(size * item), dtype, size });
  }

  free(id) {
    const b = this.get(id, true);
    this.buffers.delete(id);
    this.recycle(b.block);
  }

  write(id, start, bytes) {
    const b = this.get(id);
    const data = asBytes(bytes);
    const item = abi.hostItemsize(b.dtype);
    if (data.length % item) {
      throw new Error(`${data.length} bytes are not whole ${b.dtype} elements`);
    }
    checkRange("write", id, b.size, start, data.length / item);
    if (!data.length) return;
    this.flush(); // a queue write overtakes recorded commands otherwise
    const raw = abi.toDevice(b.dtype, data);
    const offset = start * abi.deviceItemsize(b.dtype);
    const end = b.size * abi.deviceItemsize(b.dtype);
    this.note("write");
    // Past the buffer's last element the padding is ours: a short tail may be padded.
    if (offset % 4 === 0 && (raw.length % 4 === 0 || offset + raw.length === end)) {
      this.device.queue.writeBuffer(b.block.gpu, offset, padded(raw, 0));
    } else {
      this.writeUnaligned(b.block, offset, raw);
    }
  }

  copy(src, dst, srcStart, dstStart, count) {
    const s = this.get(src);
    const d = this.get(dst);
    if (s.dtype !== d.dtype) {
      throw new Error(`copy between ${s.dtype} buffer ${src} and ${d.dtype} buffer ${dst}`);
    }
    checkRange("copy", src, s.size, srcStart, count);
    checkRange("copy", dst, d.size, dstStart, count);
    if (!count) return;
    const item = abi.deviceItemsize(s.dtype);
    this.startCommand(0);
    this.copyBytes(s.block, d.block, srcStart * item, dstStart * item, count * item,
                   d.size * item);
  }

  /**
   * @param {{code: string, abi: any}} program
   * @param {Record<string, number>} buffers parameter name -> buffer id
   * @param {Map<string, any>} values abi.valuesMap of the dispatch's values
   */
  dispatch(program, buffers, values) {
    this.usable();
    const a = program.abi;
    if (a.target !== "wgsl") throw new Error(`a ${a.target} program given to the webgpu executor`);
    if (!(values instanceof Map)) values = abi.valuesMap(values);
    const plan = this.plan(program, values);
    if (plan === null) return;
    const { kernel, n, stages, scratch, pipelines, uniforms } = plan;
    values = plan.values;
    const bound = a.bindings.filter((b) => b.resource !== "uniform")
      .map((b) => [b.binding, this.bind(kernel, b, buffers, scratch)]);
    if (a.launch.kind === "compute" && n > a.launch.workgroup_size[0] && hasBase(a) &&
        !this.pacer.fitsWhole(program.code, n)) {
      return this.dispatchRanges(program, n, values, pipelines, bound);
    }
    const isolate = this.startLaunch(pipelines, uniforms.length);
    this.encode(a.kernel, a.bindings, pipelines, stages.map(([, counts]) => counts),
                this.unalias(a.bindings, bound), uniforms, isolate);
  }

  /**
   * A prepared launch (host.js): the dispatch of `p.program` with `p.values`, its buffers
   * `ids` (of `p.params`) and scalar values `scalars` (of `p.scalarNames`). What does not
   * change between launches (steps, pipelines, the uniform block but its scalars, the
   * checked bindings of each set of buffers) is worked out once. Returns false for the
   * launches `dispatch` must make (paced, aliased buffers, no work): the host then calls it.
   */
  launch(p, ids, scalars) {
    this.usable();
    if (p.webgpu === undefined) p.webgpu = this.readyLaunch(p);
    const r = p.webgpu;
    if (r === null || (r.paced && !this.pacer.fitsWhole(r.code, r.n))) return false;
    const key = ids.join(",");
    let bound = r.bound.get(key);
    if (bound === undefined) {
      const buffers = Object.fromEntries(p.params.map((name, k) => [name, ids[k]]));
      bound = r.arrays.map((b) => [b.binding, this.bind(r.kernel, b, buffers, 0)]);
      if (new Set(bound.map(([, block]) => block)).size !== bound.length) bound = null;
      if (r.bound.size > 1024) r.bound.clear();
      r.bound.set(key, bound); // (ids are never reused: a freed buffer's entry goes unused)
    }
    if (bound === null) return false; // a block bound twice: dispatch copies
    const failed = r.pipelines.find((entry) => entry.state === "failed");
    if (failed) throw new Error(failed.error ?? "");
    if (r.scratch) { // the scratch block of the moment (it grows)
      const block = this.bind(r.kernel, r.scratch, {}, r.scratchElements);
      bound = [...bound, [r.scratch.binding, block]];
    }
    const uniforms = r.template.slice();
    if (r.members.length) {
      const view = new DataView(uniforms.buffer);
      for (const [m, k] of r.members) abi.packMember(view, m, abi.numberOf(scalars[k]));
    }
    const isolate = this.startLaunch(r.pipelines, uniforms.length);
    this.encode(r.name, r.bindings, r.pipelines, r.counts, bound, uniforms, isolate);
    return true;
  }

  /** The steps of a launch of `program` with `values` (a Map), checked, with their
   * pipelines and uniform block; null when there is nothing to do. */
  plan(program, values) {
    const a = program.abi;
    const kernel = kernelName(a.kernel);
    const n = Number(withKernel(kernel, () => abi.value(values, "size")));
    if (n === 0) return null;
    values = new Map(values); // a reduction's adds reduce_groups
    const { stages, scratch, groups } = withKernel(kernel, () => abi.wgslSteps(a, values));
    if (groups !== null) values.set(abi.valueKey("reduce_groups"), groups);
    const uniforms = withKernel(kernel, () => abi.encodeUniforms(a, values));
    this.checkGrid(kernel, stages);
    const pipelines = stages.map(([entry]) => this.pipeline(program.code, entry, a.bindings,
                                                            a.kernel));
    return { kernel, n, values, stages, scratch, uniforms, pipelines };
  }

  /** What every launch of a prepared program shares, or null for `dispatch` alone. */
  readyLaunch(p) {
    const a = p.program.abi;
    if (a.launch.kind !== "compute" && a.launch.kind !== "reduction") return null;
    const plan = this.plan(p.program, p.values);
    if (plan === null) return null;
    const { kernel, n, stages, scratch, pipelines } = plan;
    return {
      kernel, name: a.kernel, n, code: p.program.code, template: plan.uniforms, pipelines,
      counts: stages.map(([, counts]) => counts), bindings: a.bindings,
      paced: a.launch.kind === "compute" && n > a.launch.workgroup_size[0] && hasBase(a),
      arrays: a.bindings.filter((b) => b.resource !== "uniform" && b.resource !== "scratch"),
      scratch: a.bindings.find((b) => b.resource === "scratch") ?? null,
      scratchElements: scratch,
      members: a.uniforms.filter((m) => m.key.what === "value")
        .map((m) => [m, p.scalarNames.indexOf(m.key.param)]),
      bound: new Map(),
    };
  }

  /**
   * An elementwise launch as submissions over element ranges (docs/abi.md, "Split
   * launches"), each waited for and timed so the next stays within the pacer's budget;
   * a cancel stops it between ranges.
   */
  async dispatchRanges(program, n, values, pipelines, bound) {
    const a = program.abi;
    this.flush();
    const unaliased = this.unalias(a.bindings, bound); // copies made once, before any range
    const release = this.afterSubmit; // those copies go back to the pool after the last range
    this.afterSubmit = [];
    this.flush();
    try {
      await this.untilLost(this.device.queue.onSubmittedWorkDone()); // time this launch alone
      await this.rangesOf(program, n, values, pipelines, unaliased);
    } finally {
      this.afterSubmit.push(...release);
    }
  }

  /** The ranges of a split launch, each submitted on its own, waited for and timed. */
  async rangesOf(program, n, values, pipelines, unaliased) {
    const a = program.abi;
    const what = `dispatch of ${kernelName(a.kernel)}`;
    const unit = a.launch.workgroup_size[0];
    const issue = (first, count) => {
      values.set(abi.valueKey("base"), first);
      const uniforms = abi.encodeUniforms(a, values);
      this.startCommand(uniforms.length);
      this.encode(a.kernel, a.bindings, pipelines, [[count / unit, 1, 1]], unaliased,
                  uniforms, false);
      this.flush();
    };
    const wait = () => this.untilLost(this.device.queue.onSubmittedWorkDone());
    const largest = unit * this.limits.maxComputeWorkgroupsPerDimension;
    await this.pacer.run(program.code, what, n, unit, largest, issue, wait);
  }

  /** The bytes of elements [start, start + count), after every earlier command ran. */
  async read(id, start, count) {
    const b = this.get(id);
    checkRange("read", id, b.size, start, count);
    if (!count) {
      await this.sync();
      return new Uint8Array(0);
    }
    const item = abi.deviceItemsize(b.dtype);
    const first = start * item;
    const end = (start + count) * item;
    const low = first - (first % 4);
    const bytes = ceil4(end) - low;
    const staging = this.takeStaging(bytes);
    this.startCommand(0);
    this.batch.encoder().copyBufferToBuffer(b.block.gpu, low, staging, 0, bytes);
    this.recorded("read");
    this.flush();
    let data = null;
    let failure = null;
    try {
      await this.untilLost(staging.mapAsync(GPUMapMode.READ, 0, bytes));
      data = new Uint8Array(staging.getMappedRange(0, bytes)).slice(first - low, end - low);
      staging.unmap();
      this.giveStaging(staging);
    } catch (e) {
      failure = `read of buffer ${id} failed: ${messageOf(e)}`;
      staging.destroy();
    }
    await this.settle(); // an earlier command's failure is the one to report
    if (failure !== null) throw new Error(failure);
    return abi.fromDevice(b.dtype, data);
  }

  /** Wait for all submitted work; throw the first failure since the last read or sync. */
  async sync() {
    this.usable();
    this.flush();
    await this.untilLost(this.device.queue.onSubmittedWorkDone());
    await this.settle();
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of this.buffers.values()) b.block.gpu.destroy();
    this.buffers.clear();
    this.pool.trim();
    for (const list of this.staging.values()) for (const gpu of list) gpu.destroy();
    this.staging.clear();
    this.device.destroy();
  }

  /** Destroy every pooled buffer; returns the bytes released. */
  trim() {
    this.flush();
    return this.pool.trim();
  }

  // ------------------------------------------------------------------ checks and errors

  usable() {
    if (this.destroyed) throw new Error("the webgpu executor was destroyed");
    if (this.lostMessage !== null) throw new Error(this.lostMessage);
  }

  /** A live buffer (`free` also takes one whose allocation failed). @returns {Buffer} */
  get(id, failedToo = false) {
    this.usable();
    const b = this.buffers.get(id);
    if (!b) throw new Error(`unknown buffer id ${id} (never allocated, or freed)`);
    if (b.block.failed !== null && !failedToo) throw new Error(`buffer ${id}: ${b.block.failed}`);
    return b;
  }

  checkGrid(kernel, stages) {
    const limit = this.limits.maxComputeWorkgroupsPerDimension;
    for (const [entry, counts] of stages) {
      if (counts.some((c) => c > limit)) {
        throw new Error(`${kernel}: launch of ${entry} as [${counts}] workgroups exceeds ` +
                        `${limit} per dimension`);
      }
    }
  }

  // Error scopes stay open between batches; closing them gives one check per batch, named
  // after what the batch held (WebGPU reports validation errors only asynchronously).
  openScopes() {
    this.device.pushErrorScope("internal");
    this.device.pushErrorScope("out-of-memory");
    this.device.pushErrorScope("validation");
  }

  closeScopes() {
    const { count, what } = this.segment;
    if (!count) return;
    this.segment = { count: 0, what: new Set() };
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope(),
                    this.device.popErrorScope()];
    this.openScopes();
    const names = [...what].join(", ");
    this.errors.push(Promise.all(scopes).then(
      (errors) => {
        const e = errors.find((x) => x);
        return e ? `a batch of ${count} commands (${names}) failed: ${e.message}` : null;
      },
      (e) => `a batch of ${count} commands (${names}) failed: ${messageOf(e)}`));
  }

  /** Count what the open scopes cover (for their error message). */
  note(what) {
    this.segment.count += 1;
    this.segment.what.add(what);
  }

  /** Throw the first recorded failure (and forget it and everything recorded with it). */
  async settle() {
    const checks = this.errors;
    this.errors = [];
    const messages = await this.untilLost(Promise.all(checks));
    const first = messages.find((m) => m);
    if (first) throw new Error(first);
  }

  /** `promise`, or a rejection as soon as the device is lost (nothing waits forever). */
  untilLost(promise) {
    return Promise.race([promise, this.lost.then((message) => {
      throw new Error(message ?? "the webgpu executor was destroyed");
    })]);
  }

  // ------------------------------------------------------------------ buffers

  /** A storage block of at least `nbytes` (a pooled one when its size class has one). */
  take(nbytes) {
    const need = Math.max(4, ceil4(nbytes));
    const limit = this.limits.maxBufferSize;
    let bytes = sizeClass(need);
    // Rounding up must not push a buffer past what can be created or bound.
    if (bytes > limit || (bytes > this.limits.maxStorageBufferBindingSize &&
                          need <= this.limits.maxStorageBufferBindingSize)) bytes = need;
    if (bytes > limit) {
      throw new Error(`cannot allocate ${nbytes} bytes: the device's largest buffer is ` +
                      `${limit} bytes`);
    }
    const pooled = this.pool.take(bytes);
    if (pooled) return pooled;
    this.note("alloc");
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.device.pushErrorScope("out-of-memory");
    const gpu = this.device.createBuffer({ size: bytes, usage });
    const scope = this.device.popErrorScope();
    /** @type {Block} */
    const block = { gpu, bytes, uid: ++this.serial, failed: null };
    // Out of memory is known only later: the block is marked, so that its next use throws
    // at once, and the pool gives back what it holds for the caller's next try.
    this.errors.push(scope.then((error) => {
      if (!error) return null;
      block.failed = `cannot allocate ${bytes} bytes: ${error.message}`;
      this.pool.trim();
      return block.failed;
    }, () => null));
    return block;
  }

  /** Return a temporary block to the pool once the commands using it are submitted. */
  giveLater(block) {
    this.afterSubmit.push(() => this.recycle(block));
  }

  /** Keep a freed block for reuse; one whose creation failed is released at once. */
  recycle(block) {
    if (block.failed !== null) this.destroyBlock(block);
    else this.pool.give(block.bytes, block, block.bytes);
  }

  destroyBlock(block) {
    for (const key of this.groupsBinding.get(block.uid) ?? []) this.groups.delete(key);
    this.groupsBinding.delete(block.uid);
    if (this.batch.count) this.afterSubmit.push(() => block.gpu.destroy());
    else block.gpu.destroy();
  }

  takeStaging(bytes) {
    const size = sizeClass(bytes) <= this.limits.maxBufferSize ? sizeClass(bytes) : bytes;
    const gpu = this.staging.get(size)?.pop();
    return gpu ?? this.device.createBuffer({
      size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  giveStaging(gpu) {
    if (!this.staging.has(gpu.size)) this.staging.set(gpu.size, []);
    const list = this.staging.get(gpu.size);
    if (list.length < STAGING_KEPT && gpu.size <= STAGING_LARGEST && !this.destroyed) {
      list.push(gpu);
    } else {
      gpu.destroy();
    }
  }

  // ------------------------------------------------------------------ queue

  /** Submit the recorded commands (their uniform blocks first). */
  flush() {
    if (this.batch.count) {
      const batch = this.batch;
      this.batch = new Batch(this.device);
      const commands = batch.finish();
      if (this.uniformEnd) {
        this.device.queue.writeBuffer(this.arena, 0, this.uniforms, 0, ceil4(this.uniformEnd));
        this.uniformEnd = 0;
      }
      this.device.queue.submit([commands]);
      this.stats.submits += 1;
    }
    this.closeScopes();
    const callbacks = this.afterSubmit;
    this.afterSubmit = [];
    for (const callback of callbacks) callback();
  }

  /**
   * Before recording a command with a uniform block of `uniformBytes`: submit a full
   * batch, or one whose arena has no room left, so that no command is split by a submit.
   */
  startCommand(uniformBytes) {
    const slot = Math.ceil(this.uniformEnd / this.align) * this.align;
    if (this.batch.count >= this.batchSize || slot + uniformBytes > ARENA_BYTES) this.flush();
  }

  recorded(what) {
    this.batch.count += 1;
    this.stats.commands += 1;
    this.note(what);
  }

  /** The arena offset of `data` for the next recorded dispatch (startCommand made room). */
  uniformSlot(data) {
    const offset = Math.ceil(this.uniformEnd / this.align) * this.align;
    this.uniforms.set(data, offset);
    this.uniformEnd = offset + data.length;
    return offset;
  }

  // ------------------------------------------------------------------ copies

  /** Copy bytes between blocks; `dstEnd` is where the destination's elements end (the
   * bytes after it are padding a copy may overwrite). */
  copyBytes(src, dst, srcByte, dstByte, nbytes, dstEnd) {
    if (src === dst) { // neither path may read and write one buffer: go through a temporary
      const temp = this.take(nbytes);
      this.copyBytes(src, temp, srcByte, 0, nbytes, nbytes);
      this.copyBytes(temp, dst, 0, dstByte, nbytes, dstEnd);
      this.giveLater(temp);
      return;
    }
    const tail = dstByte + nbytes === dstEnd ? ceil4(nbytes) : nbytes;
    if (srcByte % 4 === 0 && dstByte % 4 === 0 && tail % 4 === 0 &&
        srcByte + tail <= src.bytes) {
      this.batch.encoder().copyBufferToBuffer(src.gpu, srcByte, dst.gpu, dstByte, tail);
      this.recorded("copy");
    } else {
      this.byteCopy(src, dst, srcByte, dstByte, nbytes);
    }
  }

  /** The byte copy launched from its contract (kernelc/lib/shaders/byte_copy.json): one
   * invocation per destination word. */
  byteCopy(src, dst, srcByte, dstByte, nbytes) {
    const { code, abi: a } = this.internal.byteCopy;
    const firstWord = Math.floor(dstByte / 4);
    const scalars = { dst_byte: dstByte, src_byte: srcByte, nbytes, first_word: firstWord };
    const values = new Map(Object.entries(scalars).map(([k, x]) => [abi.valueKey("value", k), x]));
    values.set(abi.valueKey("size"), Math.ceil((dstByte + nbytes) / 4) - firstWord);
    const { stages } = abi.wgslSteps(a, values);
    const uniforms = abi.encodeUniforms(a, values);
    const pipelines = stages.map(([entry]) => this.pipeline(code, entry, a.bindings, a.kernel));
    const isolate = this.startLaunch(pipelines, uniforms.length);
    const buffers = { src, dst };
    const bound = a.bindings.filter((b) => b.param).map((b) => [b.binding, buffers[b.param]]);
    this.encode(a.kernel, a.bindings, pipelines, stages.map(([, grid]) => grid), bound,
                uniforms, isolate);
  }

  /** Packed elements not on word boundaries: upload whole words to a temporary, then copy
   * the bytes into place on the GPU (the neighbours' bytes are kept). */
  writeUnaligned(dst, offset, raw) {
    const phase = offset % 4;
    const temp = this.take(phase + raw.length);
    this.device.queue.writeBuffer(temp.gpu, 0, padded(raw, phase));
    this.byteCopy(temp, dst, phase, offset, raw.length);
    this.giveLater(temp);
  }

  // ------------------------------------------------------------------ dispatch

  /** The block bound to one binding, checked against what the program reads. */
  bind(kernel, binding, buffers, scratch) {
    if (binding.resource === "scratch") { // a wide accumulator's partials are 2 or 4 words
      return this.scratchBlock(4 * abi.elementWords(binding.element) * Math.max(1, scratch));
    }
    const param = binding.param;
    const id = buffers[param];
    if (id === undefined) throw new Error(`${kernel}: no buffer for parameter '${param}'`);
    const b = this.get(id);
    const packed = binding.packed;
    // one dtype (packed, or a 64-bit one read as u32 words: `words_of`), or an element kind
    const want = packed ? packed.dtype : binding.words_of;
    const ok = want ? b.dtype === want : ELEMENT_DTYPES[binding.element]?.includes(b.dtype);
    if (!ok && !(binding.atomic && abi.deviceItemsize(b.dtype) === 4)) {
      throw new Error(`${kernel}: '${param}' is bound to a ${b.dtype} buffer, the program ` +
                      `reads ${want ?? binding.element}`);
    }
    if (b.block.bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(`${kernel}: buffer of '${param}' (${b.block.bytes} bytes) exceeds the ` +
                      "device's storage binding size");
    }
    return b.block;
  }

  /** The reduction scratch block: one, grown as needed (dispatches run in order). */
  scratchBlock(nbytes) {
    if (!this.scratch || this.scratch.bytes < nbytes) {
      if (this.scratch) this.giveLater(this.scratch);
      this.scratch = this.take(nbytes);
    }
    return this.scratch;
  }

  /**
   * A block bound both read-only and writable: the read-only bindings get a copy (WebGPU
   * forbids the mix in one dispatch; the copy is what CuPy's reads see).
   */
  unalias(bindings, bound) {
    if (!bound.some(([, block], k) => bound.findIndex(([, other]) => other === block) !== k)) {
      return bound; // no block bound twice
    }
    const access = new Map(bindings.map((b) => [b.binding, b.access]));
    const written = new Set(bound.filter(([k]) => access.get(k) === "read_write")
      .map(([, block]) => block));
    const copies = new Map();
    return bound.map(([k, block]) => {
      if (access.get(k) !== "read" || !written.has(block)) return [k, block];
      if (!copies.has(block)) {
        const temp = this.take(block.bytes);
        this.copyBytes(block, temp, 0, 0, block.bytes, block.bytes);
        this.giveLater(temp);
        copies.set(block, temp);
      }
      return [k, copies.get(block)];
    });
  }

  /**
   * Before the commands of one launch: make room for them in the batch (no submit may
   * come between a launch's copies and its dispatches). A kernel not yet known to compile
   * runs in a submit of its own: an invalid pipeline fails its whole command buffer, and
   * the commands around it must not go with it. Returns whether it is isolated.
   */
  startLaunch(pipelines, uniformBytes) {
    const isolate = pipelines.some((p) => p.state === "pending" && !p.used);
    if (isolate) this.flush();
    else this.startCommand(uniformBytes);
    return isolate;
  }

  /** Record the dispatches of one launch (its stages in order) with one uniform block. */
  encode(kernel, bindings, pipelines, counts, bound, uniforms, isolate) {
    const layout = this.layout(bindings);
    const uniform = bindings.find((b) => b.resource === "uniform");
    const group = this.group(layout, uniform.size, bound);
    const offset = this.uniformSlot(uniforms);
    pipelines.forEach((p, k) => {
      p.used = true;
      this.batch.dispatch(p.pipeline, group, offset, counts[k]);
    });
    this.recorded(kernel);
    if (isolate) this.flush();
  }

  /** (bind group layout, pipeline layout) of an ABI's bindings, cached by signature. */
  layout(bindings) {
    const known = this.layoutOf.get(bindings);
    if (known) return known;
    const key = bindings.map((b) => `${b.binding}:${b.resource}:${b.access ?? ""}`).join(",");
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries = bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: b.resource === "uniform" ? { type: "uniform", hasDynamicOffset: true }
          : { type: b.access === "read" ? "read-only-storage" : "storage" },
      }));
      const group = this.device.createBindGroupLayout({ entries });
      const pipeline = this.device.createPipelineLayout({ bindGroupLayouts: [group] });
      layout = { group, pipeline, uid: ++this.serial };
      this.layouts.set(key, layout);
    }
    this.layoutOf.set(bindings, layout);
    return layout;
  }

  /**
   * The compute pipeline of (code, entry point), created once. Compilation is checked
   * asynchronously: the first failure is reported by the next read/sync, and later
   * dispatches of the kernel throw at once.
   * @returns {PipelineEntry}
   */
  pipeline(code, entryPoint, bindings, kernel) {
    const shader = this.shader(code, kernel);
    if (shader.error !== null) throw new Error(shader.error);
    let entry = shader.entries.get(entryPoint);
    if (entry) {
      if (entry.state === "failed") throw new Error(entry.error ?? "");
      return entry;
    }
    this.device.pushErrorScope("validation");
    const pipeline = this.device.createComputePipeline({
      layout: this.layout(bindings).pipeline, compute: { module: shader.module, entryPoint },
      label: kernel });
    const scope = this.device.popErrorScope();
    entry = { pipeline, state: "pending", error: null, used: false };
    shader.entries.set(entryPoint, entry);
    const created = entry;
    this.errors.push(Promise.all([shader.compiled, scope]).then(([compile, error]) => {
      if (compile || error) {
        created.state = "failed";
        created.error = compile ?? `${kernelName(kernel)}: entry point ${entryPoint}: ` +
                                   error.message;
        return compile ? null : created.error; // a compile error is reported once
      }
      created.state = "ok";
      return null;
    }));
    return created;
  }

  /** The shader module of `code`, created once, and its compilation's error (if any). */
  shader(code, kernel) {
    let shader = this.shaders.get(code);
    if (!shader) {
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ code, label: kernel });
      const scope = this.device.popErrorScope();
      const compiled = Promise.all([compileErrors(module), scope])
        .then(([compile, error]) => compile ?? error?.message ?? null, messageOf)
        .then((m) => (m === null ? null : `${kernelName(kernel)}: WGSL compile error: ${m}`));
      shader = { module, entries: new Map(), compiled, error: null };
      const created = shader;
      compiled.then((message) => { created.error = message; });
      this.shaders.set(code, shader);
      this.errors.push(compiled);
    }
    return shader;
  }

  /** The (cached) bind group of the arena and a launch's blocks. */
  group(layout, uniformSize, bound) {
    let key = `${layout.uid}|${uniformSize}`;
    for (const [k, block] of bound) key += `|${k}:${block.uid}`;
    let group = this.groups.get(key);
    if (!group) {
      // past 4096 groups, or 32768 notes (those of dropped groups stay until then), start again
      if (this.groups.size > 4096 || this.groupNotes > 32768) {
        this.groups.clear();
        this.groupsBinding.clear();
        this.groupNotes = 0;
      }
      const entries = [{ binding: 0, resource: { buffer: this.arena, size: uniformSize } }];
      for (const [k, block] of bound) {
        entries.push({ binding: k, resource: { buffer: block.gpu, size: block.bytes } });
        if (!this.groupsBinding.has(block.uid)) this.groupsBinding.set(block.uid, []);
        this.groupsBinding.get(block.uid).push(key);
        this.groupNotes += 1;
      }
      group = this.device.createBindGroup({ layout: layout.group, entries });
      this.groups.set(key, group);
    }
    return group;
  }
}

// ------------------------------------------------------------------ helpers

/** Whether a program can start at any element (its `base` uniform, docs/abi.md): one
 * translated before there was one (an older kernel cache) runs whole. */
function hasBase(a) {
  return a.uniforms.some((m) => m.key.what === "base");
}

/** The error messages of a shader module's compilation, with their line:column, or null. */
async function compileErrors(module) {
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error")
    .map((m) => `${m.message.split("\n")[0]} (line ${m.lineNum}:${m.linePos})`);
  return errors.length ? errors.join("; ") : null;
}

function checkRange(what, id, size, start, count) {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 ||
      count < 0 || start + count > size) {
    throw new Error(`${what} of elements [${start}, ${start + count}) is outside buffer ` +
                    `${id} of ${size} elements`);
  }
}

/** `fn()`, its error message prefixed with the kernel's name. */
function withKernel(kernel, fn) {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${kernel}: ${messageOf(e)}`);
  }
}

/** @returns {Uint8Array} */
function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new Error(`write takes bytes (a Uint8Array), not ${typeof data}`);
}

/** `raw` after `phase` zero bytes, padded with zeros to whole words (writeBuffer's unit). */
function padded(raw, phase) {
  if (phase === 0 && raw.length % 4 === 0) return raw;
  const out = new Uint8Array(ceil4(phase + raw.length));
  out.set(raw, phase);
  return out;
}

function plainLimits(limits) {
  const out = {};
  for (const k in limits) if (typeof limits[k] === "number") out[k] = limits[k];
  return out;
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

// "vendor architecture (description)" from the adapter's info, for reports.
function describeAdapter(adapter) {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture].filter(Boolean).join(" ");
  return [name, info.description ? `(${info.description})` : ""].filter(Boolean).join(" ") ||
    "unknown adapter";
}
