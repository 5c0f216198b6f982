/**
 * One Fashion-MNIST-sized epoch: 60,000 seeded random 28×28×1 images, LeNet-5, batch 32, SGD, on a pool with
 * every core. Prints the epoch's wall time, its throughput and the process's peak RSS.
 *
 * The images are 8-bit, as Fashion-MNIST's are (47 MB; the workers scale them to [0, 1] as they gather each
 * batch); --float32 keeps them as float32 instead (188 MB), which the RSS figure then includes.
 *
 *   npx tsx bench/epoch.bench.ts            a report
 *   npx tsx bench/epoch.bench.ts --json     {"images":60000,"pixels":"uint8","threads":2,"seconds":...,"images_per_second":...,"rss_mb":...}
 *   options: --images N (default 60000) --threads N (default: all cores) --float32
 */
import { availableParallelism, loadavg } from 'node:os';
import { Rng } from '../src/engine';
import { sharedByteTensor, sharedTensor, TrainingPool, type Inputs } from '../src/host/training';
import { fillRandom, peakRssMb } from './harness';
import { BATCH, CLASSES, IMAGE, lenetGraph } from './lenet-model';

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
  // The images live in shared memory from the start, so the workers read them where they are.
  const shape = [images, IMAGE.channels, IMAGE.height, IMAGE.width];
  const labels = new Int32Array(new SharedArrayBuffer(images * 4));
  let x: Inputs;
  if (float32) {
    x = sharedTensor(shape);
    fillRandom(x.data, labels, CLASSES, 1);
  } else {
    x = sharedByteTensor(shape);
    const rng = new Rng(1);
    for (let i = 0; i < x.data.length; i++) x.data[i] = rng.int(256);
    for (let i = 0; i < images; i++) labels[i] = rng.int(CLASSES);
  }
  const dataMb = (x.data.byteLength + labels.byteLength) / 2 ** 20;

  const t0 = performance.now();
  const pool = await TrainingPool.create({
    graph: lenetGraph(),
    seed: 1,
    optimizer: { kind: 'sgd', learningRate: 0.01 },
    threads,
  });
  const startup = (performance.now() - t0) / 1000;
  say(
    `pool of ${pool.threads} worker threads started in ${startup.toFixed(2)} s; kernels ${pool.kernels}${pool.notice ? ` (${pool.notice})` : ''}`,
  );

  let lastReport = performance.now();
  const load = loadavg()[0];
  const t1 = performance.now();
  const result = await pool.runEpoch(x, labels, BATCH, {
    onProgress: (p) => {
      if (json || performance.now() - lastReport < 5000) return;
      lastReport = performance.now();
      console.log(
        `  step ${p.stepInEpoch}/${p.stepsInEpoch}: loss ${p.loss.toFixed(3)}, ${p.imagesPerSecond.toFixed(0)} images/s`,
      );
    },
  });
  const seconds = (performance.now() - t1) / 1000;
  await pool.close();
  const rss = peakRssMb();
  if (json) {
    const round = (v: number) => Math.round(v * 100) / 100;
    console.log(
      JSON.stringify({
        images,
        pixels: float32 ? 'float32' : 'uint8',
        threads: pool.threads,
        seconds: round(seconds),
        images_per_second: round(images / seconds),
        rss_mb: round(rss),
      }),
    );
    return;
  }
  say(
    `one epoch of ${images} images (LeNet-5, batch ${BATCH}, ${result.steps} steps): ${seconds.toFixed(2)} s wall, ` +
      `${(images / seconds).toFixed(0)} images/s, mean loss ${result.loss.toFixed(3)}`,
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
