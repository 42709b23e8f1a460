// @ts-check
// The main thread's WebGL2 executor of the device protocol (docs/protocol.md): a JavaScript
// twin of wgpy_runtime/device/webgl.py, running kernelc's GLSL ES 3.00 programs.
//
// Rule: a buffer is a 2-D texture of its dtype's format (docs/abi.md): single-channel, or
// RG32UI for a 64-bit dtype (r the low word, g the high one), element `p` at texel
// (p % width, p / width); `write` is texSubImage2D of the rectangles
// the range covers, `read` is readPixels of those rectangles through a framebuffer (into a
// pixel buffer waited for with a fence, or straight into memory with `blockingReads`),
// `copy` and every kernel are full-screen draws. A texture is never
// sampled and rendered in one draw: whichever side would alias gets a pooled temporary
// copy. Argument errors and compile errors throw from the call; what GL only reports later
// (getError, context loss) is kept and thrown by the next read or sync.

import { DTYPES, encodeUniforms, fromDevice, glslTextureExtent, hostItemsize, toDevice,
         valueKey } from "./abi.js";
import { copyShader, deviceShader } from "./shaders.js";
import { dispatchProgram, launchPrepared, readyLaunch } from "./webgl_launch.js";
import { Pacer } from "./pacing.js";
import { DTYPE_FORMAT, FORMATS, components, glslTypes, narrow, pickReadForm, rectangles,
         texelBytes, typedView } from "./webgl_texels.js";
import { Pool, sizeClass } from "./pool.js";

const MAX_WIDTH = 4096; // texels a row (kernelc's glsl max_width; WebGL2 guarantees 2048+)
const POOL_LIMIT = 256 << 20; // bytes of freed textures held for reuse
const FENCE_TIMEOUT_MS = 120000; // the longest a read or sync waits for the GPU

/** A texture holding `capacity` elements row by row; its framebuffer made lazily. */
class Texture {
  constructor(tex, fmt, capacity, width, height) {
    this.tex = tex;
    this.fmt = fmt;
    this.capacity = capacity;
    this.width = width;
    this.height = height;
    /** @type {WebGLFramebuffer | null} */
    this.fbo = null;
  }
}

const poolKey = (fmt, capacity) => `${fmt}:${capacity}`;
const textureBytes = (t) => t.capacity * texelBytes(t.fmt);

export class WebGLExecutor {
  name = "webgl";
  target = "glsl";

  /**
   * A WebGL2 context with EXT_color_buffer_float (float render targets) on
   * `options.canvas`, else a new OffscreenCanvas or canvas; throws with the reason when
   * there is none. `options.blockingReads`: read with readPixels into memory, which
   * waits for the GPU on the main thread (lower latency: no fence round trip); by default
   * reads go through a pixel buffer and a fence, and the main thread stays free while the
   * GPU works. `options.debug`: check GL errors after every command (slow: each check
   * waits for the GPU process), so a failure names its command.
   */
  static async create(options = {}) {
    let canvas = options.canvas;
    const owned = !canvas;
    if (!canvas) {
      canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(1, 1)
        : document.createElement("canvas");
    }
    const gl = canvas.getContext("webgl2", {
      alpha: false, depth: false, stencil: false, antialias: false,
      premultipliedAlpha: false, preserveDrawingBuffer: false,
      powerPreference: "high-performance",
    });
    if (!gl) throw new Error("WebGL2 is not available in this browser");
    if (!gl.getExtension("EXT_color_buffer_float")) {
      throw new Error("WebGL2 lacks EXT_color_buffer_float: float textures cannot be " +
                      "rendered to");
    }
    const internal = { vertex: await deviceShader("vertex.glsl"),
                       copy: await deviceShader("copy.glsl") };
    return new WebGLExecutor(gl, canvas, owned, internal, options);
  }

