import { describe, expect, it } from 'vitest';
import { Network, outputSize, tensor, Trainer, type Tensor } from '../../src/engine';
import { chain } from '../helpers/graphs';
import { worked } from '../helpers/seed';

/** Every worked number of the source text (../shared/seed/worked-examples.json). */

const toTensor = (m: number[][]): Tensor => tensor([1, 1, m.length, m[0].length], m.flat());
const rows = (t: Tensor): number[][] => {
  const [, , h, w] = t.shape;
  return Array.from({ length: h }, (_, y) => Array.from(t.data.subarray(y * w, (y + 1) * w)));
};

describe('the two-neuron network x1 → dense → sigmoid → dense → relu', () => {
  const ex = worked.tiny_network;
  const build = () => {
    const net = new Network(
      chain(
        ['x', 'input', { channels: 1, height: 1, width: 1, vector: true }],
        ['d1', 'dense', { units: 1 }],
        ['s', 'sigmoid'],
        ['d2', 'dense', { units: 1 }],
        ['r', 'relu'],
      ),
    );
    net.setWeights({
      'd1.kernel': tensor([1, 1], [ex.init.w11]),
      'd1.bias': tensor([1], [ex.init.b1]),
      'd2.kernel': tensor([1, 1], [ex.init.w21]),
      'd2.bias': tensor([1], [ex.init.b2]),
    });
    return net;
  };
  const batch = {
    x: tensor([1, 1], [ex.init.x1]),
    labels: new Int32Array(1),
    targets: tensor([1, 1], [ex.init.label]),
  };

  it('forward gives a11 and y exactly and as the text rounds them', () => {
    const trace = build().forward(batch.x);
    for (const [key, node] of [
      ['a11', 's'],
      ['y', 'r'],
    ] as const) {
      const v = trace.outputs.get(node)!.data[0];
      expect(v).toBeCloseTo(ex.forward[key].exact, 6);
      expect(Math.abs(v - ex.forward[key].textbook)).toBeLessThan(1e-3);
    }
  });

  it('back-propagation gives the four gradients of J = 1/(2m)·(y − label)²', () => {
    const net = build();
    const trainer = new Trainer(net, { kind: 'sgd', learningRate: 0 }, 'mse');
    trainer.step(batch);
    const grad = (name: string) => net.params.find((p) => p.name === name)!.grad.data[0];
    const names = { w11: 'd1.kernel', b1: 'd1.bias', w21: 'd2.kernel', b2: 'd2.bias' } as const;
    for (const [key, name] of Object.entries(names)) {
      const want = ex.gradients[key];
      expect(grad(name)).toBeCloseTo(want.exact, 6);
      expect(Math.abs(grad(name) - want.textbook)).toBeLessThan(1e-3);
    }
  });

  it('one SGD step w = w − lr·dJ/dw moves the weights and the next forward toward the label', () => {
    const net = build();
    const trainer = new Trainer(net, { kind: 'sgd', learningRate: ex.sgd_step.learning_rate }, 'mse');
    trainer.step(batch);
    const w = net.getWeights();
    const after = ex.sgd_step.after;
    const got = { w11: w['d1.kernel'], b1: w['d1.bias'], w21: w['d2.kernel'], b2: w['d2.bias'] } as const;
    for (const [key, t] of Object.entries(got)) {
      expect(t.data[0]).toBeCloseTo(after[key].exact, 6);
      expect(Math.abs(t.data[0] - after[key].textbook)).toBeLessThan(1e-3);
    }
    const trace = net.forward(batch.x);
    const fa = ex.sgd_step.forward_after;
    expect(trace.outputs.get('s')!.data[0]).toBeCloseTo(fa.a11.exact, 6);
    expect(trace.outputs.get('r')!.data[0]).toBeCloseTo(fa.y.exact, 6);
    expect(Math.abs(trace.outputs.get('r')!.data[0] - fa.y.textbook)).toBeLessThan(1e-3);
    expect(trace.outputs.get('r')!.data[0]).toBeGreaterThan(ex.forward.y.exact);
  });
});

