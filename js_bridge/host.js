// The main thread's side of the bridge: runs the worker's protocol commands on the
// WebGPU or WebGL2 executor and answers the ones that wait (docs/protocol.md).
//
// Rule: batches run strictly in the order they arrive, one command after another. A
// command that fails is remembered (the first failure since the last answer) and the
// next waiting command answers with it instead of its result, so Python raises at that
// sync point; every waiting command is answered, whatever happened before it.

import { valuesMap } from "./abi.js";
import { STATUS_OK } from "./channel.js";

const EXECUTORS = {
  webgpu: async (options) => (await import("./webgpu.js")).WebGPUExecutor.create(options),
  webgl: async (options) => (await import("./webgl.js")).WebGLExecutor.create(options),
};

export class BridgeHost {
  // answers: a Channel (SharedArrayBuffer) or MessageAnswers (js_bridge/channel.js).
  constructor(answers, options = {}) {
    this.channel = answers;
    this.options = options;
    this.executors = new Map(); // backend -> Promise<executor>
    this.programs = new Map(); // backend -> Map(pid -> {code, abi})
    this.failure = null;
    this.tail = Promise.resolve();
    this.stats = { batches: 0, commands: 0 };
  }

  // A batch message from the worker: {text, blobs, seq} (seq only when it waits).
  receive(message) {
    this.tail = this.tail.then(() => this.run(message));
    return this.tail;
  }

  async run({ text, blobs, seq }) {
    let batch;
    try {
      batch = JSON.parse(text);
    } catch (e) {
      if (seq !== undefined) this.channel.answerError(seq, `bad batch: ${e.message}`);
      return;
    }
    this.stats.batches += 1;
    const commands = batch.commands;
    const last = seq !== undefined ? commands.length - 1 : commands.length;
    for (let k = 0; k < last; k++) await this.execute(batch.backend, commands[k], blobs);
    if (seq !== undefined) await this.answer(batch.backend, commands[last], seq);
  }

  async executor(backend) {
    if (!this.executors.has(backend)) {
      const make = EXECUTORS[backend];
      if (!make) throw new Error(`unknown backend '${backend}'`);
      this.executors.set(backend, make(this.options[backend] ?? {}));
      this.programs.set(backend, new Map());
    }
    return this.executors.get(backend);
  }

  async execute(backend, command, blobs) {
    this.stats.commands += 1;
    try {
      const exec = await this.executor(backend);
      const [op, ...args] = command;
      switch (op) {
        case "program":
          this.programs.get(backend).set(args[0], { code: args[1], abi: args[2] });
          break;
        case "alloc": exec.alloc(args[0], args[1], args[2]); break;
        case "free": exec.free(args[0]); break;
        case "write": exec.write(args[0], args[1], blobs[args[2]]); break;
        case "copy": exec.copy(...args); break;
        case "dispatch": {
          const program = this.programs.get(backend).get(args[0]);
          exec.dispatch(program, args[1], valuesMap(args[2]));
          break;
        }
        default:
          throw new Error(`unknown command '${op}'`);
      }
    } catch (e) {
      this.failure ??= `${command[0]}: ${messageOf(e)}`;
    }
  }

  async answer(backend, command, seq) {
    try {
      const bytes = await this.waitingCommand(backend, command);
      const failure = this.failure;
      this.failure = null;
      if (failure !== null) this.channel.answerError(seq, failure);
      else this.channel.answer(seq, STATUS_OK, bytes);
    } catch (e) {
      const failure = this.failure;
      this.failure = null;
      this.channel.answerError(seq, failure ?? `${command[0]}: ${messageOf(e)}`);
    }
  }

  async waitingCommand(backend, command) {
    const [op, ...args] = command;
    if (op === "hello") {
      const exec = await this.executor(backend);
      const info = { backend, target: exec.target, capacity: this.channel.capacity,
                     adapter: exec.adapter ?? exec.limits?.renderer ?? "unknown adapter",
                     limits: exec.limits ?? {} };
      return new TextEncoder().encode(JSON.stringify(info));
    }
    const exec = await this.executor(backend);
    if (op === "read") return exec.read(args[0], args[1], args[2]);
    if (op === "sync") {
      await exec.sync();
      return new Uint8Array(0);
    }
    throw new Error(`'${op}' does not answer`);
  }
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}
