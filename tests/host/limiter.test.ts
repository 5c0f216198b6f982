import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/host/datasets/limiter';

describe('Limiter', () => {
  it('runs thousands of queued jobs in the order they came, never more than max at once', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let most = 0;
    const started: number[] = [];
    // More jobs than the queue's compaction threshold, so that dropping the woken head is exercised too.
    const jobs = Array.from({ length: 5000 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setImmediate(r));
        active--;
        return i * 2;
      }),
    );
    const results = await Promise.all(jobs);
    expect(results).toEqual(Array.from({ length: 5000 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('frees its slot when a job fails, and passes the failure on', async () => {
    const limiter = new Limiter(1);
    const failing = limiter.run(() => Promise.reject(new Error('unreadable')));
    const next = limiter.run(() => Promise.resolve('ran'));
    await expect(failing).rejects.toThrow('unreadable');
    await expect(next).resolves.toBe('ran');
  });
});
