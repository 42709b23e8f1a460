// @ts-check
// Size-class pooling of freed GPU buffers for the WebGPU executor: the JavaScript twin of
// wgpy_runtime/device/pool.py.
//
// Rule: a freed block goes back to the pool under its size class and the next allocation
// of that class takes it again; it is really released only by `trim()` or when the pool
// holds more than its limit, oldest first. A block whose creation failed is never kept.

/** `n` rounded up to one of four steps per octave (wgpy_runtime/device/pool.py). */
export function sizeClass(n) {
  if (n <= 16) return 16;
  const step = 2 ** Math.max(0, n.toString(2).length - 3);
  return Math.ceil(n / step) * step;
}

/** Freed blocks by size class, oldest destroyed first past `limit` bytes. */
export class Pool {
  constructor(release, limit) {
    this.release = release;
    this.limit = limit;
    this.byClass = new Map(); // bytes -> [Block]
    this.order = new Set(); // every held block, oldest first
    this.heldBytes = 0;
    this.stats = { hits: 0, misses: 0, released: 0 };
  }

  take(bytes) {
    const block = this.byClass.get(bytes)?.pop();
    if (!block) {
      this.stats.misses += 1;
      return null;
    }
    this.order.delete(block);
    this.heldBytes -= block.bytes;
    this.stats.hits += 1;
    return block;
  }

  give(block) {
    if (block.failed !== null) { // a block that was never created is not worth keeping
      this.release(block);
      return;
    }
    if (!this.byClass.has(block.bytes)) this.byClass.set(block.bytes, []);
    this.byClass.get(block.bytes).push(block);
    this.order.add(block);
    this.heldBytes += block.bytes;
    if (this.heldBytes > this.limit) this.trim(this.heldBytes - this.limit);
  }

  // Destroy held blocks, oldest first, until `bytes` are freed (all by default).
  trim(bytes = Infinity) {
    let freed = 0;
    for (const block of this.order) {
      if (freed >= bytes) break;
      this.order.delete(block);
      const list = this.byClass.get(block.bytes);
      list.splice(list.indexOf(block), 1);
      this.heldBytes -= block.bytes;
      this.stats.released += 1;
      freed += block.bytes;
      this.release(block);
    }
    return freed;
  }
}
