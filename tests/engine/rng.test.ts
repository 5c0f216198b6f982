import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine';

describe('Rng.fill', () => {
  it('gives the draws next() gives, in order, and leaves the generator where next() would', () => {
    for (const seed of [0, 1, 42, -7, 0x7fffffff]) {
      const a = new Rng(seed);
      const b = new Rng(seed);
      // Lengths around nothing, one and a dropout layer's; calls interleaved with next() on both sides.
      for (const n of [0, 1, 5, 1568 * 32]) {
        const out = new Float64Array(n);
        a.fill(out);
        for (let i = 0; i < n; i++) {
          const want = b.next();
          if (out[i] !== want) expect(out[i], `seed ${seed}, ${n} draws: draw ${i}`).toBe(want);
        }
        expect(a.next()).toBe(b.next());
      }
    }
  });

  it('draws in [0, 1)', () => {
    const out = new Float64Array(10000);
    new Rng(3).fill(out);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThan(1);
  });
});
