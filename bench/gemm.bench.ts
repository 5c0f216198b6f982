/**
 * GEMM throughput of the WebAssembly SIMD kernels next to the reference TypeScript kernels: C = A·B on square
 * n×n×n matrices, one thread. GFLOPS = 2·n³ / the median time of the timed runs, measured after warm-up runs (which
 * also let V8 move the hot code from its baseline compiler to the optimising one).
 *
 *   npx tsx bench/gemm.bench.ts            256, 512 and 1024
 *   npx tsx bench/gemm.bench.ts 384 768    other sizes
 *
 * TensorFlow.js's WebAssembly backend runs the same products as a peer (a devDependency, loaded only here).
 *
 *   npx tsx bench/gemm.bench.ts --lenet    LeNet-5's own products at batch 32, kernel by kernel (no peer)
 *
 * Under Node 20 the wasm backend is the plain 128-bit SIMD build; `npx tsx --experimental-wasm-relaxed-simd
 * bench/gemm.bench.ts` measures the fused multiply-add build that Electron (and Node 22+) picks.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { referenceKernels, Rng, type ConvGeometry, type Kernels } from '../src/engine';
import { createWasmKernels } from '../src/engine/kernels/wasm';

export interface GemmBenchOptions {
  /** The backend to time; the WebAssembly kernels ('auto' variant) when left out. */
  kernels?: Kernels;
  /** Timed runs per size (at least 5); the median is reported. */
  runs?: number;
  /** Untimed runs first. */
  warmup?: number;
}

function randomMatrix(rng: Rng, count: number): Float32Array {
  const m = new Float32Array(count);
  for (let i = 0; i < count; i++) m[i] = rng.uniform(-1, 1);
  return m;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * GFLOPS of `kernels.gemm` for each square size n (C[n×n] = A[n×n]·B[n×n], no transposes, no accumulate),
 * keyed by String(n). Single thread: the calling one.
 */
export async function measureGemmGflops(
  sizes: readonly number[],
  options: GemmBenchOptions = {},
): Promise<Record<string, number>> {
  const k = options.kernels ?? (await createWasmKernels());
  const runs = Math.max(5, options.runs ?? 5);
  const warmup = options.warmup ?? 2;
  const rng = new Rng(1);
  const result: Record<string, number> = {};
  for (const n of sizes) {
    const a = randomMatrix(rng, n * n);
    const b = randomMatrix(rng, n * n);
    const c = new Float32Array(n * n);
    for (let i = 0; i < warmup; i++) k.gemm(n, n, n, a, false, b, false, c, false);
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      k.gemm(n, n, n, a, false, b, false, c, false);
      seconds.push((performance.now() - t0) / 1000);
    }
    result[String(n)] = (2 * n ** 3) / median(seconds) / 1e9;
  }
  return result;
}

/**
 * The same product on TensorFlow.js's WebAssembly backend (XNNPACK, 128-bit SIMD), held to one thread, as a peer:
 * what a mature hand-tuned library reaches on this machine and runtime. Tensor set-up and read-back are timed too.
 */
