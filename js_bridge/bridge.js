// What a page uses: start the Python worker and the main-thread executors behind it.
//
//   const bridge = await startBridge();
//   const value = await bridge.run("import kernelc; kernelc.__name__");
//
// Rule: the worker waits for answers on a SharedArrayBuffer (the default; the page must
// be cross-origin isolated: COOP/COEP, as `python -m wgpy_runtime.serve` serves it). A
// page that is not isolated can use JavaScript Promise Integration instead
// (`transport: "jspi"`, chosen by default there when the browser has it).

import { BridgeHost } from "./host.js";
import { Channel, MessageAnswers, createChannelBuffer } from "./channel.js";

const DEFAULTS = {
  pyodideUrl: "/pyodide/",
  wheelsUrl: "/wheels/",
  capacity: 16 << 20, // bytes one answer may hold; larger reads come in chunks
  transport: undefined, // "shared" or "jspi"; default: shared when isolated
  timeoutMs: 120000, // the longest the worker waits for one answer without progress
  budgetMs: undefined, // the longest one GPU submission should run (pacing.js's default)
  onNotice: undefined, // (text) => void: the device was lost and made again, ...
};

export async function startBridge(options = {}) {
  const opts = { ...DEFAULTS, ...options };
  const transport = opts.transport ?? (self.crossOriginIsolated ? "shared" : "jspi");
  checkTransport(transport);
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const sab = transport === "shared" ? createChannelBuffer(opts.capacity) : null;
  const answers = sab ? new Channel(sab) : new MessageAnswers(worker, opts.capacity);
  const host = new BridgeHost(answers, { webgl: { canvas: opts.canvas }, budgetMs: opts.budgetMs,
                                         onNotice: opts.onNotice });
  const bridge = new Bridge(worker, host, opts);
  // Pyodide's interrupt buffer: 2 raises KeyboardInterrupt in Python (shared memory only)
  bridge.interrupt = sab ? new Int32Array(new SharedArrayBuffer(4)) : null;
  const wheels = opts.wheels ?? (await listWheels(opts.wheelsUrl));
  bridge.info = await bridge.call({ type: "init", pyodideUrl: absolute(opts.pyodideUrl),
                                    wheels, sab, answerCapacity: opts.capacity,
                                    timeout: opts.timeoutMs,
                                    interruptBuffer: bridge.interrupt?.buffer });
  return bridge;
}

function checkTransport(transport) {
  if (transport === "shared") {
    if (typeof SharedArrayBuffer === "undefined" || !self.crossOriginIsolated) {
      throw new Error("the bridge needs SharedArrayBuffer: serve the page with " +
                      "Cross-Origin-Opener-Policy: same-origin and " +
                      "Cross-Origin-Embedder-Policy: require-corp (or use transport 'jspi')");
    }
  } else if (transport === "jspi") {
    if (typeof WebAssembly.Suspending === "undefined") {
      throw new Error("this browser has no JavaScript Promise Integration " +
                      "(WebAssembly.Suspending): serve the page cross-origin isolated instead");
    }
  } else {
    throw new Error(`unknown transport '${transport}' (shared or jspi)`);
  }
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

  // Stop what runs now: Python gets KeyboardInterrupt (where the transport allows it), the
  // GPU launch running stops between two of its ranges, and the commands sent before this
  // fail; the device stays usable. Resolves once the cancelled commands are skipped.
  cancel(reason = "cancelled from the page") {
    if (this.interrupt && this.pending.size) Atomics.store(this.interrupt, 0, 2);
    return this.host.cancel(reason);
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
    } else if (data.type === "cancel") {
      this.host.cancel(data.reason);
    } else if (data.type === "stdout" || data.type === "stderr") {
      this.onStdout(data.text, data.type);
    } else if (data.type === "done") {
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (this.interrupt && !this.pending.size) Atomics.store(this.interrupt, 0, 0);
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
