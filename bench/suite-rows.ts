import { availableParallelism } from 'node:os';
import {
  compileGraph,
  Network,
  Rng,
  sizeOf,
  tensor,
  useKernels,
  type ConvGeometry,
  type Examples,
} from '../src/engine';
import { exportNetwork } from '../src/engine/formats';
import { createWasmKernels } from '../src/engine/kernels/wasm';
import type { DatasetBatch } from '../src/host/datasets';
import { TrainingSession, type TrainingData } from '../src/host/session';
import { sharedTensor } from '../src/host/training';
import type { TrainingPlan } from '../src/shared/api';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../src/shared/training';
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

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * The bench's batches as a TrainingData: `steps` steps an epoch, cycling through the DATA_BATCHES batches in
 * order (as PyTorch's row does), so that the figures measure the training loop and not image decoding. One
 * batch stands in for the validation split and the training sample, so that the evaluation between two epochs
 * (never timed) is short.
 */
class CyclingData implements TrainingData {
  readonly origin = "the benchmark's seeded images";
  constructor(
    private readonly all: Examples[],
    readonly classes: readonly string[],
    private readonly steps: number,
  ) {}

  get trainCount(): number {
    return this.steps * BATCH;
  }

  get validationCount(): number {
    return BATCH;
  }

  async *batches(): AsyncGenerator<Examples> {
    for (let s = 0; s < this.steps; s++) yield this.all[s % this.all.length];
  }

  validation(): Promise<DatasetBatch> {
    return Promise.resolve({ ...this.all[0], files: [] });
  }

  trainSample(): Promise<DatasetBatch> {
    return this.validation();
  }
}

/**
 * Convas as the app and the command line train: a TrainingSession (the one training loop, over the pool's
 * worker threads) with SGD at batch 32, timed epoch by epoch from its step events; inference through the
 * session's predict over many batches, as the Inspect view runs it.
 */
async function measureSession(b: BenchGraph, threads: number, options: RunOptions): Promise<Measured> {
  const { x, labels, count } = benchData(b);
  const shape = [b.input.channels, b.input.height, b.input.width];
  const per = sizeOf(shape);
  const images = sharedTensor([count, ...shape]);
  images.data.set(x);
  const inputShape = compileGraph(b.graph).inputShape;
  const batches: Examples[] = Array.from({ length: DATA_BATCHES }, (_, k) => ({
    x: tensor([BATCH, ...inputShape], images.data.subarray(k * BATCH * per, (k + 1) * BATCH * per)),
    labels: labels.subarray(k * BATCH, (k + 1) * BATCH),
  }));
  const classes = Array.from({ length: b.classes }, (_, i) => `class ${i}`);
  const compiled = compileGraph(b.graph);
  const open = (steps: number, epochs: number) => {
    const plan: TrainingPlan = {
      graph: b.graph,
      data: DEFAULT_DATA_SETTINGS,
      hyper: {
        ...DEFAULT_HYPERPARAMETERS,
        optimizer: 'sgd',
        learningRate: LEARNING_RATE,
        seed: SEED,
        batchSize: BATCH,
        epochs,
      },
    };
    return TrainingSession.open(plan, { compiled, data: new CyclingData(batches, classes, steps), threads });
  };
  /** Trains every epoch of the session; returns each epoch's images/s, from its start to its last step's event. */
  const train = async (session: TrainingSession, steps: number): Promise<number[]> => {
    const ips: number[] = [];
    let start = performance.now();
    let lastStep = start;
    await session.run({
      onStep: () => (lastStep = performance.now()),
      onEpoch: () => {
        ips.push((steps * BATCH) / ((lastStep - start) / 1000));
        start = performance.now();
      },
    });
    return ips;
  };
  // Warm-up, which also sizes the epochs to about `seconds` each.
  const probe = await open(8, 1);
  const t0 = performance.now();
  let t4 = t0;
  await probe.run({ onStep: (e) => (e.step === 4 ? (t4 = performance.now()) : undefined) });
  await probe.close();
  const perStep = (performance.now() - t4) / 1000 / 4;
  const steps = Math.max(1, Math.min(5000, Math.round(options.seconds / Math.max(perStep, 1e-6))));
  // One untimed epoch (workers warm, buffers grown), then one timed epoch per run.
  const session = await open(steps, options.runs + 1);
  const notes = [
    `convas (${threads} thread${threads > 1 ? 's' : ''}): kernels ${session.pool.kernels}${session.pool.notice ? ` — ${session.pool.notice}` : ''}`,
  ];
  const trainRuns = (await train(session, steps)).slice(1);
  const infer = async (n: number) => {
    for (let done = 0; done < n; done += count) {
      const k = Math.min(count, n - done);
      await session.pool.predict(tensor([k, ...inputShape], images.data.subarray(0, k * per)), BATCH);
    }
  };
  await infer(BATCH * 2);
  const perBatch = (await timed(() => infer(BATCH * 4))) / 4;
  const inferImages = BATCH * Math.max(1, Math.min(20000, Math.round(options.seconds / perBatch)));
  const inferRuns: number[] = [];
  for (let r = 0; r < options.runs; r++) inferRuns.push(inferImages / (await timed(() => infer(inferImages))));
  await session.close();
  return {
    train_ips: median(trainRuns),
    infer_ips: median(inferRuns),
    rss_mb: peakRssMb(),
    trainRuns,
    inferRuns,
    notes,
  };
}

export async function measureConvas(graph: GraphName, threads: 'one' | 'all', options: RunOptions): Promise<Measured> {
  return measureSession(benchGraph(graph), threads === 'one' ? 1 : availableParallelism(), options);
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
