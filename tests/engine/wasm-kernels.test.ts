import v8 from 'node:v8';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  kernels,
  Network,
  referenceKernels,
  Rng,
  tensor,
  useKernels,
  type ConvGeometry,
  type Kernels,
  type NormGeometry,
  type PoolGeometry,
} from '../../src/engine';
import { createWasmKernels, supportsRelaxedSimd, type WasmKernels } from '../../src/engine/kernels/wasm';
import { WasmArena } from '../../src/engine/kernels/wasm/arena';
import { instantiateKernels, type KernelExports } from '../../src/engine/kernels/wasm/module';
import { bindKernels } from '../../src/engine/kernels/wasm/wasm-kernels';
import { chain } from '../helpers/graphs';

/**
 * The WebAssembly kernels against the reference TypeScript kernels. Tolerance: |wasm − reference| ≤ 1e-4 · max(1, |reference|)
 * for every value, i.e. 1e-4 absolute for values up to 1 in size and 1e-4 relative above. Shapes include sizes that
 * divide neither the SIMD width (4) nor the register tile (4×8) nor the cache blocks (KC = 256, MC = 120).
 */
const TOL = 1e-4;

function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    // NaN fails the comparison below, so a NaN anywhere is reported as the worst error.
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst error at [${at}]: wasm ${got[at]} vs reference ${want[at]}`).toBeLessThanOrEqual(TOL);
}

const rng = new Rng(42);
function random(count: number): Float32Array {
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

let wasm: WasmKernels;
beforeAll(async () => {
  wasm = await createWasmKernels({ variant: 'simd' });
});

function checkGemm(
  k: Kernels,
  m: number,
  n: number,
  kk: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
) {
  const a = random(m * kk);
  const b = random(kk * n);
  const c0 = random(m * n);
  const want = c0.slice();
  const got = c0.slice();
  referenceKernels.gemm(m, n, kk, a, transA, b, transB, want, accumulate);
  k.gemm(m, n, kk, a, transA, b, transB, got, accumulate);
  expectClose(got, want, `gemm m=${m} n=${n} k=${kk} transA=${transA} transB=${transB} accumulate=${accumulate}`);
}

const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 17, 3],
  [3, 7, 13],
  [4, 8, 4],
  [7, 1, 65],
  [13, 33, 17],
  [33, 65, 7],
  [65, 13, 33],
  // across the K block (256), the M block (120) and into ragged register tiles on every edge
  [121, 37, 257],
  [5, 130, 600],
];

describe('wasm gemm matches the reference', () => {
  for (const [m, n, k] of GEMM_SHAPES) {
    it(`m=${m} n=${n} k=${k}, all four transposes, accumulate on and off`, () => {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const accumulate of [false, true]) checkGemm(wasm, m, n, k, transA, transB, accumulate);
    });
  }

  it('A·Bᵀ too large for the unpacked dot-product path (m·k > 65536, or k > 2048) still goes through packing', () => {
    // Every transB product of GEMM_SHAPES is small enough for the dot-product path (assembly/dot.ts); these are not.
    for (const [m, n, k] of [
      [260, 9, 300],
      [2, 5, 2100],
    ] as const) {
      checkGemm(wasm, m, n, k, false, true, false);
      checkGemm(wasm, m, n, k, false, true, true);
    }
  });

  it('m=3 n=2100 k=5: more columns than one B panel (NC = 2048)', () => {
    checkGemm(wasm, 3, 2100, 5, false, false, true);
    checkGemm(wasm, 3, 2100, 5, true, true, false);
  });

  it('k = 0 gives zeros, or leaves C alone when accumulating', () => {
    const c = new Float32Array([1, 2, 3, 4, 5, 6]);
    wasm.gemm(2, 3, 0, new Float32Array(0), false, new Float32Array(0), false, c, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
    wasm.gemm(2, 3, 0, new Float32Array(0), false, new Float32Array(0), false, c, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('uses only the first m·n values of a longer C and leaves the rest', () => {
    const c = new Float32Array(10).fill(7);
    wasm.gemm(1, 2, 1, new Float32Array([2]), false, new Float32Array([3, 4]), false, c, false);
    expect(Array.from(c)).toEqual([6, 8, 7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it('names the argument that is too short', () => {
    expect(() =>
      wasm.gemm(4, 4, 4, new Float32Array(15), false, new Float32Array(16), false, new Float32Array(16), false),
    ).toThrow(/wasm gemm: a has 15 values, needs 16 \(op\(a\) is 4×4\)/);
  });
});

/** A convolution geometry with explicit padding on all four sides (bottom/right only set oh/ow, as in the layers). */
function convGeometry(
  n: number,
  c: number,
  h: number,
  w: number,
  f: number,
  kh: number,
  kw: number,
  stride: number,
  [top, bottom, left, right]: [number, number, number, number],
): ConvGeometry {
  const oh = Math.floor((h + top + bottom - kh) / stride) + 1;
  const ow = Math.floor((w + left + right - kw) / stride) + 1;
  return { n, c, h, w, f, kh, kw, stride, padTop: top, padLeft: left, oh, ow };
}

const CONVS: [string, ConvGeometry][] = [
  ['n=2 c=1 5×5 f=3 k=3 s=1 pad 0', convGeometry(2, 1, 5, 5, 3, 3, 3, 1, [0, 0, 0, 0])],
  ['n=3 c=3 7×9 f=5 k=3 s=1 pad 1', convGeometry(3, 3, 7, 9, 5, 3, 3, 1, [1, 1, 1, 1])],
  ['n=2 c=2 13×13 f=7 k=3 s=2 pad 1', convGeometry(2, 2, 13, 13, 7, 3, 3, 2, [1, 1, 1, 1])],
  ['n=1 c=4 8×8 f=6 k=2 s=1 same (pad bottom/right only)', convGeometry(1, 4, 8, 8, 6, 2, 2, 1, [0, 1, 0, 1])],
  [
    'n=2 c=3 9×10 f=4 k=4×3 s=2 same (asymmetric top 1/bottom 2, left 1/right 1)',
    convGeometry(2, 3, 9, 10, 4, 4, 3, 2, [1, 2, 1, 1]),
  ],
  ['n=2 c=17 6×5 f=33 k=1 s=1 pointwise', convGeometry(2, 17, 6, 5, 33, 1, 1, 1, [0, 0, 0, 0])],
  ['n=1 c=3 11×7 f=13 k=5 s=3 pad 2', convGeometry(1, 3, 11, 7, 13, 5, 5, 3, [2, 2, 2, 2])],
  ['n=2 c=1 28×28 f=6 k=5 s=1 pad 2 (LeNet)', convGeometry(2, 1, 28, 28, 6, 5, 5, 1, [2, 2, 2, 2])],
  ['n=1 c=16 10×10 f=17 k=3 s=1 pad 0 (K = 144, M ragged)', convGeometry(1, 16, 10, 10, 17, 3, 3, 1, [0, 0, 0, 0])],
  ['n=1 c=32 9×9 f=5 k=3 s=1 pad 1 (K = 288 crosses a K block)', convGeometry(1, 32, 9, 9, 5, 3, 3, 1, [1, 1, 1, 1])],
  // Backward input at stride 1 runs as a forward convolution of dy (see wasm-kernels.ts): these reach its edges.
  ['n=2 c=5 9×7 f=1 k=3 s=1 pad 1 (one filter: dx has 5 channels)', convGeometry(2, 5, 9, 7, 1, 3, 3, 1, [1, 1, 1, 1])],
  ['n=3 c=16 14×14 f=32 k=3 s=1 same (fashion-2conv conv2)', convGeometry(3, 16, 14, 14, 32, 3, 3, 1, [1, 1, 1, 1])],
  ['n=2 c=3 10×9 f=4 k=3×2 s=1 pad top/left only', convGeometry(2, 3, 10, 9, 4, 3, 2, 1, [1, 0, 1, 0])],
  ['n=1 c=2 5×5 f=3 k=3 s=1 pad 3 (wider than the kernel)', convGeometry(1, 2, 5, 5, 3, 3, 3, 1, [3, 3, 3, 3])],
  ['n=2 c=3 6×5 f=4 k=5 s=1 pad 0 (1×2 outputs)', convGeometry(2, 3, 6, 5, 4, 5, 4, 1, [0, 0, 0, 0])],
  // The kernel gradient's two loops (assembly/filter-grad.ts): rows of 4 padded one by one, and the whole map at once.
  ['n=2 c=3 6×4 f=5 k=3 s=1 pad 1 (4-pixel rows)', convGeometry(2, 3, 6, 4, 5, 3, 3, 1, [1, 1, 1, 1])],
  ['n=2 c=2 7×13 f=9 k=3×5 s=1 pad 1/2 (one loop over the map)', convGeometry(2, 2, 7, 13, 9, 3, 5, 1, [1, 1, 2, 2])],
];

describe('wasm convolution matches the reference', () => {
  for (const [label, g] of CONVS) {
    const xs = g.n * g.c * g.h * g.w;
    const ks = g.f * g.c * g.kh * g.kw;
    const ys = g.n * g.f * g.oh * g.ow;

    it(`forward ${label}, with and without bias`, () => {
      const x = random(xs);
      const kernel = random(ks);
      for (const bias of [random(g.f), null]) {
        const want = new Float32Array(ys);
        const got = new Float32Array(ys).fill(NaN); // the kernel must overwrite every output
        referenceKernels.conv2dForward(g, x, kernel, bias, want);
        wasm.conv2dForward(g, x, kernel, bias, got);
        expectClose(got, want, `conv2dForward ${label} bias=${bias !== null}`);
      }
    });

    it(`backward input ${label}`, () => {
      const dy = random(ys);
      const kernel = random(ks);
      const want = new Float32Array(xs);
      const got = new Float32Array(xs).fill(NaN);
      referenceKernels.conv2dBackwardInput(g, dy, kernel, want);
      wasm.conv2dBackwardInput(g, dy, kernel, got);
      expectClose(got, want, `conv2dBackwardInput ${label}`);
    });

    it(`backward filter ${label}, adding into existing gradients, with and without bias`, () => {
      const x = random(xs);
      const dy = random(ys);
      const dk0 = random(ks);
      const db0 = random(g.f);
      for (const withBias of [true, false]) {
        const wantK = dk0.slice();
        const gotK = dk0.slice();
        const wantB = withBias ? db0.slice() : null;
        const gotB = withBias ? db0.slice() : null;
        referenceKernels.conv2dBackwardFilter(g, x, dy, wantK, wantB);
        wasm.conv2dBackwardFilter(g, x, dy, gotK, gotB);
        expectClose(gotK, wantK, `conv2dBackwardFilter dKernel ${label}`);
        if (gotB && wantB) expectClose(gotB, wantB, `conv2dBackwardFilter dBias ${label}`);
      }
    });
  }

  it('backward input runs as direct forward convolutions (one a phase when strided); unpadded or declined, through GEMM', async () => {
    const raw = await instantiateKernels('simd');
    const calls: string[] = [];
    const spied: KernelExports = {
      ...raw,
      conv2dForward: (...a) => (calls.push('forward'), raw.conv2dForward(...a)),
      conv2dBackwardInput: (...a) => (calls.push('gemm'), raw.conv2dBackwardInput(...a)),
    };
    const k = bindKernels(spied, new WasmArena(raw.memory, raw.scratchBase()), 'simd');
    for (const [label, g, path] of [
      ['fashion-2conv conv2', convGeometry(2, 16, 14, 14, 32, 3, 3, 1, [1, 1, 1, 1]), 'forward'],
      ['stride 2: 4 phases', convGeometry(2, 2, 13, 13, 8, 3, 3, 2, [1, 1, 1, 1]), 'forward,forward,forward,forward'],
      ['1×1 stride 2: 1 phase with a tap, 3 of zeros', convGeometry(2, 4, 9, 8, 8, 1, 1, 2, [0, 0, 0, 0]), 'forward'],
      ['stride 2, 3 channels, phases 3 wide: declined', convGeometry(2, 3, 6, 6, 8, 3, 3, 2, [1, 1, 1, 1]), 'gemm'],
      ['unpadded 5×5 (LeNet conv2)', convGeometry(2, 6, 14, 14, 16, 5, 5, 1, [0, 0, 0, 0]), 'gemm'],
    ] as const) {
      calls.length = 0;
      const dy = random(g.n * g.f * g.oh * g.ow);
      const kernel = random(g.f * g.c * g.kh * g.kw);
      const want = new Float32Array(g.n * g.c * g.h * g.w);
      const got = new Float32Array(want.length).fill(NaN);
      referenceKernels.conv2dBackwardInput(g, dy, kernel, want);
      k.conv2dBackwardInput(g, dy, kernel, got);
      expect(calls.join(), label).toBe(path);
      expectClose(got, want, `conv2dBackwardInput ${label}`);
    }
  });

  it('names the geometry value at fault', () => {
    const g = { ...convGeometry(1, 1, 4, 4, 1, 3, 3, 1, [0, 0, 0, 0]), stride: 0 };
    expect(() => wasm.conv2dForward(g, random(16), random(9), null, new Float32Array(4))).toThrow(
      /wasm conv2dForward: geometry stride = 0 is not a whole number ≥ 1/,
    );
  });
});

/**
 * The kernel gradient without im2col (assembly/filter-grad.ts) at every stride: strided geometries go through phase
 * planes of the padded image. Each case names the path the module's plan must take ('direct' or 'im2col').
 */
const FILTER_GRADS: [string, ConvGeometry, 'direct' | 'im2col'][] = [
  ['VGG conv1: c=3 32×32 f=32 k=3 s=1 same', convGeometry(2, 3, 32, 32, 32, 3, 3, 1, [1, 1, 1, 1]), 'direct'],
  ['c=1 28×28 f=16 k=3 s=1 same (fashion conv1)', convGeometry(2, 1, 28, 28, 16, 3, 3, 1, [1, 1, 1, 1]), 'direct'],
  [
    'c=1 28×28 f=6 k=5 s=1 pad 2 (LeNet conv1: tiles of 4 and 2 filters)',
    convGeometry(2, 1, 28, 28, 6, 5, 5, 1, [2, 2, 2, 2]),
    'direct',
  ],
  ['c=3 16×16 f=8 k=3 s=2 pad 1 (even size)', convGeometry(2, 3, 16, 16, 8, 3, 3, 2, [1, 1, 1, 1]), 'direct'],
  [
    'c=1 15×17 f=5 k=3 s=2 same (pad top/left 1, bottom/right 1)',
    convGeometry(3, 1, 15, 17, 5, 3, 3, 2, [1, 1, 1, 1]),
    'direct',
  ],
  [
    'c=2 16×16 f=4 k=3 s=2 same, TF-style (pad bottom/right only)',
    convGeometry(2, 2, 16, 16, 4, 3, 3, 2, [0, 1, 0, 1]),
    'direct',
  ],
  [
    'c=3 33×35 f=6 k=2 s=2 valid (phases of one tap each)',
    convGeometry(2, 3, 33, 35, 6, 2, 2, 2, [0, 0, 0, 0]),
    'direct',
  ],
  ['c=4 19×21 f=9 k=1 s=2 (1×1: one phase plane read)', convGeometry(2, 4, 19, 21, 9, 1, 1, 2, [0, 0, 0, 0]), 'direct'],
  [
    'c=8 20×20 f=8 k=1 s=3 pad 1 (taps reach one phase of nine)',
    convGeometry(2, 8, 20, 20, 8, 1, 1, 3, [1, 1, 1, 1]),
    'direct',
  ],
  [
    'c=4 16×16 f=8 k=3 s=2 pad 2 (phases start before dy)',
    convGeometry(2, 4, 16, 16, 8, 3, 3, 2, [2, 2, 2, 2]),
    'direct',
  ],
  ['c=4 24×24 f=12 k=5 s=4 pad 1', convGeometry(2, 4, 24, 24, 12, 5, 5, 4, [1, 1, 1, 1]), 'direct'],
  ['c=2 23×25 f=7 k=5 s=3 pad 2', convGeometry(2, 2, 23, 25, 7, 5, 5, 3, [2, 2, 2, 2]), 'direct'],
  [
    'c=2 18×40 f=3 k=4×3 s=2 asymmetric (1/2, 1/1), wide rows',
    convGeometry(1, 2, 18, 40, 3, 4, 3, 2, [1, 2, 1, 1]),
    'direct',
  ],
  [
    'c=3 13×13 f=4 k=3 s=2 pad 1: 7-pixel rows, one loop',
    convGeometry(2, 3, 13, 13, 4, 3, 3, 2, [1, 1, 1, 1]),
    'direct',
  ],
  [
    'c=3 11×11 f=4 k=3 s=2 pad 1: 6-pixel rows, one loop',
    convGeometry(2, 3, 11, 11, 4, 3, 3, 2, [1, 1, 1, 1]),
    'direct',
  ],
  [
    'c=2 8×8 f=5 k=5 s=2 pad 2: 4-pixel rows, a loop each',
    convGeometry(2, 2, 8, 8, 5, 5, 5, 2, [2, 2, 2, 2]),
    'direct',
  ],
  [
    'c=2 9×5 f=3 k=7 s=1 pad 3: 5-pixel rows, too short for one loop, go to im2col',
    convGeometry(2, 2, 9, 5, 3, 7, 7, 1, [3, 3, 3, 3]),
    'im2col',
  ],
];

describe('wasm backward passes without im2col, at every stride', () => {
  let raw: KernelExports;
  beforeAll(async () => {
    raw = await instantiateKernels('simd');
  });

  for (const [label, g, path] of FILTER_GRADS) {
    it(`${label}: takes the ${path} path and matches the reference`, () => {
      raw.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
      expect(raw.conv2dBackwardFilterPath()).toBe(path === 'direct' ? 1 : 0);
      const x = random(g.n * g.c * g.h * g.w);
      const dy = random(g.n * g.f * g.oh * g.ow);
      const dk0 = random(g.f * g.c * g.kh * g.kw);
      const db0 = random(g.f);
      const wantK = dk0.slice();
      const gotK = dk0.slice();
      const wantB = db0.slice();
      const gotB = db0.slice();
      referenceKernels.conv2dBackwardFilter(g, x, dy, wantK, wantB);
      wasm.conv2dBackwardFilter(g, x, dy, gotK, gotB);
      expectClose(gotK, wantK, `conv2dBackwardFilter dKernel ${label}`);
      expectClose(gotB, wantB, `conv2dBackwardFilter dBias ${label}`);
    });

    // The same geometries reach the strided input gradient's phases: odd sizes, zero phases, negative paddings.
    it(`${label}: the input gradient matches the reference`, () => {
      const dy = random(g.n * g.f * g.oh * g.ow);
      const kernel = random(g.f * g.c * g.kh * g.kw);
      const want = new Float32Array(g.n * g.c * g.h * g.w);
      const got = new Float32Array(want.length).fill(NaN); // every value must be written
      referenceKernels.conv2dBackwardInput(g, dy, kernel, want);
      wasm.conv2dBackwardInput(g, dy, kernel, got);
      expectClose(got, want, `conv2dBackwardInput ${label}`);
    });
  }
});

/** conv2dForward's path for a geometry, from the module's own plan: 0 im2col + GEMM, 1 PIXELS tiles, 2 FILTERS. */
const PATH = { im2col: 0, pixels: 1, filters: 2 } as const;

/**
 * The direct forward pass (assembly/direct.ts) on geometries that reach each of its branches, and the geometries it
 * declines. Each case names the path the module's plan must take, so a change to the plan cannot silently leave a
 * branch untested.
 */
const DIRECT: [string, ConvGeometry, keyof typeof PATH][] = [
  ...[1, 3, 33].map((n): [string, ConvGeometry, keyof typeof PATH] => [
    `LeNet conv1, batch ${n}: f=6 (4 + 2 filters), 28 = 8+8+8+4 pixels, padded copy`,
    convGeometry(n, 1, 28, 28, 6, 5, 5, 1, [2, 2, 2, 2]),
    'pixels',
  ]),
  ...[1, 3, 33].map((n): [string, ConvGeometry, keyof typeof PATH] => [
    `LeNet conv2, batch ${n}: f=16, 10×10 outputs in groups of 4 across rows, read in place`,
    convGeometry(n, 6, 14, 14, 16, 5, 5, 1, [0, 0, 0, 0]),
    'filters',
  ]),
  ['f=5 (4 + 1), width 15 = 8 + 4 + overlapping 4', convGeometry(2, 2, 13, 15, 5, 3, 3, 1, [1, 1, 1, 1]), 'pixels'],
  ['f=7 (4 + 3), width 6 = 4 + overlapping 4', convGeometry(2, 3, 8, 6, 7, 3, 3, 1, [1, 1, 1, 1]), 'pixels'],
  ['f=2, width exactly 4', convGeometry(3, 2, 6, 4, 2, 3, 3, 1, [1, 1, 1, 1]), 'pixels'],
  ['f=6, unpadded, read in place, width 10', convGeometry(2, 6, 14, 14, 6, 5, 5, 1, [0, 0, 0, 0]), 'pixels'],
  ['f=8, width 16: whole 8-pixel tiles beat FILTERS', convGeometry(2, 4, 16, 16, 8, 3, 3, 1, [1, 1, 1, 1]), 'pixels'],
  [
    '3×1 kernel, no side padding: rows flattened into one of 45 pixels',
    convGeometry(2, 3, 9, 5, 6, 3, 1, 1, [1, 1, 0, 0]),
    'pixels',
  ],
  ['asymmetric padding (bottom/right only)', convGeometry(2, 3, 8, 9, 3, 2, 2, 1, [0, 1, 0, 1]), 'pixels'],
  [
    'f=4 (one half tile), 9×7 = 63 outputs (last group overlaps)',
    convGeometry(2, 3, 9, 7, 4, 3, 3, 1, [1, 1, 1, 1]),
    'filters',
  ],
  ['f=12 (8 + 4), stride 2, padded', convGeometry(2, 5, 11, 13, 12, 3, 3, 2, [1, 1, 1, 1]), 'filters'],
  [
    'f=8, stride 3, input rows and columns left unread',
    convGeometry(2, 2, 11, 10, 8, 3, 3, 3, [0, 0, 0, 0]),
    'filters',
  ],
  ['f=8, outputs 3 wide (too narrow for PIXELS)', convGeometry(3, 4, 5, 5, 8, 3, 3, 1, [0, 0, 0, 0]), 'filters'],
  ['f=7, stride 2 (FILTERS needs fours)', convGeometry(2, 2, 13, 13, 7, 3, 3, 2, [1, 1, 1, 1]), 'im2col'],
  ['f=8, a single output pixel', convGeometry(2, 3, 3, 3, 8, 3, 3, 1, [0, 0, 0, 0]), 'im2col'],
  [
    '520 filters × 576 taps: the kernel is too large to pack whole',
    convGeometry(1, 64, 4, 4, 520, 3, 3, 1, [1, 1, 1, 1]),
    'im2col',
  ],
];

describe('wasm direct convolution forward', () => {
  let raw: KernelExports;
  beforeAll(async () => {
    raw = await instantiateKernels('simd');
  });

  for (const [label, g, path] of DIRECT) {
    it(`${label}: takes the ${path} path and matches the reference, with and without bias`, () => {
      raw.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
      expect(raw.conv2dForwardPath()).toBe(PATH[path]);
      const x = random(g.n * g.c * g.h * g.w);
      const kernel = random(g.f * g.c * g.kh * g.kw);
      for (const bias of [random(g.f), null]) {
        const want = new Float32Array(g.n * g.f * g.oh * g.ow);
        const got = new Float32Array(want.length).fill(NaN); // every output must be written
        referenceKernels.conv2dForward(g, x, kernel, bias, want);
        wasm.conv2dForward(g, x, kernel, bias, got);
        expectClose(got, want, `conv2dForward ${label} bias=${bias !== null}`);
      }
    });
  }

  it('a call after a differently planned one starts from a clean plan (padded copy, then in place)', () => {
    const x1 = random(2 * 28 * 28);
    const k1 = random(6 * 25);
    const g1 = convGeometry(2, 1, 28, 28, 6, 5, 5, 1, [2, 2, 2, 2]);
    const g2 = convGeometry(2, 6, 14, 14, 16, 5, 5, 1, [0, 0, 0, 0]);
    const x2 = random(2 * 6 * 14 * 14);
    const k2 = random(16 * 150);
    for (let round = 0; round < 2; round++) {
      for (const [g, x, kernel] of [
        [g1, x1, k1],
        [g2, x2, k2],
      ] as const) {
        const want = new Float32Array(g.n * g.f * g.oh * g.ow);
        const got = new Float32Array(want.length);
        referenceKernels.conv2dForward(g, x, kernel, null, want);
        wasm.conv2dForward(g, x, kernel, null, got);
        expectClose(got, want, `conv2dForward round ${round} f=${g.f}`);
      }
    }
  });
});

/**
 * Winograd F(2×2, 3×3) (assembly/winograd.ts) computes each output from transformed 4×4 tiles, so it rounds
 * differently from the direct sum. Its error is bounded by a multiple of float32's unit roundoff (6e-8) times the sum
 * of the magnitudes of the terms, Σ|x·w| + |bias|, not times the result, which may cancel to near zero: the input
 * transform adds up to 4 pixels per entry, the output transform up to 9 products, and the elementwise sums run over C
 * channels (over the batch's tiles for the kernel gradient, whose existing value counts in the magnitude too). Measured on these cases the error stays under 3e-7 · Σ|x·w| (a few roundoffs: F(2, 3) is accurate to about
 * 1e-6 relative in float32, against 1e-7 for the direct sum); the bound asserted, 3e-6 · Σ|x·w|, leaves a factor 10
 * for other inputs and the fused multiply-add build, and is still far below what a wrong tap or transform gives (~0.1).
 */
const WINOGRAD_TOL = 3e-6;

function expectWinogradClose(got: Float32Array, want: Float32Array, magnitude: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / magnitude[i];
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst error at [${at}]: wasm ${got[at]} vs reference ${want[at]}`).toBeLessThanOrEqual(
    WINOGRAD_TOL,
  );
}

