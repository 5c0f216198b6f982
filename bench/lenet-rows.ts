import { fillRandom, median, peakRssMb } from './harness';
import { BATCH, CLASSES, IMAGE } from './lenet-model';
import { measureConvas } from './suite-rows';
import { loadTf, TfLenet, type TfRow } from './tfjs-lenet';

/** One row of the LeNet-5 benchmark, measured in its own process. */
export const ROWS = ['convas-1t', 'convas-all', 'tfjs-cpu', 'tfjs-cpu-patched', 'tfjs-wasm-patched'] as const;
export type RowName = (typeof ROWS)[number];

export interface RowResult {
  name: RowName;
  /** Medians over the timed runs, in images per second (the parent's: over all its processes for the row). */
  train_ips: number;
  infer_ips: number;
  /** Peak resident memory of the row's whole process (its worker threads included). */
  rss_mb: number;
  /** Every timed run, for the spread. */
  trainRuns: number[];
  inferRuns: number[];
  /** The sizes of a timed run, for the TensorFlow.js rows (Convas's rows are timed epoch by epoch). */
  stepsPerRun?: number;
  imagesPerInferRun?: number;
  notes: string[];
}

export interface RowOptions {
  /** Timed runs in this process (the parent takes its medians across processes). */
  runs: number;
  /** About how long one timed run lasts, in seconds. */
  runSeconds: number;
}

/** What a row measures: training steps on the first `steps` batches, and inference over the first `images` images. */
interface Subject {
  train(steps: number): Promise<void>;
  infer(images: number): Promise<void>;
  close(): Promise<void>;
  notes: string[];
}

const LEARNING_RATE = 0.01;
const SEED = 1;
/** Upper bounds on a run's size; the data holds this much. */
const MAX_STEPS = 60;
const MAX_INFER_BATCHES = 120;

async function tfjs(row: TfRow): Promise<Subject> {
  const { tf, notes } = await loadTf(row);
  const n = Math.max(MAX_STEPS, MAX_INFER_BATCHES) * BATCH;
  // One channel: NCHW and NHWC images are the same bytes, so both engines read the same data.
  const x = new Float32Array(n * IMAGE.channels * IMAGE.height * IMAGE.width);
  const labels = new Int32Array(n);
  fillRandom(x, labels, CLASSES, SEED);
  const per = IMAGE.channels * IMAGE.height * IMAGE.width;
  const model = new TfLenet(tf, SEED, LEARNING_RATE);
  return {
    notes,
    train: async (steps) => {
      for (let s = 0; s < steps; s++) {
        const at = s * BATCH;
        model.trainStep(x.subarray(at * per, (at + BATCH) * per), labels.subarray(at, at + BATCH), BATCH);
      }
    },
    infer: async (images) => {
      for (let at = 0; at < images; at += BATCH) model.infer(x.subarray(at * per, (at + BATCH) * per), BATCH);
    },
    close: async () => model.dispose(),
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Warm-up (which also sizes the runs so that each lasts about `runSeconds`), then `runs` timed training runs
 * and `runs` timed inference runs; medians of images per second.
 */
export async function measureRow(name: RowName, options: RowOptions): Promise<RowResult> {
  if (name === 'convas-1t' || name === 'convas-all') {
    // Convas's rows are the suite's: the LeNet-5 template trained through TrainingSession, the path users run.
    const m = await measureConvas('lenet5', name === 'convas-1t' ? 'one' : 'all', {
      runs: options.runs,
      seconds: options.runSeconds,
    });
    return { name, ...m };
  }
  const subject = await tfjs(name as TfRow);
  // Warm-up: the JIT, the kernels' scratch memory, the pool's first epoch; the last warm-up sizes the runs.
  // A slow row (tfjs-cpu takes seconds a step) is sized on one step, a fast one on a few more.
  await subject.train(1);
  let stepSeconds = await timed(() => subject.train(1));
  if (stepSeconds < 0.2) stepSeconds = (await timed(() => subject.train(4))) / 4;
  const stepsPerRun = Math.max(1, Math.min(MAX_STEPS, Math.round(options.runSeconds / stepSeconds)));
  await subject.infer(BATCH * 2);
  const batchSeconds = (await timed(() => subject.infer(BATCH * 4))) / 4;
  const imagesPerInferRun =
    BATCH * Math.max(1, Math.min(MAX_INFER_BATCHES, Math.round(options.runSeconds / batchSeconds)));

  const trainRuns: number[] = [];
  for (let r = 0; r < options.runs; r++)
    trainRuns.push((stepsPerRun * BATCH) / (await timed(() => subject.train(stepsPerRun))));
  const inferRuns: number[] = [];
  for (let r = 0; r < options.runs; r++)
    inferRuns.push(imagesPerInferRun / (await timed(() => subject.infer(imagesPerInferRun))));
  await subject.close();
  return {
    name,
    train_ips: median(trainRuns),
    infer_ips: median(inferRuns),
    rss_mb: peakRssMb(),
    trainRuns,
    inferRuns,
    stepsPerRun,
    imagesPerInferRun,
    notes: subject.notes,
  };
}
