import { availableParallelism } from 'node:os';
import { Network, Rng, sizeOf, tensor, useKernels, type ConvGeometry } from '../src/engine';
import { exportNetwork } from '../src/engine/formats';
import { createWasmKernels } from '../src/engine/kernels/wasm';
import { sharedTensor, TrainingPool } from '../src/host/training';
import { benchGraph, type BenchGraph, type GraphName } from './graphs';
import { fillRandom, median, peakRssMb } from './harness';

/** What one process measures for one row: medians of its timed runs, every run, its peak memory and notes. */
export interface Measured {
  train_ips: number;
  infer_ips: number;
  rss_mb: number;
  trainRuns: number[];
  inferRuns: number[];
  notes: string[];
}

export interface RunOptions {
  /** Timed runs in this process (the parent takes medians across its processes). */
  runs: number;
  /** About how long one timed run lasts, in seconds. */
  seconds: number;
}

export const BATCH = 32;
export const LEARNING_RATE = 0.01;
export const SEED = 1;
/** Distinct batches in the data; longer runs cycle through them. */
export const DATA_BATCHES = 64;

/** The seeded images and labels every row of a graph trains and infers on (Convas, PyTorch, TF.js alike). */
export function benchData(b: BenchGraph): { x: Float32Array; labels: Int32Array; count: number } {
  const count = DATA_BATCHES * BATCH;
  const x = new Float32Array(
    new SharedArrayBuffer(count * sizeOf([b.input.channels, b.input.height, b.input.width]) * 4),
  );
  const labels = new Int32Array(new SharedArrayBuffer(count * 4));
  fillRandom(x, labels, b.classes, SEED);
  return { x, labels, count };
}

/** The files PyTorch's rows run: Convas's own export (model.py and the initial weights) of the same graph. */
export function torchExport(b: BenchGraph): { name: string; bytes: Uint8Array }[] {
  const net = new Network(b.graph, SEED);
  return exportNetwork('pytorch', b.graph, net.getWeights(), { name: 'model' }).filter((f) => f.name !== 'train.py');
}

interface Subject {
  train(steps: number): Promise<void>;
  infer(images: number): Promise<void>;
  close(): Promise<void>;
  notes: string[];
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Convas as the app and the command line train: a TrainingPool stepped one batch at a time (pool.step, what
 * TrainingSession calls), and predict over many batches for inference.
 */
async function convas(b: BenchGraph, threads: number): Promise<Subject> {
  const { x, labels, count } = benchData(b);
  const shape = [b.input.channels, b.input.height, b.input.width];
  const per = sizeOf(shape);
  const images = sharedTensor([count, ...shape]);
  images.data.set(x);
  const batches = Array.from({ length: DATA_BATCHES }, (_, k) => ({
    x: tensor([BATCH, ...shape], images.data.subarray(k * BATCH * per, (k + 1) * BATCH * per)),
    labels: labels.subarray(k * BATCH, (k + 1) * BATCH),
  }));
  const pool = await TrainingPool.create({
    graph: b.graph,
    seed: SEED,
    optimizer: { kind: 'sgd', learningRate: LEARNING_RATE },
    threads,
  });
  return {
    notes: [
      `convas (${threads} thread${threads > 1 ? 's' : ''}): kernels ${pool.kernels}${pool.notice ? ` — ${pool.notice}` : ''}`,
    ],
    train: async (steps) => {
      for (let s = 0; s < steps; s++) {
        const batch = batches[s % DATA_BATCHES];
        await pool.step(batch.x, batch.labels);
      }
    },
    infer: async (n) => {
      for (let done = 0; done < n; done += count) {
        const k = Math.min(count, n - done);
        await pool.predict(tensor([k, ...shape], images.data.subarray(0, k * per)), BATCH);
      }
    },
    close: () => pool.close(),
  };
}

/** Warm-up (which also sizes the runs to about `seconds` each), then the timed training and inference runs. */
async function measure(subject: Subject, options: RunOptions): Promise<Measured> {
  await subject.train(2);
  const step = (await timed(() => subject.train(4))) / 4;
  const steps = Math.max(1, Math.min(5000, Math.round(options.seconds / step)));
  await subject.infer(BATCH * 2);
  const perBatch = (await timed(() => subject.infer(BATCH * 4))) / 4;
  const images = BATCH * Math.max(1, Math.min(20000, Math.round(options.seconds / perBatch)));
  const trainRuns: number[] = [];
  for (let r = 0; r < options.runs; r++) trainRuns.push((steps * BATCH) / (await timed(() => subject.train(steps))));
  const inferRuns: number[] = [];
  for (let r = 0; r < options.runs; r++) inferRuns.push(images / (await timed(() => subject.infer(images))));
  await subject.close();
  return {
    train_ips: median(trainRuns),
    infer_ips: median(inferRuns),
    rss_mb: peakRssMb(),
    trainRuns,
    inferRuns,
    notes: subject.notes,
  };
}

export async function measureConvas(graph: GraphName, threads: 'one' | 'all', options: RunOptions): Promise<Measured> {
  return measure(await convas(benchGraph(graph), threads === 'one' ? 1 : availableParallelism()), options);
}

/**
 * The kernels' ceiling next to PyTorch's, one thread: our GEMM on square matrices, and our convolution forward and
 * backward on the VGG-style net's largest layer (64 → 64 filters, 3×3, 16×16, batch 32), in GFLOPS.
 */
export async function measureKernelCeiling(sizes: readonly number[]): Promise<Record<string, number>> {
  const k = await createWasmKernels();
  useKernels(k);
  const rng = new Rng(3);
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const best = (fn: () => void, flops: number) => {
    fn();
    const times: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    return flops / median(times) / 1e6;
  };
  const out: Record<string, number> = {};
  for (const n of sizes) {
    const [a, b, c] = [random(n * n), random(n * n), new Float32Array(n * n)];
    out[`gemm ${n}`] = best(() => k.gemm(n, n, n, a, false, b, false, c, false), 2 * n ** 3);
  }
  const g: ConvGeometry = {
    n: 32,
    c: 64,
    h: 16,
    w: 16,
    f: 64,
    kh: 3,
    kw: 3,
    stride: 1,
    padTop: 1,
    padLeft: 1,
    oh: 16,
    ow: 16,
  };
  const flops = 2 * g.n * g.f * g.c * g.kh * g.kw * g.oh * g.ow;
  const x = random(g.n * g.c * g.h * g.w);
  const w = random(g.f * g.c * 9);
  const y = new Float32Array(g.n * g.f * g.oh * g.ow);
  const dw = new Float32Array(w.length);
  out['conv fwd'] = best(() => k.conv2dForward(g, x, w, null, y), flops);
  out['conv bwd input'] = best(() => k.conv2dBackwardInput(g, y, w, x), flops);
  out['conv bwd filter'] = best(() => k.conv2dBackwardFilter(g, x, y, dw, null), flops);
  return out;
}