const abs = (a: Float32Array) => a.map(Math.abs);

/**
 * Geometries for the Winograd path: outputs not a multiple of 2 (5×7, 15×15), padding 0 and 1, channel and filter
 * counts not multiples of 4, batch 1 and 3. `dx` says whether the input gradient (dy with c and f swapped, the
 * kernel turned 180°) takes Winograd too: it needs at least 16 filters, since they are its channels.
 */
const WINOGRAD: [string, ConvGeometry, { dx: boolean }][] = [
  ['n=1 c=16 5×7 same f=5', convGeometry(1, 16, 5, 7, 5, 3, 3, 1, [1, 1, 1, 1]), { dx: false }],
  ['n=3 c=17 15×15 same f=18', convGeometry(3, 17, 15, 15, 18, 3, 3, 1, [1, 1, 1, 1]), { dx: true }],
  // Its input gradient, 7×9 from 5×7, would pad rows of 5 tiles to 8: declined (see the plan in winograd.ts).
  ['n=3 c=19 7×9 valid (5×7 out) f=21', convGeometry(3, 19, 7, 9, 21, 3, 3, 1, [0, 0, 0, 0]), { dx: false }],
  ['n=1 c=18 17×17 valid (15×15 out) f=20', convGeometry(1, 18, 17, 17, 20, 3, 3, 1, [0, 0, 0, 0]), { dx: true }],
  ['n=1 c=21 14×17 pad 1 top/left only f=17', convGeometry(1, 21, 14, 17, 17, 3, 3, 1, [1, 0, 1, 0]), { dx: true }],
  ['n=3 c=32 16×16 same f=64 (VGG conv3)', convGeometry(3, 32, 16, 16, 64, 3, 3, 1, [1, 1, 1, 1]), { dx: true }],
  // The kernel gradient's products run in blocks of MC = 120 filters.
  ['n=1 c=16 6×6 same f=130', convGeometry(1, 16, 6, 6, 130, 3, 3, 1, [1, 1, 1, 1]), { dx: true }],
];

