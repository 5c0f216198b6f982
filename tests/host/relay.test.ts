import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescingRelay, type RelayBatch } from '../../src/host/relay/coalescing-relay';

type Point = { step: number; loss: number };
type Frame = { node: string; step: number };

describe('coalescing relay', () => {
  let batches: RelayBatch<Point, Frame>[];
  beforeEach(() => {
    vi.useFakeTimers();
    batches = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const relay = (intervalMs: number, ready?: () => boolean) =>
    new CoalescingRelay<Point, Frame>((b) => batches.push(b), { intervalMs, ready, now: () => Date.now() });

  it('never drops a point: 10,000 points in a burst arrive in order', () => {
    const r = relay(50);
    for (let step = 0; step < 10_000; step++) r.point({ step, loss: 1 / (step + 1) });
    vi.advanceTimersByTime(1000);
    const steps = batches.flatMap((b) => b.points.map((p) => p.step));
    expect(steps).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('keeps only the latest frame of each key between flushes', () => {
    const r = relay(50);
    for (let step = 0; step < 100; step++) {
      r.frame('conv1', { node: 'conv1', step });
      if (step % 10 === 0) r.frame('conv2', { node: 'conv2', step });
    }
    vi.advanceTimersByTime(50);
    expect(batches).toHaveLength(1);
    expect(batches[0].frames).toEqual([
      { node: 'conv1', step: 99 },
      { node: 'conv2', step: 90 },
    ]);
    expect(r.framesSuperseded).toBe(99 + 9);
  });

  it('flushes at most once per interval, however fast the producer', () => {
    const r = relay(100);
    // One point every millisecond for two seconds.
    for (let t = 0; t < 2000; t++) {
      r.point({ step: t, loss: 0 });
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(100);
    expect(batches.length).toBeGreaterThanOrEqual(19);
    expect(batches.length).toBeLessThanOrEqual(21);
    expect(batches.reduce((n, b) => n + b.points.length, 0)).toBe(2000);
  });

  it('sends the first point after an idle spell without waiting a whole interval', () => {
    const r = relay(1000);
    r.point({ step: 1, loss: 1 });
    vi.advanceTimersByTime(0);
    expect(batches).toHaveLength(1);
    r.point({ step: 2, loss: 1 });
    vi.advanceTimersByTime(999);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(2);
  });

  it('holds batches while the receiver is backed up, then sends everything at once', () => {
    let ready = false;
    const r = relay(50, () => ready);
    for (let step = 0; step < 30; step++) {
      r.point({ step, loss: 0 });
      r.frame('conv1', { node: 'conv1', step });
      vi.advanceTimersByTime(20);
    }
    expect(batches).toHaveLength(0);
    ready = true;
    vi.advanceTimersByTime(50);
    expect(batches).toHaveLength(1);
    expect(batches[0].points).toHaveLength(30);
    expect(batches[0].frames).toEqual([{ node: 'conv1', step: 29 }]);
  });

  it('close sends what is pending and refuses more', () => {
    const r = relay(1000);
    r.point({ step: 0, loss: 0 });
    vi.advanceTimersByTime(0);
    r.point({ step: 1, loss: 0 });
    r.close();
    expect(batches.flatMap((b) => b.points.map((p) => p.step))).toEqual([0, 1]);
    expect(() => r.point({ step: 2, loss: 0 })).toThrow('the relay is closed');
    expect(() => relay(0)).toThrow(/positive number of ms, got 0/);
  });
});
