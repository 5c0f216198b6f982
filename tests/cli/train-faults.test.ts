import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { compileGraph, Network } from '../../src/engine';
import type * as AtomicWrite from '../../src/host/project/atomic-write';
import { readProjectFile } from '../../src/host/project/project-file';
import { chain } from '../helpers/graphs';

/**
 * A disk that is full for checkpoints only: writes to '*.checkpoint' fail as Node reports ENOSPC (a message
 * that names no file); every other write goes through.
 */
const disk = vi.hoisted(() => ({ fullForCheckpoints: false }));
vi.mock('../../src/host/project/atomic-write', async (importOriginal) => {
  const real = await importOriginal<typeof AtomicWrite>();
  return {
    writeFileAtomic: async (path: string, bytes: Uint8Array) => {
      if (path.endsWith('.checkpoint') && disk.fullForCheckpoints) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      }
      return real.writeFileAtomic(path, bytes);
    },
  };
});

const tmp = mkdtempSync(join(tmpdir(), 'convas-train-faults-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const graph = chain(
  ['x', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv', 'conv2d', { filters: 4, stride: 2, padding: 'same' }],
  ['relu', 'relu'],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 10, init: 'glorot' }],
);
const graphFile = join(tmp, 'net.json');
writeFileSync(graphFile, JSON.stringify(graph));

async function convas(...argv: string[]) {
  let stderr = '';
  const code = await main(argv, { stdout: () => undefined, stderr: (t) => (stderr += t), isTTY: false });
  return { code, stderr };
}

describe('convas train when training goes wrong', () => {
  it('a diverged run exits with code 2, saves the weights of the step before where it says, and not as --out', async () => {
    const out = join(tmp, 'adam.convas');
    const r = await convas(
      'train',
      graphFile,
      '--optimizer',
      'adam',
      '--lr',
      '1000',
      '--epochs',
      '2',
      '--threads',
      '2',
      '--out',
      out,
    );
    expect(r.code).toBe(2);
    const kept = join(tmp, 'adam.diverged.convas');
    expect(r.stderr).toContain(`training diverged: the loss became`);
    expect(r.stderr).toContain(`training stopped with the weights of the step before`);
    expect(r.stderr).toContain(`Those weights are saved in ${kept}; ${out} was not written.`);
    expect(existsSync(out)).toBe(false);
    const saved = await readProjectFile(kept);
    const weights = Object.values(saved.weights);
    expect(weights.length).toBe(4);
    expect(weights.every((t) => t.data.every(Number.isFinite))).toBe(true);
    expect(saved.file.history[0].stopped).toMatch(/^the loss became/);
  });

  it('SGD at a learning rate of 1,000 stops within its first epoch, and saves the weights of the step before', async () => {
    const out = join(tmp, 'sgd.convas');
    const r = await convas(
      'train',
      graphFile,
      '--optimizer',
      'sgd',
      '--lr',
      '1000',
      '--epochs',
      '1',
      '--threads',
      '1',
      '--seed',
      '1',
      '--out',
      out,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/training diverged: the loss became .* at epoch 1, batch \d+ of 25 \(step \d+\)/);
    expect(existsSync(out)).toBe(false);
    const saved = (await readProjectFile(join(tmp, 'sgd.diverged.convas'))).weights;
    // Not the seeded initial weights (steps were taken), and not the refused step's (they are all finite).
    const initial = new Network(compileGraph(graph), 1).getWeights();
    expect(Buffer.from(saved['fc.kernel'].data.buffer).equals(Buffer.from(initial['fc.kernel'].data.buffer))).toBe(
      false,
    );
    expect(Object.values(saved).every((t) => t.data.every(Number.isFinite))).toBe(true);
  });

  it('a checkpoint that cannot be written names its path, stops, and the model is still saved', async () => {
    const out = join(tmp, 'full.convas');
    disk.fullForCheckpoints = true;
    let r;
    try {
      r = await convas('train', graphFile, '--epochs', '3', '--threads', '1', '--out', out);
    } finally {
      disk.fullForCheckpoints = false;
    }
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `convas train: cannot write the checkpoint '${out}.checkpoint': ENOSPC: no space left on device, write; ` +
        `training stopped after epoch 1 and the model was saved in ${out}`,
    );
    const saved = await readProjectFile(out);
    expect(saved.file.history[0].epochs).toHaveLength(1);
    expect(saved.file.history[0].stopped).toMatch(/cannot write the checkpoint/);
    expect(Object.keys(saved.weights)).toContain('fc.kernel');
  });
});