  /** `internal`: the device shaders {vertex, copy} (shaders.js). */
  constructor(gl, canvas, owned, internal, options = {}) {
    this.gl = gl;
    this.internal = internal;
    this.canvas = canvas;
    this.owned = owned;
    this.debug = Boolean(options.debug);
    this.fenceTimeoutMs = options.fenceTimeoutMs ?? FENCE_TIMEOUT_MS;
    this.blockingReads = Boolean(options.blockingReads);
    this.pacer = options.pacer ?? new Pacer(options);
    // a texture side is also a viewport side: draws cover whole textures
    const [viewW, viewH] = gl.getParameter(gl.MAX_VIEWPORT_DIMS);
    const maxTextureSize = Math.min(gl.getParameter(gl.MAX_TEXTURE_SIZE), viewW, viewH);
    this.maxTextureSize = maxTextureSize;
    this.maxWidth = Math.min(MAX_WIDTH, maxTextureSize);
    const debugInfo = gl.getExtension("WEBGL_debug_renderer_info");
    this.limits = {
      renderer: String(gl.getParameter(debugInfo ? debugInfo.UNMASKED_RENDERER_WEBGL
        : gl.RENDERER)),
      maxTextureSize,
      maxDrawBuffers: gl.getParameter(gl.MAX_DRAW_BUFFERS),
      maxTextureUnits: gl.getParameter(gl.MAX_TEXTURE_IMAGE_UNITS),
      maxBufferElements: maxTextureSize * maxTextureSize,
    };
    /** @type {Map<number, {texture: Texture, dtype: string, size: number}>} */
    this.buffers = new Map();
    this.pool = new Pool((t) => this.releaseTexture(t), options.poolLimit ?? POOL_LIMIT);
    this.shaders = new Map(); // vertex shader text -> WebGLShader
    this.programs = new Map(); // shader texts -> linked program record, or {error}
    this.ones = new Map(); // format -> 1x1 texture (pass 0's partials)
    this.pbos = []; // pixel pack buffers free for reads
    this.ubo = gl.createBuffer();
    this.mrt = gl.createFramebuffer(); // several render targets, reattached per draw
    this.mrtAttached = [];
    this.deferred = null; // the first failure GL reported since the last read/sync
    this.lastCommand = "nothing";
    this.lost = false;
    canvas.addEventListener?.("webglcontextlost", () => {
      this.lost = true;
    });
    // rows of 1- and 2-byte texels are not 4-byte aligned
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    gl.disable(gl.DITHER);
    this.readForms = new Map(); // format -> readPixels form
  }

  // ------------------------------------------------------------------ the protocol

  alloc(id, size, dtype) {
    this.lastCommand = `alloc of buffer ${id}`;
    if (!DTYPES.includes(dtype)) {
      throw new Error(`dtype ${dtype} cannot be held on the device (one of ` +
                      `${DTYPES.join(", ")})`);
    }
    if (!Number.isInteger(size) || size < 0) throw new Error(`bad buffer size ${size}`);
    if (this.buffers.has(id)) throw new Error(`buffer id ${id} is already allocated`);
    const texture = this.take(DTYPE_FORMAT[dtype], size);
    this.buffers.set(id, { texture, dtype, size });
  }

  free(id) {
    this.lastCommand = `free of buffer ${id}`;
    const b = this.get(id);
    this.buffers.delete(id);
    this.give(b.texture);
  }

  /** Copy `bytes` (whole elements of the buffer's dtype, as the protocol carries them)
   * into buffer `id` from element `start` on. */
  write(id, start, bytes) {
    this.lastCommand = `write to buffer ${id}`;
    const b = this.get(id);
    const item = hostItemsize(b.dtype);
    if (bytes.byteLength % item) {
      throw new Error(`${bytes.byteLength} bytes are not whole ${b.dtype} elements`);
    }
    const count = bytes.byteLength / item;
    checkRange("write", id, b.size, start, count);
    if (count === 0) return;
    const gl = this.gl;
    const t = b.texture;
    const f = FORMATS[t.fmt];
    const data = typedView(f.array, toDevice(b.dtype, bytes));
    const step = components(t.fmt); // typed-array entries per element
    gl.bindTexture(gl.TEXTURE_2D, t.tex);
    for (const [x, y, w, h, first] of rectangles(t.width, start, count)) {
      gl.texSubImage2D(gl.TEXTURE_2D, 0, x, y, w, h, gl[f.format], gl[f.type], data,
                       first * step);
    }
    this.check();
  }

  copy(src, dst, srcStart, dstStart, count) {
    this.lastCommand = `copy from buffer ${src} to buffer ${dst}`;
    const s = this.get(src);
    const d = this.get(dst);
    if (s.dtype !== d.dtype) {
      throw new Error(`copy between ${s.dtype} buffer ${src} and ${d.dtype} buffer ${dst}`);
    }
    checkRange("copy", src, s.size, srcStart, count);
    checkRange("copy", dst, d.size, dstStart, count);
    if (count) this.copyTexels(s.texture, d.texture, srcStart, dstStart, count);
    this.check();
  }

