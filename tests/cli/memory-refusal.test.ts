import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProjectFile } from '../../src/host/project/project-file';
import { newProjectContent } from '../../src/shared/project';
import { chain } from '../helpers/graphs';

/** The `convas` command line as a user runs it: a child process of bin/convas.mjs. */
const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'convas-cli-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function convas(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project of about 1 KB whose graph needs 1,000,727,380,900 weights (64×4096×4096 inputs into 932 units). */
const trillion = join(tmp, 'trillion.convas');
/** A 3×4096×4096 image through 64 filters: fits at batch 1, not at batch 32. */
const bigImage = join(tmp, 'big-image.convas');

beforeAll(async () => {
  await writeProjectFile(
    trillion,
    newProjectContent(
      chain(['x', 'input', { channels: 64, height: 4096, width: 4096, vector: true }], ['fc', 'dense', { units: 932 }]),
    ),
    {},
  );
  await writeProjectFile(
    bigImage,
    newProjectContent(
      chain(
        ['x', 'input', { channels: 3, height: 4096, width: 4096 }],
        ['conv', 'conv2d', { filters: 64, padding: 'same' }],
      ),
    ),
    {},
  );
});

describe('the command line refuses a graph that cannot fit in memory, before allocating it', () => {
  it('convas train on a 1e12-weight project: one line with the figure and the node, exit code 2, nothing written', () => {
    expect(statSync(trillion).size).toBeLessThan(2048);
    const out = join(tmp, 'out.convas');
    const r = convas('train', trillion, '--epochs', '1', '--out', out);
    expect(r.code).toBe(2);
    // Over the machine's memory, the estimate names the dense layer, its weights and the machine's figure.
    expect(r.stderr).toMatch(/^convas train: .*node 'fc' \(Dense\)/);
    expect(r.stderr).toMatch(/1,000,727,380,900/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
  });

  it('convas eval on the same project is refused the same way', () => {
    const r = convas('eval', trillion);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/node 'fc' \(Dense\)/);
  });

  it('convas train of a 3×4096×4096 input with 64 filters at batch 32 is refused with its figure', () => {
    const r = convas('train', bigImage, '--batch', '32', '--threads', '1', '--out', join(tmp, 'img.convas'));
    expect(r.code).toBe(2);
    // (3 + 64) × 4096² numbers per image, forward and backward, × 32 images × 4 bytes: 268 GB.
    expect(r.stderr).toMatch(
      /needs about 268 GB to train at batch 32 \(.*activations 268 GB\), more than this machine's \d+ GB of memory; node 'conv' \(Conv2D\)/,
    );
  });
});
