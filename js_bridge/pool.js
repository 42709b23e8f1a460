// @ts-check
// Size-class pooling of freed GPU objects (WebGPU buffers, WebGL textures): the JavaScript
// twin of wgpy_runtime/device/pool.py, with the same API.
//
// Rule: a freed object goes back to the pool under its key (which includes its size class)
// and the next allocation of that key takes one of those held again: the one that first
// came to the pool earliest, whatever order they came back in, so a program that allocates
// and frees the same way step after step gets the same objects at the same places each
// step (and bind groups cached by buffer are found again). An object is really released only by
// `trim()` or when the pool holds more than its limit, oldest first.

/** `n` rounded up to one of four steps per octave (wgpy_runtime/device/pool.py). */
export function sizeClass(n) {
  if (n <= 16) return 16;
  const step = 2 ** Math.max(0, n.toString(2).length - 3);
  return Math.ceil(n / step) * step;
}

/** Freed objects by key, the oldest released first past `limit` bytes. */
export class Pool {
  constructor(release, limit) {
    this.release = release;
    this.limit = limit;
    this.byKey = new Map(); // key -> [entry]
    this.order = new Set(); // every held entry {key, obj, bytes, rank}, oldest first
    this.ranks = new WeakMap(); // obj -> its rank, from its first return
    this.nextRank = 0;
    this.heldBytes = 0;
    this.stats = { hits: 0, misses: 0, released: 0 };
  }

  /** A pooled object of `key`, or null (counted as a miss: the caller creates one). */
  take(key) {
    const list = this.byKey.get(key);
    if (!list?.length) {
      this.stats.misses += 1;
      return null;
    }
    let least = 0;
    for (let i = 1; i < list.length; i++) if (list[i].rank < list[least].rank) least = i;
    const [entry] = list.splice(least, 1);
    this.order.delete(entry);
    this.heldBytes -= entry.bytes;
    this.stats.hits += 1;
    return entry.obj;
  }

  /** Hold `obj` (of `bytes`) for reuse under `key`; release the oldest past the limit. */
  give(key, obj, bytes) {
    if (!this.ranks.has(obj)) this.ranks.set(obj, this.nextRank++);
    const entry = { key, obj, bytes, rank: this.ranks.get(obj) };
    if (!this.byKey.has(key)) this.byKey.set(key, []);
    this.byKey.get(key).push(entry);
    this.order.add(entry);
    this.heldBytes += bytes;
    if (this.heldBytes > this.limit) this.trim(this.heldBytes - this.limit);
  }

  /** Release held objects, oldest first, until `bytes` are freed (all by default);
   * returns the bytes released. */
  trim(bytes = Infinity) {
    let freed = 0;
    for (const entry of this.order) {
      if (freed >= bytes) break;
      this.order.delete(entry);
      const list = this.byKey.get(entry.key);
      list.splice(list.indexOf(entry), 1);
      this.heldBytes -= entry.bytes;
      this.stats.released += 1;
      freed += entry.bytes;
      this.release(entry.obj);
    }
    return freed;
  }
}