  /** Draw `program` ({code, abi}) with its array parameters bound to `buffers` (param
   * name -> buffer id) and its uniform block filled from `values` (abi.valuesMap). */
  async dispatch(program, buffers, values) {
    const abi = program.abi;
    this.lastCommand = `dispatch of kernel '${abi.kernel}'`;
    if (abi.target !== "glsl") {
      throw new Error(`kernel '${abi.kernel}': a ${abi.target} program given to the webgl ` +
                      "executor");
    }
    const n = values.get(valueKey("size"));
    if (n === undefined) throw new Error(`kernel '${abi.kernel}': dispatch values lack size`);
    if (n === 0) return;
    await dispatchProgram(this, program, buffers, new Map(values));
    this.check();
  }

  /** A prepared launch (host.js): `dispatch` of `p.program` with `p.values`, buffers `ids`
   * (of `p.params`) and `scalars` (of `p.scalarNames`), the draw's plan, linked program
   * and uniform block worked out once (webgl_launch.js); false where only `dispatch`
   * can make it (the host then calls it). */
  launch(p, ids, scalars) {
    this.lastCommand = `dispatch of kernel '${p.program.abi.kernel}'`;
    if (p.webgl === undefined) p.webgl = readyLaunch(this, p);
    if (p.webgl === null || !launchPrepared(this, p, p.webgl, ids, scalars)) return false;
    this.check();
    return true;
  }

  /** `count` elements of buffer `id` from `start` on, as the protocol's bytes, once every
   * earlier command ran. */
  async read(id, start, count) {
    this.lastCommand = `read of buffer ${id}`;
    const b = this.get(id);
    checkRange("read", id, b.size, start, count);
    if (count === 0) {
      await this.sync();
      return new Uint8Array(0);
    }
    if (this.blockingReads) {
      if (this.lost || this.gl.isContextLost()) throw this.lostError();
      const texels = this.readNow(b.texture, start, count);
      this.throwDeferred();
      return fromDevice(b.dtype, texels);
    }
    const pending = this.readLater(b.texture, start, count);
    try {
      await this.finish();
      this.throwDeferred();
      return fromDevice(b.dtype, this.collect(pending, b.texture, count));
    } finally {
      this.pbos.push(pending.pbo);
    }
  }

  async sync() {
    await this.finish();
    this.throwDeferred();
  }

  destroy() {
    const gl = this.gl;
    for (const b of this.buffers.values()) this.releaseTexture(b.texture);
    this.buffers.clear();
    this.pool.trim();
    for (const t of this.ones.values()) this.releaseTexture(t);
    for (const p of this.programs.values()) if (p.program) gl.deleteProgram(p.program);
    for (const s of this.shaders.values()) gl.deleteShader(s);
    for (const pbo of this.pbos) gl.deleteBuffer(pbo);
    gl.deleteBuffer(this.ubo);
    gl.deleteFramebuffer(this.mrt);
    this.programs.clear();
    this.shaders.clear();
    this.ones.clear();
    this.pbos = [];
    if (this.owned) gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  // ------------------------------------------------------------------ textures

  get(id) {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`unknown buffer id ${id} (never allocated, or freed)`);
    return b;
  }

  /** A texture for at least `size` elements of `fmt` (from the pool when one fits), its
   * extent by the contract's rule (abi.js glslTextureExtent). */
  take(fmt, size) {
    const [capacity, width, height] = glslTextureExtent(
      sizeClass(Math.max(1, size)), size, this.maxWidth, this.maxTextureSize);
    return this.pool.take(poolKey(fmt, capacity)) ?? this.create(fmt, capacity, width, height);
  }

