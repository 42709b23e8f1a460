// How the main thread answers the worker's waiting commands.
//
// Rule: the worker sends commands with postMessage and never waits for them, except for
// the one command of a batch that answers (a read, a sync, hello). By default the main
// thread puts that answer into a SharedArrayBuffer and wakes the worker with
// Atomics.notify (`Channel`); without cross-origin isolation it posts the answer back
// (`MessageAnswers`) and the worker's Python waits through JavaScript Promise
// Integration. Each request has a sequence number, so an answer that comes after its
// wait timed out is never taken for the next one's.

const HEADER_BYTES = 16; // Int32 [answered seq, status, length, unused]
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

  // Worker: block until request `seq` is answered or `timeoutMs` passed.
  wait(seq, timeoutMs) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.control, 0);
      if (seen === seq) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`the main thread did not answer within ${timeoutMs / 1000} s`);
      }
      Atomics.wait(this.control, 0, seen, left);
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
}

// Worker side of MessageAnswers: the promise of each request's answer, with a timeout.
export class PendingAnswers {
  constructor() {
    this.waiting = new Map();
  }

  expect(seq, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`the main thread did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(seq, { resolve, reject, timer });
    });
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
