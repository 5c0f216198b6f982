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
 * Under Node 20 the wasm backend is the plain 128-bit SIMD build; `npx tsx --experimental-wasm-relaxed-simd
 * bench/gemm.bench.ts` measures the fused multiply-add build that Electron (and Node 22+) picks.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { referenceKernels, Rng, type Kernels } from '../src/engine';
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

async function main(): Promise<void> {
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