  create(fmt, capacity, width, height) {
    const gl = this.gl;
    const f = FORMATS[fmt];
    for (let attempt = 0; ; attempt++) {
      const tex = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, tex);
      // integer and float textures are incomplete unless sampled NEAREST
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texStorage2D(gl.TEXTURE_2D, 1, gl[f.internal], width, height);
      // one check per new texture (pooling makes them rare): out of memory must fail here
      const error = this.drainErrors();
      if (error === null) return new Texture(tex, fmt, capacity, width, height);
      gl.deleteTexture(tex);
      if (error !== "OUT_OF_MEMORY") this.record(`WebGL error ${error}`);
      if (attempt === 1 || this.pool.trim() === 0) {
        throw new Error(`cannot allocate a ${width}x${height} ${fmt} texture: ${error}`);
      }
    }
  }

  give(texture) {
    this.pool.give(poolKey(texture.fmt, texture.capacity), texture, textureBytes(texture));
  }

  releaseTexture(texture) {
    this.detach(texture);
    if (texture.fbo) this.gl.deleteFramebuffer(texture.fbo);
    this.gl.deleteTexture(texture.tex);
  }

  /** A pooled texture for `count` elements, given back after the current command. */
  temp(fmt, count, temps) {
    const texture = this.take(fmt, count);
    temps.push(texture);
    return texture;
  }

  /** A 1x1 texture of `fmt` (what a pass that samples nothing binds). */
  one(fmt) {
    if (!this.ones.has(fmt)) this.ones.set(fmt, this.create(fmt, 1, 1, 1));
    return this.ones.get(fmt);
  }

  framebuffer(texture) {
    if (!texture.fbo) {
      const gl = this.gl;
      texture.fbo = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, texture.fbo);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D,
                              texture.tex, 0);
    }
    return texture.fbo;
  }

  /** Draw elements of `src` into `dst` (through a temporary when they are one). */
  copyTexels(src, dst, srcStart, dstStart, count) {
    if (src === dst) {
      const temp = this.take(src.fmt, count);
      this.copyTexels(src, temp, srcStart, 0, count);
      this.copyTexels(temp, dst, 0, dstStart, count);
      this.give(temp);
      return;
    }
    const gl = this.gl;
    const [type, sampler, channels] = glslTypes(src.fmt);
    const linked = this.program(this.internal.vertex,
                                copyShader(this.internal.copy, type, sampler, channels),
                                "kc_copy");
    gl.useProgram(linked.program);
    this.samplerUnit(linked, "src", 0);
    for (const [name, v] of [["src_start", srcStart], ["dst_start", dstStart],
                             ["count", count], ["dst_width", dst.width]]) {
      gl.uniform1i(linked.location(name), v);
    }
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, src.tex);
    const firstRow = Math.floor(dstStart / dst.width);
    const lastRow = Math.floor((dstStart + count - 1) / dst.width);
    this.drawInto([dst], firstRow, lastRow - firstRow + 1);
  }

  // ------------------------------------------------------------------ drawing

  /** The (cached) linked program of two shaders: {program, location(name), units, block}.
   * Throws `kernel 'NAME': GLSL compile error: ...` (or link error) when they fail. */
  program(vertexShader, fragmentShader, kernel) {
    const key = `${vertexShader}\u0000${fragmentShader}`;
    let linked = this.programs.get(key);
    if (!linked) {
      linked = this.link(vertexShader, fragmentShader);
      this.programs.set(key, linked);
    }
    if (linked.error) throw new Error(`kernel '${kernel}': ${linked.error}`);
    return linked;
  }

  link(vertexShader, fragmentShader) {
    const gl = this.gl;
    let vs = this.shaders.get(vertexShader);
    if (!vs) {
      vs = compile(gl, gl.VERTEX_SHADER, vertexShader);
      this.shaders.set(vertexShader, vs);
    }
    const fs = compile(gl, gl.FRAGMENT_SHADER, fragmentShader);
    const program = gl.createProgram();
    gl.attachShader(program, vs);
    gl.attachShader(program, fs);
    gl.linkProgram(program);
    // the link status is the one query needed when all is well; logs only on failure
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      const error = this.lost ? "the WebGL context is lost" : linkError(gl, program, vs, fs);
      gl.deleteProgram(program);
      gl.deleteShader(fs);
      if (!gl.getShaderParameter(vs, gl.COMPILE_STATUS)) this.shaders.delete(vertexShader);
      return { error };
    }
    gl.detachShader(program, fs);
    gl.deleteShader(fs);
    const locations = new Map();
    return {
      program,
      units: new Map(), // sampler name -> unit sent
      block: null, // the uniform block binding sent
      location(name) {
        if (!locations.has(name)) locations.set(name, gl.getUniformLocation(program, name));
        return locations.get(name);
      },
    };
  }

  /** Point sampler `name` of the program in use at texture `unit` (only a change is sent;
   * an unused sampler is optimised away and has no location). */
  samplerUnit(linked, name, unit) {
    if (linked.units.get(name) === unit) return;
    const location = linked.location(name);
    if (location !== null) this.gl.uniform1i(location, unit);
    linked.units.set(name, unit);
  }

  /** Put the encoded uniform block in the uniform buffer, bound at `block.binding`. */
  bindUniforms(linked, block, data) {
    const gl = this.gl;
    if (linked.block !== block.binding) {
      const index = gl.getUniformBlockIndex(linked.program, block.name);
      if (index !== gl.INVALID_INDEX) gl.uniformBlockBinding(linked.program, index, block.binding);
      linked.block = block.binding;
    }
    if (data.byteLength === 0) return;
    gl.bindBuffer(gl.UNIFORM_BUFFER, this.ubo);
    gl.bufferData(gl.UNIFORM_BUFFER, data, gl.DYNAMIC_DRAW);
    gl.bindBufferBase(gl.UNIFORM_BUFFER, block.binding, this.ubo);
  }

  /** The uniform block of `abi` from `values`; a missing value names the kernel. */
  encode(abi, values) {
    try {
      return encodeUniforms(abi, values);
    } catch (e) {
      throw new Error(`kernel '${abi.kernel}': ${e instanceof Error ? e.message : e}`);
    }
  }

  /** One full-screen triangle of the program in use into `targets` (equal sizes, render
   * target k at COLOR_ATTACHMENTk), limited to `rows` rows from `firstRow`. */
  drawInto(targets, firstRow, rows) {
    const gl = this.gl;
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, targets.length === 1 ? this.framebuffer(targets[0])
      : this.attach(targets));
    gl.viewport(0, firstRow, targets[0].width, rows);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  /** The several-targets framebuffer with `targets` attached (changes only sent). */
  attach(targets) {
    const gl = this.gl;
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, this.mrt);
    const count = Math.max(targets.length, this.mrtAttached.length);
    for (let k = 0; k < count; k++) {
      const tex = targets[k]?.tex ?? null;
      if (this.mrtAttached[k] !== tex) {
        gl.framebufferTexture2D(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + k, gl.TEXTURE_2D,
                                tex, 0);
      }
    }
    if (this.mrtAttached.length !== targets.length) {
      gl.drawBuffers(targets.map((_, k) => gl.COLOR_ATTACHMENT0 + k));
    }
    this.mrtAttached = targets.map((t) => t.tex);
    return this.mrt;
  }

  /** Forget `texture` wherever the several-targets framebuffer still holds it. */
  detach(texture) {
    const k = this.mrtAttached.indexOf(texture.tex);
    if (k < 0) return;
    const gl = this.gl;
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, this.mrt);
    gl.framebufferTexture2D(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + k, gl.TEXTURE_2D,
                            null, 0);
    this.mrtAttached[k] = null;
  }

  // ------------------------------------------------------------------ reading

  /** Start reading texels [start, start + count) of `texture` into a pixel buffer. */
  readLater(texture, start, count) {
    const gl = this.gl;
    const form = this.readForm(texture);
    const texelBytes = form.components * form.array.BYTES_PER_ELEMENT;
    const pbo = this.pbos.pop() ?? gl.createBuffer();
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, count * texelBytes, gl.STREAM_READ);
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, this.framebuffer(texture));
    for (const [x, y, w, h, first] of rectangles(texture.width, start, count)) {
      gl.readPixels(x, y, w, h, gl[form.format], gl[form.type], first * texelBytes);
    }
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    return { pbo, form };
  }

  /** The texels a `readLater` put in its pixel buffer, as device bytes of the format. */
  collect({ pbo, form }, texture, count) {
    const gl = this.gl;
    const texels = new form.array(count * form.components);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, texels);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    return narrow(form, texels, texture.fmt, count);
  }

  /** Texels [start, start + count) of `texture` as device bytes of its format, read at
   * once (readPixels into memory waits for the GPU, blocking the main thread). */
  readNow(texture, start, count) {
    const gl = this.gl;
    const form = this.readForm(texture);
    const texels = new form.array(count * form.components);
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, this.framebuffer(texture));
    for (const [x, y, w, h, first] of rectangles(texture.width, start, count)) {
      gl.readPixels(x, y, w, h, gl[form.format], gl[form.type], texels,
                    first * form.components);
    }
    return narrow(form, texels, texture.fmt, count);
  }

  /** How to readPixels a texture of this format: the implementation's own form when it
   * holds the values exactly (often RED: a quarter of the bytes), else RGBA. */
  readForm(texture) {
    let form = this.readForms.get(texture.fmt);
    if (form) return form;
    const gl = this.gl;
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, this.framebuffer(texture));
    const format = glName(gl, gl.getParameter(gl.IMPLEMENTATION_COLOR_READ_FORMAT));
    form = pickReadForm(texture.fmt, format,
                        glName(gl, gl.getParameter(gl.IMPLEMENTATION_COLOR_READ_TYPE)));
    this.readForms.set(texture.fmt, form);
    return form;
  }

  // ------------------------------------------------------------------ waiting and errors

  /** Resolve once the GPU ran every command issued so far. WebGL signals a fence only
   * between tasks, so this yields to the event loop until it is (never past a lost
   * context or the timeout). */
  async finish() {
    const gl = this.gl;
    if (this.lost || gl.isContextLost()) throw this.lostError();
    const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!sync) throw new Error("WebGL could not create a fence");
    gl.flush();
    const began = performance.now();
    try {
      for (;;) {
        const status = gl.clientWaitSync(sync, 0, 0);
        if (status === gl.ALREADY_SIGNALED || status === gl.CONDITION_SATISFIED) return;
        if (this.lost || gl.isContextLost()) throw this.lostError();
        if (status === gl.WAIT_FAILED) throw new Error("waiting for the GPU failed");
        if (performance.now() - began > this.fenceTimeoutMs) {
          throw new Error(`the GPU did not finish within ${this.fenceTimeoutMs} ms`);
        }
        // yield at once while the wait is short (fences usually signal within a task or
        // two), then back off so a long kernel does not keep the main thread busy
        const waited = performance.now() - began;
        await nextTask(waited < 4 ? 0 : Math.min(Math.floor(waited / 8), 4));
      }
    } finally {
      gl.deleteSync(sync);
    }
  }

  lostError() {
    this.lost = true;
    return new Error("the WebGL context is lost (GPU reset or too many contexts): every " +
                     "buffer is gone");
  }

  /** Keep the first failure GL reported since the last read/sync. */
  record(message) {
    this.deferred ??= message;
  }

  /** In debug mode, check for GL errors after each command, naming it. */
  check() {
    if (!this.debug) return;
    const error = this.drainErrors();
    if (error !== null) this.record(`${this.lastCommand} failed: WebGL error ${error}`);
  }

  /** The first pending GL error's name (every flag is cleared), or null. */
  drainErrors() {
    const gl = this.gl;
    let first = null;
    for (let k = 0; k < 8; k++) {
      const e = gl.getError();
      if (e === gl.NO_ERROR || e === gl.CONTEXT_LOST_WEBGL) break;
      first ??= glName(gl, e) ?? `0x${e.toString(16)}`;
    }
    return first;
  }

  throwDeferred() {
    if (this.lost || this.gl.isContextLost()) {
      this.deferred = null;
      throw this.lostError();
    }
    const error = this.drainErrors();
    if (error !== null) {
      this.record(`WebGL error ${error} in the commands since the last read or sync ` +
                  `(the last: ${this.lastCommand})`);
    }
    const failure = this.deferred;
    this.deferred = null;
    if (failure !== null) throw new Error(failure);
  }
}

