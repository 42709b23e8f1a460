// @ts-check
// Replaying a command stream (docs/protocol.md "Command streams") directly on a browser
// executor (js_bridge/webgpu.js or js_bridge/webgl.js), without Pyodide or the bridge: the
// conformance tests record a run natively and check that the executor reads back the same.
//
// Rule: every command of the stream is given to the executor in order, on ids this page
// hands out; a command that throws is reported with its index and the latest mark, and
// the replay goes on, so one failure does not hide the others.

import { valuesMap } from "/js_bridge/abi.js";

const EXECUTORS = {
  webgpu: ["/js_bridge/webgpu.js", "WebGPUExecutor"],
  webgl: ["/js_bridge/webgl.js", "WebGLExecutor"],
};

/** The executor of `backend`, created as the bridge creates it. */
export async function createExecutor(backend, options = {}) {
  const entry = EXECUTORS[backend];
  if (!entry) throw new Error(`unknown backend '${backend}'`);
  const module = await import(entry[0]);
  return module[entry[1]].create(options);
}

/** A stream object, or one fetched from a URL (gzip-compressed or not). */
export async function loadStream(source) {
  if (typeof source !== "string") return source;
  const response = await fetch(source);
  if (!response.ok) throw new Error(`${source}: HTTP ${response.status}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) { // gzip magic: the file itself is .gz
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(inflated).arrayBuffer());
  }
  return JSON.parse(new TextDecoder().decode(bytes), exactIntegers);
}

/** JSON.parse's reviver: an integer literal a Number cannot hold (a 64-bit scalar past
 * 2^53 in a recorded dispatch) as a BigInt, as js_bridge/abi.js's valuesMap takes it. */
function exactIntegers(key, value, context) {
  if (typeof value === "number" && !Number.isSafeInteger(value) &&
      /^-?[0-9]+$/.test(context?.source ?? "")) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * Replay `source` (a stream or its URL) on `executor`. Returns {reads: [{index, label,
 * dtype, actual (base64, or null when the read failed)}], errors: [{index, op, label,
 * message}], commands, seconds}.
 */
export async function replay(executor, source) {
  const stream = await loadStream(source);
  if (stream.format !== "wgpy-protocol-stream" || stream.version !== 1) {
    throw new Error(`not a wgpy-protocol-stream version 1: ${stream.format} ${stream.version}`);
  }
  if (stream.target !== executor.target) {
    throw new Error(`a ${stream.target} stream cannot replay on ${executor.name}`);
  }
  // One object per program, so an executor may cache by identity.
  const programs = stream.programs.map((p) => ({ code: p.code, abi: p.abi }));
  const ids = new Map(); // stream buffer id -> executor buffer id
  let nextId = 1;
  const id = (buf) => {
    const mine = ids.get(buf);
    if (mine === undefined) throw new Error(`stream buffer ${buf} is not allocated`);
    return mine;
  };
  const reads = [];
  const errors = [];
  let label = null;
  const start = performance.now();
  for (let index = 0; index < stream.commands.length; index++) {
    const c = stream.commands[index];
    const op = c[0];
    try {
      switch (op) {
        case "mark": label = c[1]; break;
        case "alloc": ids.set(c[1], nextId); executor.alloc(nextId++, c[2], c[3]); break;
        case "free": executor.free(id(c[1])); ids.delete(c[1]); break;
        case "write": executor.write(id(c[1]), c[2], fromBase64(c[3])); break;
        case "copy": executor.copy(id(c[1]), id(c[2]), c[3], c[4], c[5]); break;
        case "dispatch": {
          const bound = {};
          for (const [param, buf] of Object.entries(c[2])) bound[param] = id(buf);
          await executor.dispatch(programs[c[1]], bound, valuesMap(c[3]));
          break;
        }
        case "read": {
          const read = { index, label, dtype: c[4], actual: null };
          reads.push(read);
          read.actual = toBase64(await executor.read(id(c[1]), c[2], c[3]));
          break;
        }
        default: throw new Error(`unknown stream command '${op}'`);
      }
    } catch (e) {
      errors.push({ index, op, label, message: messageOf(e) });
    }
  }
  try {
    await executor.sync();
  } catch (e) {
    errors.push({ index: stream.commands.length, op: "sync", label, message: messageOf(e) });
  }
  for (const mine of ids.values()) {
    try { executor.free(mine); } catch { /* already reported */ }
  }
  return { reads, errors, commands: stream.commands.length,
           seconds: (performance.now() - start) / 1000 };
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

function fromBase64(text) {
  // @ts-ignore: Uint8Array.fromBase64 is recent (Chromium 140+)
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let k = 0; k < raw.length; k++) bytes[k] = raw.charCodeAt(k);
  return bytes;
}

function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // @ts-ignore: Uint8Array.prototype.toBase64 is recent (Chromium 140+)
  if (view.toBase64) return view.toBase64();
  let raw = "";
  for (let k = 0; k < view.length; k += 0x8000) {
    raw += String.fromCharCode(...view.subarray(k, k + 0x8000));
  }
  return btoa(raw);
}
