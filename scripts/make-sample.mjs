// Builds resources/sample, the built-in sample dataset, from a fashion-mnist-small folder (unpack the test
// fixture first: tests/fixtures/fashion-mnist-small/README.md):
// the first N training and M test images of each class (sorted by file name, so the result is reproducible).
//
//   node scripts/make-sample.mjs --from <dataset folder> [--train 100] [--test 20]
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '/tmp/fashion-mnist-small' },
    train: { type: 'string', default: '100' },
    test: { type: 'string', default: '20' },
  },
});
const perSplit = { train: Number(values.train), test: Number(values.test) };
const out = join(here, '..', 'resources', 'sample');

for (const split of Object.keys(perSplit)) {
  if (!existsSync(join(values.from, split))) {
    console.error(
      `make-sample: "${join(values.from, split)}" does not exist; pass --from <fashion-mnist-small folder>`,
    );
    process.exit(1);
  }
}

rmSync(out, { recursive: true, force: true });
let copied = 0;
for (const [split, count] of Object.entries(perSplit)) {
  for (const cls of readdirSync(join(values.from, split)).sort()) {
    const files = readdirSync(join(values.from, split, cls))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, count);
    mkdirSync(join(out, split, cls), { recursive: true });
    for (const f of files) copyFileSync(join(values.from, split, cls, f), join(out, split, cls, f));
    copied += files.length;
  }
}

writeFileSync(
  join(out, 'README.md'),
  `# Built-in sample dataset

A small subset of [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist) by Zalando Research
(MIT licence, Copyright (c) 2017 Zalando SE): 28×28 grayscale PNGs of ten kinds of clothing,
${perSplit.train} training and ${perSplit.test} test images per class, in \`train/<class>/\` and \`test/<class>/\`.

Convas offers it when no dataset folder is given (the empty Data view, and the command line).
It was made by \`node scripts/make-sample.mjs\` from fashion-mnist-small, taking the first images of each
class by file name.
`,
);
console.log(`make-sample: copied ${copied} images to ${out}`);
