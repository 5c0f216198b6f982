import { describe, expect, it } from 'vitest';
import { createOptimizer, learningRateAt, tensor, type OptimizerConfig, type Parameter } from '../../src/engine';

/**
 * Known answers on f(w) = w²/2 (so dJ/dw = w) from w = 1 with learning rate 0.1, three steps.
 * The expected values were worked out by hand from each rule (and checked in float64).
 */
function run(config: OptimizerConfig, steps: number, trainable = true): number[] {
  const p: Parameter = { name: 'w', nodeId: 'n', value: tensor([1], [1]), grad: tensor([1]), trainable };
  const opt = createOptimizer(config);
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) {
    p.grad.data[0] = p.value.data[0];
    opt.step([p]);
    seen.push(p.value.data[0]);
  }
  return seen;
}

const expectClose = (got: number[], want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));

describe('optimizers: known answers on f(w) = w²/2 from w = 1, lr 0.1', () => {
  it('SGD w = w − lr·g gives 0.9, 0.81, 0.729', () => {
    expectClose(run({ kind: 'sgd', learningRate: 0.1 }, 3), [0.9, 0.81, 0.729]);
  });

  it('momentum μ = 0.9 (v = μv + g, w = w − lr·v) gives 0.9, 0.72, 0.486', () => {
    expectClose(run({ kind: 'momentum', learningRate: 0.1, momentum: 0.9 }, 3), [0.9, 0.72, 0.486]);
  });

  it('Adam with bias correction gives 0.9, 0.8004122, 0.7015863', () => {
    expectClose(
      run({ kind: 'adam', learningRate: 0.1 }, 3),
      [0.9000000009999999, 0.8004122297123379, 0.7015862745044147],
    );
  });

  it('weight decay λ = 0.5 adds λ·w to the gradient: 0.85, 0.7225, 0.614125', () => {
    expectClose(run({ kind: 'sgd', learningRate: 0.1, weightDecay: 0.5 }, 3), [0.85, 0.7225, 0.614125]);
  });

  it('non-trainable tensors (batch-norm running statistics) are never stepped', () => {
    expect(run({ kind: 'adam', learningRate: 0.1 }, 2, false)).toEqual([1, 1]);
  });

  it('saved state resumes Adam exactly where it stopped', () => {
    const p: Parameter = { name: 'w', nodeId: 'n', value: tensor([1], [1]), grad: tensor([1]), trainable: true };
    const a = createOptimizer({ kind: 'adam', learningRate: 0.1 });
    p.grad.data[0] = 1;
    a.step([p]);
    const b = createOptimizer({ kind: 'adam', learningRate: 0.1 });
    b.setState(a.getState());
    const q: Parameter = { ...p, value: tensor([1], [p.value.data[0]]) };
    p.grad.data[0] = q.grad.data[0] = 0.5;
    a.step([p]);
    b.step([q]);
    expect(q.value.data[0]).toBe(p.value.data[0]);
  });

  it('an unknown optimizer is refused by name', () => {
    expect(() => createOptimizer({ kind: 'rmsprop' as 'sgd', learningRate: 1 })).toThrow(/unknown optimizer 'rmsprop'/);
  });
});

describe('learning-rate schedules', () => {
  it('constant gives the base rate at every step', () => {
    expect([0, 5, 99, 1000].map((t) => learningRateAt('constant', 0.1, t, 100))).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('cosine falls from the base rate through half of it at mid-run towards 0 at the last step', () => {
    const rates = Array.from({ length: 100 }, (_, t) => learningRateAt('cosine', 0.1, t, 100));
    expect(rates[0]).toBe(0.1);
    expect(rates[50]).toBeCloseTo(0.05, 12);
    expect(rates[25]).toBeCloseTo(0.05 * (1 + Math.SQRT1_2), 12);
    expect(rates[99]).toBeCloseTo(0.05 * (1 + Math.cos((Math.PI * 99) / 100)), 12);
    expect(rates[99]).toBeGreaterThan(0);
    for (let t = 1; t < 100; t++) expect(rates[t]).toBeLessThan(rates[t - 1]);
    // Past the planned end (a run resumed with fewer epochs) the rate stays at the last step's, never 0.
    expect(learningRateAt('cosine', 0.1, 250, 100)).toBe(rates[99]);
    expect(learningRateAt('cosine', 0.1, 0, 1)).toBe(0.1);
  });

  it('an optimizer step at a given rate uses it instead of the configured one', () => {
    const p: Parameter = { name: 'w', nodeId: 'n', value: tensor([1], [1]), grad: tensor([1], [1]), trainable: true };
    const opt = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
    opt.step([p], 0.01);
    expect(p.value.data[0]).toBeCloseTo(0.99, 7);
    opt.step([p]);
    expect(p.value.data[0]).toBeCloseTo(0.89, 6);
  });
});
