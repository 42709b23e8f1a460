// The main thread's side of the bridge: runs the worker's protocol commands on the
// WebGPU or WebGL2 executor and answers the ones that wait (docs/protocol.md).
//
// Rule: batches run strictly in the order they arrive, one command after another. A
// command that fails is remembered (the first failure since the last answer) and the
// next waiting command answers with it instead of its result, so Python raises at that
// sync point; every waiting command is answered, whatever happened before it. A failure
// names its command and kernel. Long launches run in paced ranges (pacing.js): `cancel()`
// stops the one running between ranges and skips every command received before it; a
// lost device is replaced by a new one on the next command, and the failure says so.

import { checkContract, numberOf, valueKey, valuesMap } from "./abi.js";
import { STATUS_OK } from "./channel.js";
import { Pacer } from "./pacing.js";

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
    this.pacer = new Pacer({ budgetMs: options.budgetMs });
    this.ready = new Map(); // backend -> its executor, once made
    this.onNotice = options.onNotice ?? ((text) => console.warn(text));
    this.pacer.listeners.add((progress) => {
      if (progress) this.channel.beat?.(); // the waiting worker sees the GPU moving
    });
  }

  /** The split launch running now ({what, done, total}) or null. */
  get progress() {
    return this.pacer.progress;
  }

  /**
   * Stop the launch running now (between two of its ranges) and fail every command
   * received so far, waiting ones with the reason; commands received later run as usual.
   */
  cancel(reason = "cancelled from the page") {
    this.pacer.cancelled ??= reason;
    const done = this.tail.then(() => {
      this.pacer.cancelled = null;
    });
    this.tail = done;
    return done;
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
    const known = this.executors.get(backend);
    if (known) {
      const exec = await known;
      const lost = lostReason(exec);
      if (lost === null) {
        this.ready.set(backend, exec);
        return exec;
      }
      this.ready.delete(backend);
      this.executors.delete(backend); // a new device on the next command
      const options = { ...this.options[backend], canvas: undefined }; // a lost canvas stays lost
      const notice = `${lost}; a new ${backend} device was made: the buffers made before ` +
                     "are gone";
      this.onNotice(notice);
      this.start(backend, options);
      throw new Error(notice);
    }
    this.start(backend, this.options[backend] ?? {});
    return this.executors.get(backend);
  }

  start(backend, options) {
    const make = EXECUTORS[backend];
    if (!make) throw new Error(`unknown backend '${backend}'`);
    this.executors.set(backend, make({ ...options, pacer: this.pacer }));
    if (!this.programs.has(backend)) this.programs.set(backend, new Map());
  }

  async execute(backend, command, blobs) {
    this.stats.commands += 1;
    try {
      if (this.pacer.cancelled !== null) {
        this.pacer.check(describe(this.programs.get(backend), command));
      }
      const ready = this.ready.get(backend); // (no await while the executor works)
      const exec = ready && lostReason(ready) === null ? ready : await this.executor(backend);
      const [op, ...args] = command;
      switch (op) {
        case "program":
          this.programs.get(backend).set(args[0], { code: args[1], abi: checkContract(args[2]) });
          break;
        case "alloc": exec.alloc(args[0], args[1], args[2]); break;
        case "free": exec.free(args[0]); break;
        case "write": exec.write(args[0], args[1], blobs[args[2]]); break;
        case "copy": exec.copy(...args); break;
        case "dispatch": {
          const program = this.programs.get(backend).get(args[0]);
          if (!program) throw new Error(`unknown program ${args[0]}`);
          await exec.dispatch(program, args[1], valuesMap(args[2]));
          break;
        }
        case "prepare": {
          const program = this.programs.get(backend).get(args[1]);
          if (!program) throw new Error(`unknown program ${args[1]}`);
          this.programs.get(backend).set(`prepared ${args[0]}`, {
            program, params: args[2], scalarNames: args[3], values: valuesMap(args[4]),
          });
          break;
        }
        case "launch": {
          const p = this.programs.get(backend).get(`prepared ${args[0]}`);
          if (!p) throw new Error(`unknown prepared launch ${args[0]}`);
          if (!exec.launch?.(p, args[1], args[2])) {
            await exec.dispatch(p.program, ...preparedDispatch(p, args[1], args[2]));
          }
          break;
        }
        default:
          throw new Error(`unknown command '${op}'`);
      }
    } catch (e) {
      this.failure ??= `${describe(this.programs.get(backend), command)}: ${messageOf(e)}`;
    }
  }

  async answer(backend, command, seq) {
    try {
      this.pacer.check(describe(this.programs.get(backend), command));
      const bytes = await this.waitingCommand(backend, command);
      const failure = this.failure;
      this.failure = null;
      if (failure !== null) this.channel.answerError(seq, failure);
      else this.channel.answer(seq, STATUS_OK, bytes);
    } catch (e) {
      const failure = this.failure;
      this.failure = null;
      this.channel.answerError(seq, failure ?? `${describe(this.programs.get(backend), command)}: ` +
                                            messageOf(e));
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

/** A prepared launch (protocol.md, "Prepared launches") as a dispatch's [buffers, values]:
 * what an executor without `launch`, or a launch it leaves to `dispatch`, is given. */
export function preparedDispatch(p, ids, scalars) {
  const buffers = Object.fromEntries(p.params.map((name, k) => [name, ids[k]]));
  const values = new Map(p.values);
  p.scalarNames.forEach((name, k) => values.set(valueKey("value", name), numberOf(scalars[k])));
  return [buffers, values];
}

// "dispatch of kernel 'k'", "alloc of buffer 3 (100 float32)", ...: a command in messages.
function describe(programs, command) {
  const [op, ...args] = command;
  switch (op) {
    case "dispatch": {
      const kernel = programs?.get(args[0])?.abi?.kernel;
      return kernel ? `dispatch of kernel '${kernel}'` : `dispatch of program ${args[0]}`;
    }
    case "launch": {
      const kernel = programs?.get(`prepared ${args[0]}`)?.program?.abi?.kernel;
      return kernel ? `dispatch of kernel '${kernel}'` : `launch ${args[0]}`;
    }
    case "prepare": return `prepare of program ${args[1]}`;
    case "alloc": return `alloc of buffer ${args[0]} (${args[1]} ${args[2]})`;
    case "free": return `free of buffer ${args[0]}`;
    case "write": return `write to buffer ${args[0]}`;
    case "read": return `read of buffer ${args[0]}`;
    case "copy": return `copy from buffer ${args[0]} to buffer ${args[1]}`;
    case "program": return `program ${args[0]} (kernel '${args[2]?.kernel}')`;
    default: return String(op);
  }
}

/** Why an executor's device is gone (lost, reset), or null while it works. */
function lostReason(exec) {
  if (exec.lostMessage) return exec.lostMessage; // WebGPU
  if (exec.gl && (exec.lost || exec.gl.isContextLost())) return "the WebGL context was lost";
  return null;
}

function messageOf(e) {
  const text = e instanceof Error ? e.message : String(e);
  return text || (e instanceof Error ? e.name : "an error without a message");
}
