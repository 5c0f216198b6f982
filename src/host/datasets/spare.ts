/**
 * Float buffers of whole batches that their consumer has handed back, for the next batches to reuse.
 *
 * A training loop draws a fresh batch tensor (and an augmented copy of it) for every step, 100–200 KB each, and
 * drops it once the step has copied it into shared memory. Dropped, those buffers pile up as external memory until
 * V8 next collects: on a 60,000-image epoch of LeNet-5 that put the process's peak 20–30 MB higher. A source that
 * takes its batch buffers from here, and a loop that gives them back, allocate almost nothing per step.
 *
 * Only a buffer given back is ever reused, so a consumer that keeps its batches (a test collecting an epoch, a
 * preview) sees them unchanged; the one rule is not to read a batch after giving it back.
 */
export class SpareBuffers {
  private readonly free: Float32Array[] = [];

  /** Keeps at most `limit` buffers: a loop with one batch in use and one prepared ahead needs four. */
  constructor(private readonly limit = 4) {}

  /** A buffer of exactly `size` floats: a spare one when there is one (its old values still in it), else a new one. */
  take(size: number): Float32Array {
    const i = this.free.findIndex((b) => b.length === size);
    return i >= 0 ? this.free.splice(i, 1)[0] : new Float32Array(size);
  }

  /** Takes a buffer back; one already given back, or a full store, is ignored. */
  give(buffer: Float32Array): void {
    if (this.free.length < this.limit && !this.free.includes(buffer)) this.free.push(buffer);
  }
}