describe('wasm Winograd convolution: F(2×2, 3×3) forward and input gradient, F(3×3, 2×2) kernel gradient', () => {
  let raw: KernelExports;
  let k: Kernels;
  const paths: number[] = [];
  beforeAll(async () => {
    raw = await instantiateKernels('simd');
    // Records the path each forward call takes (the geometry is set by then), the input gradient's included.
    const spied: KernelExports = {
      ...raw,
      conv2dForward: (...a) => (paths.push(raw.conv2dForwardPath()), raw.conv2dForward(...a)),
    };
    k = bindKernels(spied, new WasmArena(raw.memory, raw.scratchBase()), 'simd');
  });

  for (const [label, g, { dx }] of WINOGRAD) {
    it(`${label}: forward takes Winograd and matches the reference, with and without bias`, () => {
      const x = random(g.n * g.c * g.h * g.w);
      const kernel = random(g.f * g.c * 9);
      for (const bias of [random(g.f), null]) {
        const want = new Float32Array(g.n * g.f * g.oh * g.ow);
        const magnitude = new Float32Array(want.length);
        const got = new Float32Array(want.length).fill(NaN); // every output must be written
        referenceKernels.conv2dForward(g, x, kernel, bias, want);
        referenceKernels.conv2dForward(g, abs(x), abs(kernel), bias && abs(bias), magnitude);
        paths.length = 0;
        k.conv2dForward(g, x, kernel, bias, got);
        expect(paths).toEqual([3]);
        expectWinogradClose(got, want, magnitude, `conv2dForward ${label} bias=${bias !== null}`);
      }
    });

    it(`${label}: the input gradient ${dx ? 'takes Winograd and ' : ''}matches the reference`, () => {
      const dy = random(g.n * g.f * g.oh * g.ow);
      const kernel = random(g.f * g.c * 9);
      const want = new Float32Array(g.n * g.c * g.h * g.w);
      const magnitude = new Float32Array(want.length);
      const got = new Float32Array(want.length).fill(NaN);
      referenceKernels.conv2dBackwardInput(g, dy, kernel, want);
      referenceKernels.conv2dBackwardInput(g, abs(dy), abs(kernel), magnitude);
      paths.length = 0;
      k.conv2dBackwardInput(g, dy, kernel, got);
      if (dx) expect(paths).toEqual([3]);
      else expect(paths).not.toContain(3);
      expectWinogradClose(got, want, magnitude, `conv2dBackwardInput ${label}`);
    });

    it(`${label}: the kernel gradient takes Winograd F(3×3, 2×2) and matches the reference, adding into it`, () => {
      raw.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
      expect(raw.conv2dBackwardFilterPath()).toBe(2);
      const x = random(g.n * g.c * g.h * g.w);
      const dy = random(g.n * g.f * g.oh * g.ow);
      const dk0 = random(g.f * g.c * 9);
      const db0 = random(g.f);
      for (const withBias of [true, false]) {
        const want = dk0.slice();
        const got = dk0.slice();
        const magnitude = abs(dk0);
        const wantB = withBias ? db0.slice() : null;
        const gotB = withBias ? db0.slice() : null;
        referenceKernels.conv2dBackwardFilter(g, x, dy, want, wantB);
        referenceKernels.conv2dBackwardFilter(g, abs(x), abs(dy), magnitude, null);
        k.conv2dBackwardFilter(g, x, dy, got, gotB);
        expectWinogradClose(got, want, magnitude, `conv2dBackwardFilter ${label} bias=${withBias}`);
        // The bias gradient is a plain sum of dy, not a Winograd product.
        if (gotB && wantB) expectClose(gotB, wantB, `conv2dBackwardFilter dBias ${label}`);
      }
    });
  }

  it('declines where it would not win: 3 channels, stride 2, 5×5 kernels, 4×4 outputs', () => {
    for (const g of [
      convGeometry(2, 3, 32, 32, 32, 3, 3, 1, [1, 1, 1, 1]),
      convGeometry(2, 32, 16, 16, 32, 3, 3, 2, [1, 1, 1, 1]),
      convGeometry(2, 32, 16, 16, 32, 5, 5, 1, [2, 2, 2, 2]),
      convGeometry(2, 64, 4, 4, 32, 3, 3, 1, [1, 1, 1, 1]),
    ]) {
      raw.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
      expect(raw.conv2dForwardPath(), JSON.stringify(g)).not.toBe(3);
      expect(raw.conv2dBackwardFilterPath(), JSON.stringify(g)).not.toBe(2);
    }
  });
});

