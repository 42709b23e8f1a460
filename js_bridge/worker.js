// The Web Worker that runs Python: loads Pyodide, installs the project's wheels, gives
// wgpy_runtime's BrowserDevice its transport, and runs the Python the page sends.
//
// Rule: this is a module worker (Pyodide 314 loads only that way). Commands go to the
// main thread with postMessage; a command that answers blocks here on Atomics.wait over
// the shared channel, never longer than the timeout without progress. The page interrupts
// Python through Pyodide's interrupt buffer (KeyboardInterrupt); a wait for the GPU that
// is interrupted tells the main thread to cancel the GPU work.

import { Channel, INTERRUPTED, PendingAnswers } from "./channel.js";

let pyodide = null;
let channel = null; // the shared channel, or null when answers come as messages (JSPI)
let pending = null;
let capacity = 0;
let timeoutMs = 120000;
let seq = 0;
let interrupt = null; // Int32Array: Pyodide's interrupt buffer (2 = SIGINT), shared with the page

function interrupted() {
  if (!interrupt || Atomics.load(interrupt, 0) !== 2) return false;
  Atomics.store(interrupt, 0, 0); // raised once, here
  postMessage({ type: "cancel", reason: "Python was interrupted (KeyboardInterrupt)" });
  return true;
}

// What Python imports as `wgpy_bridge_transport` (wgpy_runtime/device/browser.py):
// `request` blocks on the shared channel; `request_async` returns a promise, which
// Python waits for with pyodide.ffi.run_sync (JSPI) when there is no shared memory.
function transport() {
  return {
    capacity,
    shared: channel !== null,
    timeout_ms: timeoutMs,
    post(text, blobs) {
      send(text, blobs, undefined);
    },
    request(text, blobs) {
      return channel.wait(send(text, blobs, nextSeq()), timeoutMs, interrupted);
    },
    interrupted: INTERRUPTED,
    request_async(text, blobs) {
      const id = nextSeq();
      const answer = pending.expect(id, timeoutMs);
      send(text, blobs, id);
      return answer;
    },
  };
}

function nextSeq() {
  seq = (seq % 0x7fffffff) + 1;
  return seq;
}

function send(text, blobs, id) {
  const list = toArray(blobs);
  postMessage({ type: "batch", text, blobs: list, seq: id }, transferables(list));
  return id;
}

function toArray(blobs) {
  return blobs ? Array.from(blobs) : [];
}

function transferables(list) {
  return list.map((b) => b.buffer).filter((b) => b instanceof ArrayBuffer);
}

async function init({ pyodideUrl, wheels, sab, answerCapacity, timeout, interruptBuffer }) {
  if (sab) {
    channel = new Channel(sab);
    capacity = channel.capacity;
  } else {
    pending = new PendingAnswers();
    capacity = answerCapacity;
  }
  if (timeout) timeoutMs = timeout;
  const { loadPyodide } = await import(`${pyodideUrl}pyodide.mjs`);
  pyodide = await loadPyodide({
    indexURL: pyodideUrl,
    stdout: (text) => postMessage({ type: "stdout", text }),
    stderr: (text) => postMessage({ type: "stderr", text }),
  });
  if (wheels.length) await pyodide.loadPackage(wheels, { messageCallback: () => {} });
  if (interruptBuffer) {
    interrupt = new Int32Array(interruptBuffer);
    pyodide.setInterruptBuffer(interrupt);
  }
  pyodide.registerJsModule("wgpy_bridge_transport", transport());
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  return { python, transport: channel ? "SharedArrayBuffer" : "JSPI" };
}

async function run({ code }) {
  const result = await pyodide.runPythonAsync(code);
  if (result && typeof result.toJs === "function") {
    const value = result.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    result.destroy();
    return value;
  }
  return result;
}

const HANDLERS = { init, run };

self.onmessage = async ({ data }) => {
  if (data.type === "answer") {
    pending?.settle(data);
    return;
  }
  if (data.type === "beat") {
    pending?.beat();
    return;
  }
  const handler = HANDLERS[data.type];
  if (!handler) return;
  try {
    postMessage({ type: "done", id: data.id, value: await handler(data) });
  } catch (e) {
    postMessage({ type: "done", id: data.id, error: e instanceof Error ? e.message : String(e) });
  }
};
