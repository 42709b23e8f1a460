// The Web Worker that runs Python: loads Pyodide, installs the project's wheels, gives
// wgpy_runtime's BrowserDevice its transport, and runs the Python the page sends.
//
// Rule: this is a module worker (Pyodide 314 loads only that way). Commands go to the
// main thread with postMessage; a command that answers blocks here on Atomics.wait over
// the shared channel, never longer than the timeout.

import { Channel } from "./channel.js";

let pyodide = null;
let channel = null;
let timeoutMs = 120000;
let seq = 0;

// What Python imports as `wgpy_bridge_transport` (wgpy_runtime/device/browser.py).
function transport() {
  return {
    capacity: channel.capacity,
    timeout_ms: timeoutMs,
    post(text, blobs) {
      const list = toArray(blobs);
      postMessage({ type: "batch", text, blobs: list }, transferables(list));
    },
    request(text, blobs) {
      const list = toArray(blobs);
      seq = (seq % 0x7fffffff) + 1;
      postMessage({ type: "batch", text, blobs: list, seq }, transferables(list));
      return channel.wait(seq, timeoutMs);
    },
  };
}

function toArray(blobs) {
  return blobs ? Array.from(blobs) : [];
}

function transferables(list) {
  return list.map((b) => b.buffer).filter((b) => b instanceof ArrayBuffer);
}

async function init({ pyodideUrl, wheels, sab, timeout }) {
  channel = new Channel(sab);
  if (timeout) timeoutMs = timeout;
  const { loadPyodide } = await import(`${pyodideUrl}pyodide.mjs`);
  pyodide = await loadPyodide({
    indexURL: pyodideUrl,
    stdout: (text) => postMessage({ type: "stdout", text }),
    stderr: (text) => postMessage({ type: "stderr", text }),
  });
  if (wheels.length) await pyodide.loadPackage(wheels, { messageCallback: () => {} });
  pyodide.registerJsModule("wgpy_bridge_transport", transport());
  return { python: pyodide.runPython("import sys; sys.version.split()[0]") };
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
  const handler = HANDLERS[data.type];
  if (!handler) return;
  try {
    postMessage({ type: "done", id: data.id, value: await handler(data) });
  } catch (e) {
    postMessage({ type: "done", id: data.id, error: e instanceof Error ? e.message : String(e) });
  }
};