function poolGeometry(
  n: number,
  c: number,
  h: number,
  w: number,
  size: number,
  stride: number,
  pad: number,
): PoolGeometry {
  const oh = Math.floor((h + 2 * pad - size) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - size) / stride) + 1;
  return { n, c, h, w, size, stride, pad, oh, ow };
}

const POOLS: [string, PoolGeometry][] = [
  ['2×2 s2 on 8×8 (vector path)', poolGeometry(2, 3, 8, 8, 2, 2, 0)],
  ['2×2 s2 on 13×17 (vector path, odd edges, scalar tail)', poolGeometry(2, 3, 13, 17, 2, 2, 0)],
  ['2×2 s2 on 28×28, 6 channels (LeNet; 14 = 12 + an overlapping 4)', poolGeometry(2, 6, 28, 28, 2, 2, 0)],
  ['2×2 s2 on 10×11, 16 channels (LeNet; 5 = 4 + an overlapping 4)', poolGeometry(3, 16, 10, 11, 2, 2, 0)],
  ['2×2 s2 on 6×7 (3 outputs a row: scalar path)', poolGeometry(2, 2, 6, 7, 2, 2, 0)],
  ['3×3 s2 pad 1 on 7×9', poolGeometry(2, 2, 7, 9, 3, 2, 1)],
  ['3×3 s1 pad 1 on 5×5', poolGeometry(1, 3, 5, 5, 3, 1, 1)],
  ['2×2 s1 pad 1 on 3×4', poolGeometry(1, 2, 3, 4, 2, 1, 1)],
  ['2×2 s3 on 7×7', poolGeometry(1, 2, 7, 7, 2, 3, 0)],
  ['2×2 s1 pad 2 (windows all padding at the corners)', poolGeometry(1, 1, 3, 3, 2, 1, 2)],
];

