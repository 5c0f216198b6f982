import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NamedWeights } from '../../src/engine';
import { readProjectFile } from '../../src/host/project/project-file';
import { readCheckpoint } from '../../src/host/session';
import { chain } from '../helpers/graphs';

/**
 * RELIABILITY case 12 and issue 15: a run killed with SIGKILL at a random step after a checkpoint, then resumed
 * with --resume, ends with weights identical bit for bit to a run that was never interrupted (same seed, same
 * thread count). The graph has dropout, so the workers' random states must be in the checkpoint too.
 */
const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'convas-resume-exact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const graphFile = join(tmp, 'net.json');
writeFileSync(
  graphFile,
  JSON.stringify(
    chain(
      ['x', 'input', { channels: 1, height: 28, width: 28 }],
      ['conv', 'conv2d', { filters: 4, stride: 2, padding: 'same' }],
      ['relu', 'relu'],
      ['drop', 'dropout', { rate: 0.3 }],
      ['flat', 'flatten'],
      ['fc', 'dense', { units: 10, init: 'glorot' }],
    ),
  ),
);
/** Six epochs after the kill is armed: even four times faster than epoch 2, they outlast the delay before it. */
const EPOCHS = '8';
const args = (out: string) => [
  'train',
  graphFile,
  '--epochs',
  EPOCHS,
  '--seed',
  '7',
  '--threads',
  '2',
  '--batch',
  '16',
  '--out',
  out,
];

function bytesOf(w: NamedWeights): Map<string, Buffer> {
  return new Map(
    Object.entries(w).map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]),
  );
}

function expectIdentical(a: NamedWeights, b: NamedWeights): void {
  const x = bytesOf(a);
  const y = bytesOf(b);
  expect([...y.keys()].sort()).toEqual([...x.keys()].sort());
  expect(x.size).toBeGreaterThan(0);
  for (const [name, bytes] of x) expect(Buffer.compare(bytes, y.get(name)!), name).toBe(0);
}

/**
 * Starts a run and SIGKILLs it at a random moment of the third epoch, after two checkpoints; resolves when it has
 * died. (The first epoch also decodes every image into the cache, so it is no measure of the ones after it.)
 */
function trainAndKill(out: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args(out)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let armed = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      // The epoch line comes after its checkpoint is written. Later epochs read the cached images and can run
      // several times faster than epoch 2 (0.4 s, then 0.1 s once the JIT has warmed up): killing within half of
      // epoch 2's time lands on a random step of the epochs after it, never after the last.
      const m = /epoch 2\/\d+ .* (\d+(?:\.\d+)?) s,/.exec(stderr);
      if (m && !armed) {
        armed = true;
        const ms = Math.random() * Number(m[1]) * 500;
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

describe('resuming after kill -9', () => {
  it('gives weights identical bit for bit to the uninterrupted run', async () => {
    const whole = join(tmp, 'whole.convas');
    const first = spawnSync(process.execPath, [bin, ...args(whole)], { encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);

    const resumed = join(tmp, 'resumed.convas');
    const killed = await trainAndKill(resumed);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).not.toMatch(/epoch 8\//);
    const again = spawnSync(process.execPath, [bin, ...args(resumed), '--resume'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming from .* after epoch [2-7]/);

    // The saved model (the best epoch's weights) and the last weights (the final checkpoint) are both the same.
    expectIdentical((await readProjectFile(whole)).weights, (await readProjectFile(resumed)).weights);
    expectIdentical(
      (await readCheckpoint(`${whole}.checkpoint`)).weights,
      (await readCheckpoint(`${resumed}.checkpoint`)).weights,
    );
  });
});
