/**
 * Decoded images kept in memory up to a byte budget, so that later epochs do not decode them again.
 *
 * It fills until the budget is reached and then keeps what it has: it never evicts. Training visits every image
 * once per epoch in a fresh random order, and under that pattern an LRU cache smaller than the dataset would evict
 * each image just before its next use and hit almost never; a cache that pins the first images it sees hits in
 * proportion to its size (budget ÷ dataset), the best any policy can do here.
 */
export class PixelCache {
  private readonly entries = new Map<string, Uint8Array>();
  private used = 0;
  /** Lookups that found their image, and lookups that did not. */
  hits = 0;
  misses = 0;

  constructor(readonly budget: number) {
    if (!(budget >= 0)) throw new RangeError(`PixelCache: the budget must be a byte count, got ${budget}`);
  }

  get(key: string): Uint8Array | undefined {
    const found = this.entries.get(key);
    if (found) this.hits++;
    else this.misses++;
    return found;
  }

  /** Keeps the pixels if they fit in what is left of the budget; returns whether they were kept. */
  offer(key: string, pixels: Uint8Array): boolean {
    if (this.entries.has(key)) return true;
    if (this.used + pixels.byteLength > this.budget) return false;
    this.entries.set(key, pixels);
    this.used += pixels.byteLength;
    return true;
  }

  /** Bytes held. Never above the budget. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }
}