describe('wasm pooling matches the reference', () => {
  for (const [label, g] of POOLS) {
    const xs = g.n * g.c * g.h * g.w;
    const ys = g.n * g.c * g.oh * g.ow;

    it(`max forward and backward ${label}, random values and many ties`, () => {
      // Values drawn from {-1, 0, 1} make most windows tie: the first maximum (row-major) must win, as in the reference.
      const inputs = [random(xs), Float32Array.from({ length: xs }, () => rng.int(3) - 1)];
      for (const x of inputs) {
        const wantY = new Float32Array(ys);
        const wantA = new Int32Array(ys);
        const gotY = new Float32Array(ys).fill(NaN);
        const gotA = new Int32Array(ys).fill(-7);
        referenceKernels.maxPoolForward(g, x, wantY, wantA);
        wasm.maxPoolForward(g, x, gotY, gotA);
        expectClose(gotY, wantY, `maxPoolForward ${label}`);
        expect(Array.from(gotA), `maxPoolForward argmax ${label}`).toEqual(Array.from(wantA));

        const dy = random(ys);
        const wantDx = new Float32Array(xs);
        const gotDx = new Float32Array(xs).fill(NaN);
        referenceKernels.maxPoolBackward(g, dy, wantA, wantDx);
        wasm.maxPoolBackward(g, dy, wantA, gotDx);
        expectClose(gotDx, wantDx, `maxPoolBackward ${label}`);
      }
    });

    it(`average forward and backward ${label}`, () => {
      const x = random(xs);
      const want = new Float32Array(ys);
      const got = new Float32Array(ys).fill(NaN);
      referenceKernels.avgPoolForward(g, x, want);
      wasm.avgPoolForward(g, x, got);
      expectClose(got, want, `avgPoolForward ${label}`);

      const dy = random(ys);
      const wantDx = new Float32Array(xs);
      const gotDx = new Float32Array(xs).fill(NaN);
      referenceKernels.avgPoolBackward(g, dy, wantDx);
      wasm.avgPoolBackward(g, dy, gotDx);
      expectClose(gotDx, wantDx, `avgPoolBackward ${label}`);
    });
  }

  it('max pooling with NaNs: the same winners and outputs as the reference (a NaN never wins unless it comes first)', () => {
    // The four-at-a-time 2×2 path (with an overlapping last group) and the general path.
    const picked = POOLS.filter(([label]) => label.startsWith('2×2 s2 on 28×28') || label.startsWith('3×3 s2 pad 1'));
    expect(picked).toHaveLength(2);
    for (const [label, g] of picked) {
      const xs = g.n * g.c * g.h * g.w;
      const ys = g.n * g.c * g.oh * g.ow;
      // Every fourth value NaN, so that NaNs land on every cell position of the windows, first cells included.
      const x = random(xs).map((v, i) => (i % 4 === (i >> 5) % 4 ? NaN : v));
      const wantY = new Float32Array(ys);
      const wantA = new Int32Array(ys);
      const gotY = new Float32Array(ys);
      const gotA = new Int32Array(ys);
      referenceKernels.maxPoolForward(g, x, wantY, wantA);
      wasm.maxPoolForward(g, x, gotY, gotA);
      expect(Array.from(gotA), `argmax ${label}`).toEqual(Array.from(wantA));
      expect(wantY.some(Number.isNaN), `some window of ${label} starts with a NaN`).toBe(true);
      expect(Array.from(gotY), `output ${label}`).toEqual(Array.from(wantY)); // toEqual treats NaN as equal to NaN
    }
  });

  it('the all-padding windows of "2×2 s1 pad 2" really are there (argmax -1, output 0)', () => {
    const [, g] = POOLS[POOLS.length - 1];
    const y = new Float32Array(g.n * g.c * g.oh * g.ow);
    const argmax = new Int32Array(y.length);
    wasm.maxPoolForward(g, random(9), y, argmax);
    expect(argmax[0]).toBe(-1);
    expect(y[0]).toBe(0);
  });
});