export async function measureTfjsWasmGflops(sizes: readonly number[], runs = 5): Promise<Record<string, number>> {
  const tf = await import('@tensorflow/tfjs-core');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  // The backend's .wasm files ship in its package; point it there (nothing is fetched).
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  setWasmPaths(`${join(dirname(pkg), 'dist')}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  const rng = new Rng(1);
  const result: Record<string, number> = {};
  for (const n of sizes) {
    const a = tf.tensor2d(randomMatrix(rng, n * n), [n, n]);
    const b = tf.tensor2d(randomMatrix(rng, n * n), [n, n]);
    const once = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    for (let i = 0; i < 3; i++) once();
    const seconds: number[] = [];
    for (let i = 0; i < Math.max(5, runs); i++) {
      const t0 = performance.now();
      once();
      seconds.push((performance.now() - t0) / 1000);
    }
    result[String(n)] = (2 * n ** 3) / median(seconds) / 1e9;
    a.dispose();
    b.dispose();
  }
  return result;
}

/** One kernel call of LeNet-5 at batch 32, as its layers make it, and the multiply-adds it does. */
interface LenetCall {
  name: string;
  macs: number;
  run(k: Kernels): void;
}

function lenetCalls(rng: Rng): LenetCall[] {
  const conv = (name: string, g: ConvGeometry): LenetCall[] => {
    const x = randomMatrix(rng, g.n * g.c * g.h * g.w);
    const kernel = randomMatrix(rng, g.f * g.c * g.kh * g.kw);
    const bias = randomMatrix(rng, g.f);
    const y = new Float32Array(g.n * g.f * g.oh * g.ow);
    const dy = randomMatrix(rng, y.length);
    const dx = new Float32Array(x.length);
    const dk = new Float32Array(kernel.length);
    const db = new Float32Array(g.f);
    const macs = g.n * g.f * g.oh * g.ow * g.c * g.kh * g.kw;
    return [
      { name: `${name} forward`, macs, run: (k) => k.conv2dForward(g, x, kernel, bias, y) },
      { name: `${name} backward filter`, macs, run: (k) => k.conv2dBackwardFilter(g, x, dy, dk, db) },
      { name: `${name} backward input`, macs, run: (k) => k.conv2dBackwardInput(g, dy, kernel, dx) },
    ];
  };
  const dense = (name: string, n: number, units: number, inputs: number): LenetCall => {
    const x = randomMatrix(rng, n * inputs);
    const w = randomMatrix(rng, units * inputs);
    const y = new Float32Array(n * units);
    return {
      name: `${name} forward`,
      macs: n * units * inputs,
      run: (k) => k.gemm(n, units, inputs, x, false, w, true, y, false),
    };
  };
  const g1 = { n: 32, c: 1, h: 28, w: 28, f: 6, kh: 5, kw: 5, stride: 1, padTop: 2, padLeft: 2, oh: 28, ow: 28 };
  const g2 = { n: 32, c: 6, h: 14, w: 14, f: 16, kh: 5, kw: 5, stride: 1, padTop: 0, padLeft: 0, oh: 10, ow: 10 };
  return [
    ...conv('conv1 6@5×5 pad 2', g1),
    ...conv('conv2 16@5×5', g2),
    dense('fc1 400→120', 32, 120, 400),
    dense('fc2 120→84', 32, 84, 120),
    dense('fc3 84→10', 32, 10, 84),
  ];
}

/**
 * Milliseconds (median of `runs` timed batches of calls, after warm-up) and GFLOPS of every kernel call LeNet-5 makes
 * on a batch of 32, keyed by the call's name. The first convolution's input gradient is measured although training
 * skips it.
 */
export function measureLenetKernels(k: Kernels, runs = 15): Record<string, { ms: number; gflops: number }> {
  const result: Record<string, { ms: number; gflops: number }> = {};
  for (const call of lenetCalls(new Rng(2))) {
    const t0 = performance.now();
    call.run(k);
    const reps = Math.max(1, Math.min(50, Math.round(20 / (performance.now() - t0))));
    for (let i = 0; i < reps; i++) call.run(k);
    const ms: number[] = [];
    for (let r = 0; r < Math.max(5, runs); r++) {
      const start = performance.now();
      for (let i = 0; i < reps; i++) call.run(k);
      ms.push((performance.now() - start) / reps);
    }
    const m = median(ms);
    result[call.name] = { ms: m, gflops: (2 * call.macs) / m / 1e6 };
  }
  return result;
}

async function lenet(): Promise<void> {
  const wasm = await createWasmKernels();
  const fast = measureLenetKernels(wasm);
  const slow = measureLenetKernels(referenceKernels, 5);
  console.log('LeNet-5 kernel calls at batch 32, single thread; median ms per call after warm-up');
  const columns = [`${wasm.name} ms`, 'GFLOPS', 'reference ms', 'wasm/reference'];
  console.log('call'.padEnd(36) + columns.map((c) => c.padStart(16)).join(''));
  for (const name of Object.keys(fast)) {
    const cells = [
      fast[name].ms.toFixed(3),
      fast[name].gflops.toFixed(1),
      slow[name].ms.toFixed(3),
      `${(slow[name].ms / fast[name].ms).toFixed(0)}×`,
    ];
    console.log(name.padEnd(36) + cells.map((c) => c.padStart(16)).join(''));
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--lenet')) return lenet();
  const args = process.argv.slice(2).map(Number);
  const sizes = args.length > 0 && args.every((n) => Number.isInteger(n) && n > 0) ? args : [256, 512, 1024];
  const wasm = await createWasmKernels();
  const peer = await measureTfjsWasmGflops(sizes);
  const columns = [wasm.name, 'tfjs-wasm (peer)', 'reference', 'wasm/reference'];
  console.log('GEMM C = A·B, square n×n×n, single thread; GFLOPS = 2n³ / median of 5 runs after warm-up');
  console.log('n'.padStart(6) + columns.map((c) => c.padStart(18)).join(''));
  for (const n of sizes) {
    const fast = (await measureGemmGflops([n], { kernels: wasm, warmup: 3 }))[String(n)];
    // One warm-up run for the reference: at 1024 each run takes seconds.
    const slow = (await measureGemmGflops([n], { kernels: referenceKernels, warmup: 1 }))[String(n)];
    const cells = [fast.toFixed(2), peer[String(n)].toFixed(2), slow.toFixed(2), `${(fast / slow).toFixed(0)}×`];
    console.log(String(n).padStart(6) + cells.map((c) => c.padStart(18)).join(''));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