describe('convolution as the source text computes it', () => {
  const conv = (input: number[][], kernel: number[][], opts: { stride?: number; padding?: number; bias?: number }) => {
    const [h, w] = [input.length, input[0].length];
    const net = new Network(
      chain(
        ['x', 'input', { channels: 1, height: h, width: w }],
        [
          'c',
          'conv2d',
          {
            filters: 1,
            kernelH: kernel.length,
            kernelW: kernel[0].length,
            stride: opts.stride ?? 1,
            padding: opts.padding ?? 0,
            bias: opts.bias !== undefined,
          },
        ],
      ),
    );
    const weights: Record<string, Tensor> = { 'c.kernel': toTensor(kernel) };
    if (opts.bias !== undefined) weights['c.bias'] = tensor([1], [opts.bias]);
    net.setWeights(weights);
    return rows(net.predict(toTensor(input)));
  };
  const c = worked.convolution;

  it('x=[3,3] f=[2,2] s=1 p=0 (plain)', () => {
    expect(conv(c.basic.input, c.basic.kernel, {})).toEqual(c.basic.output);
  });
  it('x=[3,3] f=[2,2] with bias 2', () => {
    expect(conv(c.with_bias.input, c.with_bias.kernel, { bias: c.with_bias.bias })).toEqual(c.with_bias.output);
  });
  it('x=[3,3] f=[2,2] p=1 gives 4×4', () => {
    const out = conv(c.padding.input, c.padding.kernel, { padding: 1 });
    expect([out.length, out[0].length]).toEqual(c.padding.output_size);
    expect(out).toEqual(c.padding.output);
  });
  it('x=[4,4] f=[2,2] s=2 gives 2×2', () => {
    const out = conv(c.stride.input, c.stride.kernel, { stride: 2 });
    expect([out.length, out[0].length]).toEqual(c.stride.output_size);
    expect(out).toEqual(c.stride.output);
  });
  it('the front channel of the multi-channel example', () => {
    const m = c.multi_channel;
    expect(conv(m.front_channel_input, m.front_channel_kernel, {})).toEqual(m.front_channel_output);
  });

  it('a 3-channel convolution equals the sum of its per-channel convolutions', () => {
    const m = c.multi_channel;
    // The text's other two channels are not legible; the rule is tested with the front channel and two more.
    const inputs = [
      m.front_channel_input,
      [
        [0, 1, 1, 2],
        [3, 1, 0, 2],
        [1, 2, 2, 0],
        [2, 0, 1, 3],
      ],
      [
        [2, 2, 0, 1],
        [1, 0, 3, 1],
        [0, 1, 2, 2],
        [3, 1, 1, 0],
      ],
    ];
    const kernels = [
      m.front_channel_kernel,
      [
        [1, 0, 1],
        [0, 2, 0],
        [1, 1, 0],
      ],
      [
        [0, 1, 0],
        [1, 0, 1],
        [2, 0, 1],
      ],
    ];
    const net = new Network(
      chain(
        ['x', 'input', { channels: 3, height: 4, width: 4 }],
        ['c', 'conv2d', { filters: 1, kernelH: 3, kernelW: 3, bias: false }],
      ),
    );
    net.setWeights({ 'c.kernel': tensor([1, 3, 3, 3], kernels.flat(2)) });
    const whole = rows(net.predict(tensor([1, 3, 4, 4], inputs.flat(2))));
    const perChannel = inputs.map((inp, i) => conv(inp, kernels[i], {}));
    const summed = perChannel[0].map((r, y) => r.map((v, x) => v + perChannel[1][y][x] + perChannel[2][y][x]));
    expect(whole).toEqual(summed);
  });
});

describe('pooling 2×2 stride 2', () => {
  const p = worked.pooling;
  const pool = (type: string) =>
    rows(
      new Network(
        chain(['x', 'input', { channels: 1, height: 4, width: 4 }], ['p', type, { size: p.window, stride: p.stride }]),
      ).predict(toTensor(p.input)),
    );
  it('max keeps the largest of each window', () => expect(pool('maxpool2d')).toEqual(p.max));
  it('average takes the mean of each window', () => expect(pool('avgpool2d')).toEqual(p.average));
});

describe('the output-size formula OH = (H + 2P − FH)/S + 1', () => {
  it.each([
    [3, 2, 1, 0, 2],
    [3, 2, 1, 1, 4],
    [4, 2, 2, 0, 2],
    [4, 3, 1, 0, 2],
    [28, 5, 1, 2, 28],
    [32, 4, 2, 1, 16],
  ])('H=%i FH=%i S=%i P=%i → %i', (h, fh, s, pad, out) => {
    expect(outputSize('height', h, fh, s, pad).out).toBe(out);
  });
  it("'same' keeps ceil(H/S)", () => {
    expect(outputSize('width', 28, 5, 1, 'same')).toEqual({ out: 28, padBefore: 2, dropped: 0 });
    expect(outputSize('width', 7, 3, 2, 'same').out).toBe(4);
  });
  it('floors a size that is not a whole number, as frameworks do, and says what it drops', () => {
    // (28 − 5)/2 + 1 = 12.5: 12 windows, the last input row unread.
    expect(outputSize('height', 28, 5, 2, 0)).toEqual({ out: 12, padBefore: 0, dropped: 1 });
    // ResNet's downsampling: (32 + 2 − 3)/2 + 1 = 16.5 → 16; the row left over is padding, so nothing real is lost.
    expect(outputSize('height', 32, 3, 2, 1)).toEqual({ out: 16, padBefore: 1, dropped: 0 });
    // 7×7 → max-pool 2 → 3×3 (PyTorch floors), or 4×4 in ceil mode.
    expect(outputSize('height', 7, 2, 2, 0).out).toBe(3);
    expect(outputSize('height', 7, 2, 2, 0, 'ceil').out).toBe(4);
    // Ceil mode never starts a window in the end padding: (5 + 2 − 2)/2 → ceil 2.5 + 1 = 4, but window 4 starts at 6 ≥ 5 + 1.
    expect(outputSize('height', 5, 2, 2, 1, 'ceil').out).toBe(3);
  });
  it('refuses a kernel larger than its input, and stride 0', () => {
    expect(() => outputSize('height', 3, 5, 1, 0)).toThrow(/larger than the input height 3/);
    expect(() => outputSize('height', 3, 1, 0, 0)).toThrow(/stride must be a whole number of at least 1/);
  });
});