const NORMS: [string, NormGeometry, number][] = [
  ['n=3 c=5 spatial 7×7 (planes not a multiple of 4)', { n: 3, c: 5, spatial: 49, epsilon: 1e-5 }, 0],
  ['n=2 c=3 spatial 1 (a vector input: scalar tails only)', { n: 2, c: 3, spatial: 1, epsilon: 1e-5 }, 0],
  ['n=1 c=2 spatial 33', { n: 1, c: 2, spatial: 33, epsilon: 1e-3 }, 0],
  ['n=5 c=4 spatial 13×11, values around 20 (two-pass variance)', { n: 5, c: 4, spatial: 143, epsilon: 1e-5 }, 20],
  ['n=32 c=16 spatial 28×28 (fashion-2conv bn1)', { n: 32, c: 16, spatial: 784, epsilon: 1e-5 }, 0],
];

/** Every value bit for bit, signed zeros and NaNs included (Object.is), against the reference. */
function expectSame(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect(got[i], `${what}: [${i}] wasm vs reference`).toBe(want[i]);
  }
}

describe('wasm ReLU matches the reference exactly', () => {
  // Around the 16-float step (four vectors) and its 0 to 15 leftovers, and a VGG-sized map.
  for (const n of [0, 1, 3, 15, 16, 17, 33, 1001, 32 * 32 * 32 * 2 + 5]) {
    it(`forward and backward, ${n} values with −0, +∞, NaN and subnormals among them`, () => {
      const specials = [-0, 0, Infinity, 3e38, NaN, 1e-40, -1e-40, -1, 1];
      const x = random(n).map((v, i) => (i % 7 === 3 ? specials[i % specials.length] : v));
      const dy = random(n).map((v, i) => (i % 11 === 5 ? specials[(i + 2) % specials.length] : v));
      const want = new Float32Array(n);
      const got = new Float32Array(n).fill(7); // every output must be written
      referenceKernels.reluForward(x, want);
      wasm.reluForward(x, got);
      expectSame(got, want, `reluForward n=${n}`);
      const wantDx = new Float32Array(n);
      const gotDx = new Float32Array(n).fill(7);
      referenceKernels.reluBackward(want, dy, wantDx);
      wasm.reluBackward(want, dy, gotDx);
      expectSame(gotDx, wantDx, `reluBackward n=${n}`);
      // The slope from any y, not only ReLU's outputs: negatives, −0 and a NaN with its sign bit set too.
      const y = x.map((v, i) => (i % 13 === 6 ? -NaN : v));
      new Int32Array(y.buffer).forEach((b, i, bits) => i % 13 === 6 && (bits[i] = b | 0x80000000));
      referenceKernels.reluBackward(y, dy, wantDx);
      wasm.reluBackward(y, dy, gotDx);
      expectSame(gotDx, wantDx, `reluBackward n=${n}, any y`);
    });
  }

  it('gives 0 at −∞, where the branch-free (z + |z|)/2 of the reference gives NaN', () => {
    const y = new Float32Array(2);
    wasm.reluForward(new Float32Array([-Infinity, Infinity]), y);
    expect(Array.from(y)).toEqual([0, Infinity]);
  });

  it('reads only the first values of longer outputs and names a short one', () => {
    const y = new Float32Array(6).fill(7);
    wasm.reluForward(new Float32Array([-2, 3]), y);
    expect(Array.from(y)).toEqual([0, 3, 7, 7, 7, 7]);
    expect(() => wasm.reluBackward(new Float32Array(2), new Float32Array(3), new Float32Array(3))).toThrow(
      /wasm reluBackward: y has 2 values, needs 3 \(as many as dy\)/,
    );
  });
});

