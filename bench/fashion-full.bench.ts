/**
 * Trains the fashion-2conv template on the full Fashion-MNIST (60,000 training images, 10,000 test) through the
 * same command line a user runs, and prints the test accuracy and the wall time. Not a test: it takes minutes.
 *
 *   npm run bench:fashion -- [--data DIR] [--epochs N] [--threads T]
 *
 * Without --data it uses /tmp/fmnist, writing it first from Debian's dataset-fashion-mnist package
 * (apt-get install dataset-fashion-mnist) with scripts/idx-to-folders.py.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    epochs: { type: 'string' },
    threads: { type: 'string' },
    lr: { type: 'string' },
  },
});
const data = values.data ?? '/tmp/fmnist';
const debian = '/usr/share/datasets/fashion-mnist';

if (!existsSync(join(data, 'train'))) {
  if (values.data) throw new Error(`${data}/train does not exist`);
  if (!existsSync(debian)) {
    console.error(
      `No Fashion-MNIST at ${data}; install Debian's package first: apt-get install -y dataset-fashion-mnist`,
    );
    process.exit(2);
  }
  const script = join(import.meta.dirname, '../scripts/idx-to-folders.py');
  for (const [images, labels, split] of [
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 'train'],
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'test'],
  ]) {
    execFileSync('python3', [script, join(debian, images), join(debian, labels), join(data, split)], {
      stdio: 'inherit',
    });
  }
}

const out = '/tmp/fashion-full.convas';
const epochs = values.epochs ?? '12';
const started = performance.now();
const trainArgs = [
  'train',
  'resources/templates/fashion-2conv.json',
  '--data',
  join(data, 'train'),
  '--epochs',
  epochs,
];
trainArgs.push('--validation', '0.1', '--seed', '1', '--out', out, '--lr', values.lr ?? '0.002');
if (values.threads) trainArgs.push('--threads', values.threads);
console.error(`convas ${trainArgs.join(' ')}`);
if ((await main(trainArgs)) !== 0) process.exit(1);
const trained = (performance.now() - started) / 1000;
let json = '';
const code = await main(['eval', out, '--data', join(data, 'test'), '--json'], {
  stdout: (t) => (json += t),
  stderr: (t) => process.stderr.write(t),
  isTTY: false,
});
if (code !== 0) process.exit(1);
const result = JSON.parse(json) as { accuracy: number; loss: number };
console.log(
  `fashion-2conv on the full Fashion-MNIST: test accuracy ${result.accuracy.toFixed(4)} (loss ${result.loss.toFixed(4)}), ` +
    `${epochs} epochs, training wall time ${trained.toFixed(0)} s, total ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
