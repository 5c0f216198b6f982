import v8 from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, referenceKernels, Rng, tensor, useKernels, type Kernels } from '../../src/engine';
import { createWasmKernels } from '../../src/engine/kernels/wasm';

/**
 * The update after backward (kernels/update.ts) on WebAssembly against the reference loops: the optimizers' rules
 * must move the weights and slots to the same bits on both backends, on either build, or a run would depend on
 * which machine trained it; the finiteness checks must find every NaN and ±∞ wherever it sits.
 */
const backends: Kernels[] = [];
beforeAll(async () => {
  // Node 20 has relaxed SIMD behind a flag; the desktop app's runtime has it on, so both builds are checked.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  backends.push(await createWasmKernels({ variant: 'simd' }), await createWasmKernels({ variant: 'relaxed-simd' }));
});

const rng = new Rng(7);
/** Values of every size a weight, gradient or Adam slot takes, with subnormals, zeros of both signs and extremes. */
function values(n: number, kind: 'any' | 'positive' = 'any'): Float32Array {
  const a = new Float32Array(n);
  const specials = [0, -0, 1e-40, -1e-39, 1e38, 1e-30, 65504, 1];
  for (let i = 0; i < n; i++) {
    const v = i % 11 === 3 ? specials[(i >> 2) % specials.length] : rng.uniform(-1, 1) * 10 ** (rng.int(9) - 6);
    a[i] = kind === 'positive' ? Math.abs(v) : v;
  }
  return a;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// Lengths that leave every remainder after the two-float and eight-float loops, and one of LeNet-5's size.
const SIZES = [0, 1, 2, 3, 7, 8, 9, 17, 1001, 61706];

describe('the optimizers’ rules on WebAssembly give the reference’s bits', () => {
  for (const n of SIZES) {
    it(`SGD, momentum and Adam over ${n} values, on both builds`, () => {
      const w = values(n);
      const g = values(n);
      const v = values(n);
      const m = values(n);
      const v2 = values(n, 'positive');
      const adam = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
      const want = { sgd: w.slice(), mw: w.slice(), mv: v.slice(), aw: w.slice(), am: m.slice(), av: v2.slice() };
      referenceKernels.sgdUpdate(want.sgd, g, 0.01);
      referenceKernels.momentumUpdate(want.mw, g, want.mv, 0.05, 0.9);
      referenceKernels.adamUpdate(want.aw, g, want.am, want.av, 0.002, adam);
      for (const k of backends) {
        const got = { sgd: w.slice(), mw: w.slice(), mv: v.slice(), aw: w.slice(), am: m.slice(), av: v2.slice() };
        k.sgdUpdate(got.sgd, g, 0.01);
        k.momentumUpdate(got.mw, g, got.mv, 0.05, 0.9);
        k.adamUpdate(got.aw, g, got.am, got.av, 0.002, adam);
        for (const key of Object.keys(want) as (keyof typeof want)[]) {
          expect(bits(got[key]), `${k.name} ${key}`).toEqual(bits(want[key]));
        }
      }
    });
  }

  it('Adam trains a parameter on wasm to the bits it reaches on the reference, through the optimizer', () => {
    const run = (k: Kernels) => {
      const previous = useKernels(k);
      try {
        const value = tensor(
          [1000],
          values(1000).map((x) => x / 1e3),
        );
        const p = { name: 'w', nodeId: 'n', value, grad: tensor([1000]), trainable: true };
        const opt = createOptimizer({ kind: 'adam', learningRate: 0.01, weightDecay: 1e-4 });
        for (let step = 0; step < 5; step++) {
          for (let i = 0; i < 1000; i++) p.grad.data[i] = Math.sin(i + step) * value.data[i];
          opt.step([p]);
        }
        return bits(value.data);
      } finally {
        useKernels(previous);
      }
    };
    const seed = rng.getState();
    const want = run(referenceKernels);
    for (const k of backends) {
      rng.setState(seed);
      expect(run(k), k.name).toEqual(want);
    }
  });
});

describe('summing the workers’ gradients and finding what is not finite', () => {
  for (const n of SIZES) {
    it(`sums ${n} values from one, two and three parts in order, to the reference’s bits`, () => {
      const parts = [values(n), values(n), values(n)];
      for (const count of [1, 2, 3]) {
        const want = new Float32Array(n);
        expect(referenceKernels.sumParts(parts.slice(0, count), want)).toBe(true);
        for (const k of backends) {
          const got = new Float32Array(n).fill(Number.NaN);
          expect(k.sumParts(parts.slice(0, count), got), `${k.name}, ${count} parts`).toBe(true);
          expect(bits(got), `${k.name}, ${count} parts`).toEqual(bits(want));
        }
      }
    });
  }

  it('finds a NaN, +∞ or −∞ at every position of the vector and scalar loops, and an overflowing sum', () => {
    for (const k of [referenceKernels, ...backends]) {
      for (const n of [1, 9, 17, 40]) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          for (let at = 0; at < n; at++) {
            const a = values(n);
            a[at] = bad;
            expect(k.allFinite(a), `${k.name}: ${bad} at ${at} of ${n}`).toBe(false);
            expect(k.sumParts([values(n), a], new Float32Array(n)), `${k.name}: sum, ${bad} at ${at}`).toBe(false);
          }
        }
        expect(k.allFinite(values(n)), `${k.name}: all finite, ${n}`).toBe(true);
      }
      // 3e38 + 3e38 is finite in float64 but not in float32: the stored sum is what is checked.
      const big = Float32Array.of(1, 3e38, 2);
      expect(k.sumParts([big, big], new Float32Array(3)), k.name).toBe(false);
      expect(k.allFinite(new Float32Array(0)), k.name).toBe(true);
    }
  });

  it('refuses an empty list of parts on every backend', () => {
    for (const k of [referenceKernels, ...backends]) {
      expect(() => k.sumParts([], new Float32Array(4)), k.name).toThrow(/sumParts: no parts to add/);
    }
  });

  it('reads a part from shared memory, as the workers’ gradient regions are', () => {
    const shared = new Float32Array(new SharedArrayBuffer(4 * 40));
    shared.set(values(40));
    const other = values(20);
    const want = new Float32Array(20);
    referenceKernels.sumParts([shared.subarray(20), other], want);
    for (const k of backends) {
      const got = new Float32Array(20);
      k.sumParts([shared.subarray(20), other], got);
      expect(bits(got), k.name).toEqual(bits(want));
    }
  });
});