describe('wasm batch norm matches the reference', () => {
  for (const [label, g, offset] of NORMS) {
    const size = g.n * g.c * g.spatial;
    for (const training of [true, false]) {
      it(`forward and backward ${label}, ${training ? 'training' : 'inference'}`, () => {
        const x = random(size).map((v) => v + offset);
        const gamma = random(g.c);
        const beta = random(g.c);
        // Inference reads these as the running statistics; training overwrites them with the batch's.
        const running = () => [random(g.c).map((v) => v + offset), random(g.c).map((v) => v + 1.5)];
        const [rm, rv] = running();
        const want = {
          mean: rm.slice(),
          variance: rv.slice(),
          invStd: new Float32Array(g.c),
          y: new Float32Array(size),
        };
        const got = {
          mean: rm.slice(),
          variance: rv.slice(),
          invStd: new Float32Array(g.c).fill(NaN),
          y: new Float32Array(size).fill(NaN),
        };
        for (const [k, o] of [
          [referenceKernels, want],
          [wasm, got],
        ] as const) {
          k.batchNormForward(g, x, gamma, beta, training, o.mean, o.variance, o.invStd, o.y);
        }
        for (const key of ['mean', 'variance', 'invStd', 'y'] as const) {
          expectClose(got[key], want[key], `batchNormForward ${key} ${label}`);
        }

        const dy = random(size);
        const dg0 = random(g.c);
        const db0 = random(g.c);
        const wantB = { dx: new Float32Array(size), dGamma: dg0.slice(), dBeta: db0.slice() };
        const gotB = { dx: new Float32Array(size).fill(NaN), dGamma: dg0.slice(), dBeta: db0.slice() };
        for (const [k, o] of [
          [referenceKernels, wantB],
          [wasm, gotB],
        ] as const) {
          k.batchNormBackward(g, x, dy, gamma, training, want.mean, want.invStd, o.dx, o.dGamma, o.dBeta);
        }
        for (const key of ['dx', 'dGamma', 'dBeta'] as const) {
          expectClose(gotB[key], wantB[key], `batchNormBackward ${key} ${label}`);
        }
      });
    }
  }

  it('the reference normalises each channel to mean 0 and variance 1 in training', () => {
    const g = { n: 4, c: 3, spatial: 10, epsilon: 0 };
    const x = random(120).map((v, i) => 5 * v + (i % 7));
    const y = new Float32Array(120);
    const ones = new Float32Array(3).fill(1);
    const zeros = new Float32Array(3);
    referenceKernels.batchNormForward(
      g,
      x,
      ones,
      zeros,
      true,
      new Float32Array(3),
      new Float32Array(3),
      new Float32Array(3),
      y,
    );
    for (let c = 0; c < 3; c++) {
      const vals: number[] = [];
      for (let b = 0; b < 4; b++) vals.push(...y.subarray((b * 3 + c) * 10, (b * 3 + c + 1) * 10));
      const m = vals.reduce((a, v) => a + v, 0) / vals.length;
      const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / vals.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.abs(v - 1)).toBeLessThan(1e-4);
    }
  });
});

describe('wasm memory is reused between calls', () => {
  it('grows on the first call of each kernel and size, never again for repeats or smaller calls', async () => {
    const k = await createWasmKernels({ variant: 'simd' });
    const g = convGeometry(4, 3, 16, 16, 8, 3, 3, 1, [1, 1, 1, 1]);
    const x = random(4 * 3 * 16 * 16);
    const kernel = random(8 * 27);
    const y = new Float32Array(4 * 8 * 16 * 16);
    // The first call of each kernel sizes the memory for it (the forward pass needs less scratch than backward's).
    k.conv2dForward(g, x, kernel, null, y);
    k.conv2dBackwardInput(g, y, kernel, x);
    k.gemm(8, 8, 8, kernel, false, kernel, true, y, false);
    const grown = k.memoryBytes();
    for (let i = 0; i < 5; i++) {
      k.conv2dForward(g, x, kernel, null, y);
      k.conv2dBackwardInput(g, y, kernel, x);
      k.gemm(8, 8, 8, kernel, false, kernel, true, y, false);
    }
    expect(k.memoryBytes()).toBe(grown);
  });
});

