/**
 * One Fashion-MNIST-sized epoch: 60,000 seeded random 28×28×1 images, LeNet-5, batch 32, SGD, through a
 * TrainingSession (the one training loop) on every core. Prints the epoch's wall time, its throughput and the
 * process's peak RSS.
 *
 * The images are 8-bit, as Fashion-MNIST's are (47 MB; each batch is scaled to [0, 1] as it is gathered, as an
 * image folder's cached pixels are); --float32 keeps them as float32 instead (188 MB), which the RSS figure
 * then includes.
 *
 *   npx tsx bench/epoch.bench.ts            a report
 *   npx tsx bench/epoch.bench.ts --json     {"images":60000,"pixels":"uint8","threads":2,"seconds":...,"images_per_second":...,"rss_mb":...}
 *   options: --images N (default 60000) --threads N (default: all cores) --float32
 */
import { availableParallelism, loadavg } from 'node:os';
import { compileGraph, Rng, tensor, type Examples } from '../src/engine';
import type { DatasetBatch } from '../src/host/datasets';
import { SpareBuffers } from '../src/host/datasets/spare';
import { TrainingSession, type TrainingData } from '../src/host/session';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../src/shared/training';
import { fillRandom, peakRssMb } from './harness';
import { BATCH, CLASSES, IMAGE, lenetGraph } from './lenet-model';

/**
 * Images in memory, 8-bit or float32, served in shuffled batches of float32 as an image folder's cache serves them,
 * in buffers the session gives back after each step (as the folder's source reuses them).
 */
class MemoryData implements TrainingData {
  readonly origin = "the benchmark's seeded images";
  readonly classes = Array.from({ length: CLASSES }, (_, i) => `class ${i}`);
  private readonly per = IMAGE.channels * IMAGE.height * IMAGE.width;
  private readonly spare = new SpareBuffers();

  constructor(
    private readonly x: Uint8Array | Float32Array,
    private readonly labels: Int32Array,
  ) {}

  get trainCount(): number {
    return this.labels.length;
  }

  get validationCount(): number {
    return BATCH;
  }

  async *batches(batchSize: number, rng: Rng): AsyncGenerator<Examples> {
    const order = Int32Array.from({ length: this.trainCount }, (_, i) => i);
    rng.shuffle(order);
    for (let s = 0; s < order.length; s += batchSize) yield this.take(order.subarray(s, s + batchSize));
  }

  validation(): Promise<DatasetBatch> {
    return Promise.resolve({ ...this.take(Int32Array.from({ length: BATCH }, (_, i) => i)), files: [] });
  }

  trainSample(): Promise<DatasetBatch> {
    return this.validation();
  }

  release(batch: Examples): void {
    this.spare.give(batch.x.data);
  }

  private take(rows: Int32Array): Examples {
    const { per } = this;
    const x = tensor([rows.length, IMAGE.channels, IMAGE.height, IMAGE.width], this.spare.take(rows.length * per));
    rows.forEach((r, i) => {
      if (this.x instanceof Float32Array) x.data.set(this.x.subarray(r * per, (r + 1) * per), i * per);
      else for (let k = 0; k < per; k++) x.data[i * per + k] = this.x[r * per + k] / 255;
    });
    return { x, labels: Int32Array.from(rows, (r) => this.labels[r]) };
  }
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const images = Number(option('images') ?? 60_000);
  const threads = Number(option('threads') ?? availableParallelism());
  const say = (line: string) => !json && console.log(line);

  const float32 = process.argv.includes('--float32');
  const labels = new Int32Array(images);
  let x: Uint8Array | Float32Array;
  if (float32) {
    x = new Float32Array(images * IMAGE.channels * IMAGE.height * IMAGE.width);
    fillRandom(x, labels, CLASSES, 1);
  } else {
    x = new Uint8Array(images * IMAGE.channels * IMAGE.height * IMAGE.width);
    const rng = new Rng(1);
    for (let i = 0; i < x.length; i++) x[i] = rng.int(256);
    for (let i = 0; i < images; i++) labels[i] = rng.int(CLASSES);
  }
  const dataMb = (x.byteLength + labels.byteLength) / 2 ** 20;

  const graph = lenetGraph();
  const t0 = performance.now();
  const session = await TrainingSession.open(
    {
      graph,
      data: DEFAULT_DATA_SETTINGS,
      hyper: { ...DEFAULT_HYPERPARAMETERS, optimizer: 'sgd', learningRate: 0.01, seed: 1, batchSize: BATCH, epochs: 1 },
    },
    { compiled: compileGraph(graph), data: new MemoryData(x, labels), threads },
  );
  const { pool } = session;
  const startup = (performance.now() - t0) / 1000;
  say(
    `session on ${pool.threads} worker threads started in ${startup.toFixed(2)} s; kernels ${pool.kernels}${pool.notice ? ` (${pool.notice})` : ''}`,
  );

  let lastReport = performance.now();
  const load = loadavg()[0];
  const t1 = performance.now();
  let lastStep = t1;
  let lossSum = 0;
  let steps = 0;
  await session.run({
    onStep: (p) => {
      lastStep = performance.now();
      lossSum += p.loss;
      steps = p.step;
      if (json || lastStep - lastReport < 5000) return;
      lastReport = lastStep;
      console.log(`  step ${p.step}/${p.steps}: loss ${p.loss.toFixed(3)}, ${p.imagesPerSecond.toFixed(0)} images/s`);
    },
  });
  // The epoch's training, up to its last step: the evaluation after it is not part of the epoch's time.
  const seconds = (lastStep - t1) / 1000;
  await session.close();
  const rss = peakRssMb();
  if (json) {
    const round = (v: number) => Math.round(v * 100) / 100;
    console.log(
      JSON.stringify({
        images,
        pixels: float32 ? 'float32' : 'uint8',
        threads,
        seconds: round(seconds),
        images_per_second: round(images / seconds),
        rss_mb: round(rss),
      }),
    );
    return;
  }
  say(
    `one epoch of ${images} images (LeNet-5, batch ${BATCH}, ${steps} steps): ${seconds.toFixed(2)} s wall, ` +
      `${(images / seconds).toFixed(0)} images/s, mean loss ${(lossSum / Math.max(steps, 1)).toFixed(3)}`,
  );
  say(
    `peak RSS ${rss.toFixed(0)} MB, of which the dataset itself is ${dataMb.toFixed(0)} MB (${float32 ? 'float32' : '8-bit'} pixels)`,
  );
  say(
    `targets: epoch under 30 s — ${seconds < 30 ? 'met' : 'NOT met'}; peak RSS under 300 MB — ${rss < 300 ? 'met' : 'NOT met'}`,
  );
  say(
    `load average (1 min) ${load.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end: other processes share the cores`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
