// Long kernels without a wedged page: a launch runs as GPU submissions over element
// ranges, each sized from what the kernel's previous ranges took, so that none runs much
// longer than a time budget; between ranges a cancel takes effect and progress is told.
//
// Rule: a kernel starts with one small range; each range's measured time scales the next
// (at most x8 a step, aiming at half the budget), and the size that fits is remembered per
// kernel, so a kernel known to fit runs as one launch without waiting for the GPU. Real
// browsers stop GPU work that runs for seconds (watchdogs), and a GPU that is busy for
// minutes keeps even a reloaded page from starting.

export const DEFAULT_BUDGET_MS = 200;
const GROWTH = 8; // the most one range may grow over the previous one

export class CancelledError extends Error {}

export class Pacer {
  constructor({ budgetMs = DEFAULT_BUDGET_MS } = {}) {
    this.budgetMs = budgetMs;
    this.fits = new Map(); // kernel key -> elements one submission ran within the aim
    this.cancelled = null; // the reason, while a cancel is in force
    this.progress = null; // {what, done, total} of the split launch running now
    this.listeners = new Set(); // (progress) => void
  }

  /** Whether `n` elements of kernel `key` are known to run within the budget at once. */
  fitsWhole(key, n) {
    const fits = this.fits.get(key);
    return fits !== undefined && n <= fits;
  }

  /** Throw CancelledError while a cancel is in force. */
  check(what) {
    if (this.cancelled !== null) throw new CancelledError(`${what} cancelled (${this.cancelled})`);
  }

  /**
   * Run elements [0, total) of kernel `key` in ranges of whole `unit`s, at most `maxCount`
   * elements each: `issue(first, count)` records a range, `wait()` resolves once the GPU
   * ran it. `what` names the launch in messages ("dispatch of kernel 'k'").
   */
  async run(key, what, total, unit, maxCount, issue, wait) {
    const largest = Math.max(unit, Math.floor(maxCount / unit) * unit);
    let count = Math.min(this.fits.get(key) ?? unit, largest);
    let first = 0;
    try {
      while (first < total) {
        this.check(`${what} after ${first} of ${total} elements`);
        const began = performance.now();
        issue(first, Math.min(count, Math.ceil((total - first) / unit) * unit));
        await wait();
        const ms = performance.now() - began;
        const ran = Math.min(count, total - first);
        first += ran;
        this.tell({ what, done: first, total });
        const scale = ms > 0 ? Math.min(GROWTH, this.budgetMs / 2 / ms) : GROWTH;
        const fits = Math.max(unit, Math.floor((ran * scale) / unit) * unit);
        if (ran === count || fits < count) this.fits.set(key, fits); // a full range measured
        count = Math.min(fits, largest);
      }
    } finally {
      this.tell(null);
    }
  }

  tell(progress) {
    this.progress = progress;
    for (const listener of this.listeners) listener(progress);
  }
}