/**
 * input 1×12×12 → conv 3×3 pad 1 → batch norm → relu → maxpool → conv 3×3 s2 same → relu → avgpool → flatten →
 * dense 10.
 */
function smallCnn(): Network {
  return new Network(
    chain(
      ['x', 'input', { channels: 1, height: 12, width: 12 }],
      ['c1', 'conv2d', { filters: 5, kernelH: 3, kernelW: 3, stride: 1, padding: 1 }],
      ['b1', 'batchnorm'],
      ['r1', 'relu'],
      ['p1', 'maxpool2d', { size: 2, stride: 2, padding: 0 }],
      ['c2', 'conv2d', { filters: 7, kernelH: 3, kernelW: 3, stride: 2, padding: 'same' }],
      ['r2', 'relu'],
      ['p2', 'avgpool2d', { size: 3, stride: 1, padding: 1 }],
      ['f', 'flatten'],
      ['d', 'dense', { units: 10 }],
    ),
    7,
  );
}

/** Output, input gradient and every weight gradient of one forward/backward pass under the active kernels. */
function pass(): Map<string, Float32Array> {
  const net = smallCnn();
  const x = tensor([6, 1, 12, 12], random(6 * 144));
  const trace = net.forward(x, { training: true });
  const out = net.output(trace);
  const dx = net.backward(trace, tensor(out.shape, random(out.data.length)))!;
  const result = new Map<string, Float32Array>([
    ['output', out.data],
    ['dInput', dx.data],
  ]);
  for (const p of net.params) result.set(`grad ${p.name}`, p.grad.data);
  return result;
}

describe('swapping the backend with useKernels', () => {
  afterEach(() => {
    useKernels(referenceKernels);
  });

  it('a small CNN gives the same forward output and gradients on wasm as on the reference', () => {
    const state = rng.getState();
    const want = pass();
    rng.setState(state); // the same input and output gradient for both runs
    const previous = useKernels(wasm);
    expect(previous.name).toBe('reference');
    expect(kernels().name).toBe('wasm-simd');
    const got = pass();
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [key, value] of want) expectClose(got.get(key)!, value, key);
  });
});

describe('the relaxed-SIMD (fused multiply-add) build', () => {
  it('is picked by "auto" once the runtime has relaxed SIMD, and matches the reference', async () => {
    // Node 20 ships relaxed SIMD behind a flag (Electron and Node 22 have it on); turning the flag on in this test
    // process makes the detection and the build testable here.
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    expect(supportsRelaxedSimd()).toBe(true);
    const relaxed = await createWasmKernels();
    expect(relaxed.name).toBe('wasm-relaxed-simd');
    for (const [m, n, k] of [
      [13, 33, 17],
      [121, 37, 257],
    ] as const) {
      checkGemm(relaxed, m, n, k, false, true, true);
      checkGemm(relaxed, m, n, k, true, false, false);
    }
    // im2col + GEMM, then both tile shapes of the direct forward pass.
    for (const [label, g] of [CONVS[2], DIRECT[0], DIRECT[3]]) {
      const x = random(g.n * g.c * g.h * g.w);
      const kernel = random(g.f * g.c * g.kh * g.kw);
      const bias = random(g.f);
      const want = new Float32Array(g.n * g.f * g.oh * g.ow);
      const got = new Float32Array(want.length);
      referenceKernels.conv2dForward(g, x, kernel, bias, want);
      relaxed.conv2dForward(g, x, kernel, bias, got);
      expectClose(got, want, `relaxed conv2dForward ${label}`);
    }
    // Winograd: forward, input gradient and kernel gradient (15×15, odd: half tiles on two sides).
    {
      const [label, g] = WINOGRAD[1];
      const x = random(g.n * g.c * g.h * g.w);
      const kernel = random(g.f * g.c * 9);
      const dy = random(g.n * g.f * g.oh * g.ow);
      const y = [0, 1].map(() => new Float32Array(dy.length));
      const yMagnitude = new Float32Array(dy.length);
      referenceKernels.conv2dForward(g, x, kernel, null, y[0]);
      referenceKernels.conv2dForward(g, abs(x), abs(kernel), null, yMagnitude);
      relaxed.conv2dForward(g, x, kernel, null, y[1]);
      expectWinogradClose(y[1], y[0], yMagnitude, `relaxed Winograd conv2dForward ${label}`);
      const dx = [0, 1].map(() => new Float32Array(x.length));
      const dxMagnitude = new Float32Array(x.length);
      referenceKernels.conv2dBackwardInput(g, dy, kernel, dx[0]);
      referenceKernels.conv2dBackwardInput(g, abs(dy), abs(kernel), dxMagnitude);
      relaxed.conv2dBackwardInput(g, dy, kernel, dx[1]);
      expectWinogradClose(dx[1], dx[0], dxMagnitude, `relaxed Winograd conv2dBackwardInput ${label}`);
      const dk = [0, 1].map(() => new Float32Array(kernel.length));
      const dkMagnitude = new Float32Array(kernel.length);
      referenceKernels.conv2dBackwardFilter(g, x, dy, dk[0], null);
      referenceKernels.conv2dBackwardFilter(g, abs(x), abs(dy), dkMagnitude, null);
      relaxed.conv2dBackwardFilter(g, x, dy, dk[1], null);
      expectWinogradClose(dk[1], dk[0], dkMagnitude, `relaxed Winograd conv2dBackwardFilter ${label}`);
    }
    const [label, g] = NORMS[3];
    const x = random(g.n * g.c * g.spatial).map((v) => v + 20);
    const [gamma, beta] = [random(g.c), random(g.c)];
    const stats = () => [1, 2, 3].map(() => new Float32Array(g.c));
    const [wm, wv, wi] = stats();
    const [gm, gv, gi] = stats();
    const want = new Float32Array(x.length);
    const got = new Float32Array(x.length);
    referenceKernels.batchNormForward(g, x, gamma, beta, true, wm, wv, wi, want);
    relaxed.batchNormForward(g, x, gamma, beta, true, gm, gv, gi, got);
    expectClose(got, want, `relaxed batchNormForward ${label}`);
    const dy = random(x.length);
    const [wdg, wdb, gdg, gdb] = [...stats(), ...stats()];
    referenceKernels.batchNormBackward(g, x, dy, gamma, true, wm, wi, want, wdg, wdb);
    relaxed.batchNormBackward(g, x, dy, gamma, true, wm, wi, got, gdg, gdb);
    expectClose(got, want, `relaxed batchNormBackward dx ${label}`);
    expectClose(gdg, wdg, `relaxed batchNormBackward dGamma ${label}`);
  });
});
