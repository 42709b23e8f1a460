// What a page uses: start the Python worker and the main-thread executors behind it.
//
//   const bridge = await startBridge();
//   const value = await bridge.run("import kernelc; kernelc.__name__");
//
// Rule: the page must be cross-origin isolated (COOP/COEP, `python -m wgpy_runtime.serve`)
// so that SharedArrayBuffer exists; without it startBridge fails with that reason.

import { BridgeHost } from "./host.js";
import { createChannelBuffer } from "./channel.js";

const DEFAULTS = {
  pyodideUrl: "/pyodide/",
  wheelsUrl: "/wheels/",
  capacity: 16 << 20, // bytes one answer may hold; larger reads come in chunks
  timeoutMs: 120000, // the longest the worker waits for one answer
};

export async function startBridge(options = {}) {
  const opts = { ...DEFAULTS, ...options };
  if (typeof SharedArrayBuffer === "undefined" || !self.crossOriginIsolated) {
    throw new Error("the bridge needs SharedArrayBuffer: serve the page with " +
                    "Cross-Origin-Opener-Policy: same-origin and " +
                    "Cross-Origin-Embedder-Policy: require-corp");
  }
  const sab = createChannelBuffer(opts.capacity);
  const host = new BridgeHost(sab, { webgl: { canvas: opts.canvas } });
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const bridge = new Bridge(worker, host, opts);
  const wheels = opts.wheels ?? (await listWheels(opts.wheelsUrl));
  bridge.info = await bridge.call({ type: "init", pyodideUrl: absolute(opts.pyodideUrl),
                                    wheels, sab, timeout: opts.timeoutMs });
  return bridge;
}

class Bridge {
  constructor(worker, host, opts) {
    this.worker = worker;
    this.host = host;
    this.pending = new Map();
    this.nextId = 1;
    this.onStdout = opts.onStdout ?? ((text) => console.log(text));
    worker.onmessage = ({ data }) => this.receive(data);
    worker.onerror = (e) => this.failAll(`the worker failed: ${e.message}`);
  }

  // Run Python in the worker; resolves to its last expression converted to JS.
  run(code) {
    return this.call({ type: "run", code });
  }

  call(message) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  receive(data) {
    if (data.type === "batch") {
      this.host.receive(data);
    } else if (data.type === "stdout" || data.type === "stderr") {
      this.onStdout(data.text, data.type);
    } else if (data.type === "done") {
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.error !== undefined) waiting?.reject(new Error(data.error));
      else waiting?.resolve(data.value);
    }
  }

  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }

  close() {
    this.worker.terminate();
    this.failAll("the bridge was closed");
  }
}

async function listWheels(url) {
  const response = await fetch(`${url}index.json`);
  if (!response.ok) throw new Error(`no wheel index at ${url}index.json (${response.status})`);
  return (await response.json()).map((name) => absolute(url + name));
}

function absolute(url) {
  return new URL(url, location.href).href;
}
