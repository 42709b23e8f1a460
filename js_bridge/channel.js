// How the main thread answers the worker's waiting commands.
//
// Rule: the worker sends commands with postMessage and never waits for them, except for
// the one command of a batch that answers (a read, a sync, hello). By default the main
// thread puts that answer into a SharedArrayBuffer and wakes the worker with
// Atomics.notify (`Channel`); without cross-origin isolation it posts the answer back
// (`MessageAnswers`) and the worker's Python waits through JavaScript Promise
// Integration. Each request has a sequence number, so an answer that comes after its
// wait timed out is never taken for the next one's. The main thread beats a counter
// while a long launch makes progress: the wait times out only after `timeoutMs` without
// an answer or a beat, and it gives up at once when Python is interrupted.

const HEADER_BYTES = 16; // Int32 [answered seq, status, length, progress beats]
const WAIT_SLICE_MS = 50; // how often a wait looks at the beats and the interrupt flag
export const INTERRUPTED = "KeyboardInterrupt";
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

export function createChannelBuffer(capacity) {
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

export class Channel {
  constructor(sab) {
    this.sab = sab;
    this.control = new Int32Array(sab, 0, 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.capacity = this.data.length;
  }

  // Main thread: hand the answer to request `seq` to the waiting worker.
  answer(seq, status, bytes) {
    if (bytes.length > this.capacity) {
      status = STATUS_ERROR;
      bytes = new TextEncoder().encode(
        `an answer of ${bytes.length} bytes does not fit the channel's ${this.capacity}`);
    }
    this.data.set(bytes, 0);
    Atomics.store(this.control, 1, status);
    Atomics.store(this.control, 2, bytes.length);
    Atomics.store(this.control, 0, seq);
    Atomics.notify(this.control, 0);
  }

  answerError(seq, message) {
    this.answer(seq, STATUS_ERROR, new TextEncoder().encode(message));
  }

  // Main thread: a long launch made progress (the waiting worker keeps waiting).
  beat() {
    Atomics.add(this.control, 3, 1);
  }

  // Worker: block until request `seq` is answered, `timeoutMs` passed without progress,
  // or `interrupted()` says Python was interrupted.
  wait(seq, timeoutMs, interrupted = () => false) {
    let beats = Atomics.load(this.control, 3);
    let deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.control, 0);
      if (seen === seq) break;
      if (interrupted()) throw new Error(`${INTERRUPTED}: the wait for the GPU was interrupted`);
      const now = Atomics.load(this.control, 3);
      if (now !== beats) {
        beats = now;
        deadline = performance.now() + timeoutMs;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`no answer within ${timeoutMs / 1000} s and no progress: the page ` +
                        "or its GPU is stuck or gone");
      }
      Atomics.wait(this.control, 0, seen, Math.min(left, WAIT_SLICE_MS));
    }
    const length = Atomics.load(this.control, 2);
    const bytes = this.data.slice(0, length);
    if (Atomics.load(this.control, 1) !== STATUS_OK) {
      throw new Error(new TextDecoder().decode(bytes));
    }
    return bytes;
  }
}

// The answers as messages, for a worker that waits with JSPI instead of Atomics.wait.
export class MessageAnswers {
  constructor(worker, capacity) {
    this.worker = worker;
    this.capacity = capacity;
  }

  answer(seq, status, bytes) {
    const copy = bytes.slice();
    this.worker.postMessage({ type: "answer", seq, status, bytes: copy }, [copy.buffer]);
  }

  answerError(seq, message) {
    this.answer(seq, STATUS_ERROR, new TextEncoder().encode(message));
  }

  beat() {
    this.worker.postMessage({ type: "beat" });
  }
}

// Worker side of MessageAnswers: the promise of each request's answer, with a timeout.
export class PendingAnswers {
  constructor() {
    this.waiting = new Map();
  }

  expect(seq, timeoutMs) {
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: 0 };
      entry.expire = () => {
        this.waiting.delete(seq);
        reject(new Error(`no answer within ${timeoutMs / 1000} s and no progress: the page ` +
                         "or its GPU is stuck or gone"));
      };
      entry.timeoutMs = timeoutMs;
      entry.timer = setTimeout(entry.expire, timeoutMs);
      this.waiting.set(seq, entry);
    });
  }

  // The main thread made progress: every wait starts its timeout again.
  beat() {
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(entry.expire, entry.timeoutMs);
    }
  }

  settle({ seq, status, bytes }) {
    const entry = this.waiting.get(seq);
    if (!entry) return; // answered after its timeout
    this.waiting.delete(seq);
    clearTimeout(entry.timer);
    if (status === STATUS_OK) entry.resolve(bytes);
    else entry.reject(new Error(new TextDecoder().decode(bytes)));
  }
}
