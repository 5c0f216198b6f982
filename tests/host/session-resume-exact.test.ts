import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NamedWeights } from '../../src/engine';
import { readCheckpoint, type TrainingSession } from '../../src/host/session';
import { chain } from '../helpers/graphs';
import { sampleSession, trainingPlan } from '../helpers/plan';

/**
 * A run resumed from its checkpoint equals the uninterrupted run bit for bit, with everything random switched
 * on: shuffling, every kind of augmentation (drawn on the host) and dropout (drawn in each of two workers), with
 * a cosine learning-rate schedule that the resumed run picks up at its step.
 */
const tmp = mkdtempSync(join(tmpdir(), 'convas-session-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const plan = trainingPlan(
  chain(
    ['x', 'input', { channels: 1, height: 28, width: 28 }],
    ['conv', 'conv2d', { filters: 4, stride: 2, padding: 'same' }],
    ['relu', 'relu'],
    ['drop', 'dropout', { rate: 0.25 }],
    ['flat', 'flatten'],
    ['fc', 'dense', { units: 10, init: 'glorot' }],
  ),
  { epochs: 3, batchSize: 32, seed: 5, patience: 0, optimizer: 'adam', learningRate: 0.003, schedule: 'cosine' },
  { augment: { flip: true, shift: 0.1, rotate: 10, brightness: 0.1, contrast: 0.1 } },
);

const open: TrainingSession[] = [];
async function session(checkpointPath: string): Promise<TrainingSession> {
  const s = await sampleSession(plan, { threads: 2, checkpointPath });
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function bytes(w: NamedWeights): Record<string, string> {
  return Object.fromEntries(
    Object.entries(w).map(([k, t]) => [
      k,
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'),
    ]),
  );
}

describe('a session resumed from its checkpoint', () => {
  it('ends with the weights of the uninterrupted run, bit for bit', async () => {
    const whole = await session(join(tmp, 'whole.checkpoint'));
    expect(await whole.run()).toEqual({ status: 'finished', epochs: 3 });
    const expected = bytes(await whole.pool.getWeights());

    const path = join(tmp, 'cut.checkpoint');
    const first = await session(path);
    expect(await first.run({ onEpoch: (e) => e.epoch === 1 && first.stop() })).toEqual({
      status: 'stopped',
      epochs: 1,
    });
    const c = await readCheckpoint(path);
    expect(c.workers).toHaveLength(2);
    expect(c.workers![0].dropout).not.toBe(c.workers![1].dropout);

    const second = await session(path);
    await second.restore(c);
    expect(await second.run()).toEqual({ status: 'finished', epochs: 3 });
    expect(bytes(await second.pool.getWeights())).toEqual(expected);
  });
});
