/**
 * A growing series of (x, y, s) points (s: a smoothed y) reduced for drawing: at most `maxBuckets` buckets, each
 * drawn as its lowest and highest point in x order, so that spikes survive while a chart of 100,000 steps draws a
 * few thousand points. Work is incremental: a point joins the open bucket; when there are too many buckets, each
 * pair merges into one of twice the size (bucket sizes are powers of two), so that adding a point costs O(1)
 * amortised and the display never re-reads the raw points.
 */
export class Decimator {
  /** Raw points per bucket. */
  private size = 1;
  /** Per bucket: count, then the low point (x, y, s) and the high point (x, y, s). */
  private readonly buckets: Bucket[] = [];
  /** Points added so far. */
  count = 0;

  constructor(private readonly maxBuckets = 2048) {
    if (!(maxBuckets >= 2)) throw new RangeError(`a decimator needs at least 2 buckets, got ${maxBuckets}`);
  }

  add(x: number, y: number, s: number): void {
    this.count++;
    const open = this.buckets[this.buckets.length - 1];
    if (open && open.n < this.size) {
      include(open, x, y, s);
      return;
    }
    this.buckets.push({ n: 1, lx: x, ly: y, ls: s, hx: x, hy: y, hs: s });
    if (this.buckets.length > this.maxBuckets) this.merge();
  }

  /** The points to draw, as parallel arrays in x order. */
  points(): { x: number[]; y: number[]; s: number[] } {
    const x: number[] = [];
    const y: number[] = [];
    const s: number[] = [];
    const push = (px: number, py: number, ps: number) => {
      x.push(px);
      y.push(py);
      s.push(ps);
    };
    for (const b of this.buckets) {
      if (b.n === 1 || (b.lx === b.hx && b.ly === b.hy)) push(b.lx, b.ly, b.ls);
      else if (b.lx < b.hx) {
        push(b.lx, b.ly, b.ls);
        push(b.hx, b.hy, b.hs);
      } else {
        push(b.hx, b.hy, b.hs);
        push(b.lx, b.ly, b.ls);
      }
    }
    return { x, y, s };
  }

  clear(): void {
    this.buckets.length = 0;
    this.size = 1;
    this.count = 0;
  }

  /** Halves the number of buckets: bucket 2k and 2k+1 become bucket k, twice as large. */
  private merge(): void {
    this.size *= 2;
    let to = 0;
    for (let from = 0; from < this.buckets.length; from += 2) {
      const a = this.buckets[from];
      const b = this.buckets[from + 1];
      if (b) {
        if (b.ly < a.ly) [a.lx, a.ly, a.ls] = [b.lx, b.ly, b.ls];
        if (b.hy > a.hy) [a.hx, a.hy, a.hs] = [b.hx, b.hy, b.hs];
        a.n += b.n;
      }
      this.buckets[to++] = a;
    }
    this.buckets.length = to;
  }
}

interface Bucket {
  n: number;
  lx: number;
  ly: number;
  ls: number;
  hx: number;
  hy: number;
  hs: number;
}

function include(b: Bucket, x: number, y: number, s: number): void {
  b.n++;
  if (y < b.ly) [b.lx, b.ly, b.ls] = [x, y, s];
  if (y > b.hy) [b.hx, b.hy, b.hs] = [x, y, s];
}