// ---------------------------------------------------------------------------- helpers

function compile(gl, kind, source) {
  const shader = gl.createShader(kind);
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  return shader;
}

function linkError(gl, program, vs, fs) {
  for (const shader of [fs, vs]) {
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      const which = shader === vs ? "vertex shader " : "";
      return `GLSL ${which}compile error: ${(gl.getShaderInfoLog(shader) ?? "").trim()}`;
    }
  }
  return `GLSL link error: ${(gl.getProgramInfoLog(program) ?? "").trim()}`;
}

/** The name of a GL enum value (for messages and format lookups). */
function glName(gl, e) {
  for (const name of ["NO_ERROR", "INVALID_ENUM", "INVALID_VALUE", "INVALID_OPERATION",
                      "INVALID_FRAMEBUFFER_OPERATION", "OUT_OF_MEMORY", "RED", "RG", "RGB",
                      "RGBA", "RED_INTEGER", "RG_INTEGER", "RGB_INTEGER", "RGBA_INTEGER",
                      "FLOAT", "HALF_FLOAT", "INT", "SHORT", "BYTE", "UNSIGNED_INT",
                      "UNSIGNED_SHORT", "UNSIGNED_BYTE"]) {
    if (gl[name] === e) return name;
  }
  return null;
}

function checkRange(what, id, size, start, count) {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 ||
      start + count > size) {
    throw new Error(`${what} of elements [${start}, ${start + count}) is outside buffer ` +
                    `${id} of ${size} elements`);
  }
}

/** Resolve after the current task (a message, unclamped) or after `ms` milliseconds. */
function nextTask(ms) {
  if (ms > 0 || typeof MessageChannel === "undefined") {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve(undefined);
    };
    channel.port2.postMessage(null);
  });
}
