import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import { Rng } from '../src/engine';
import { BATCH, CLASSES, IMAGE } from './lenet-model';

/**
 * The benchmark's peers: the same LeNet-5 in TensorFlow.js 4.22 (tfjs-core ops, the 'cpu' or the 'wasm'
 * backend), trained with tfjs's SGD. Images are NHWC, tfjs's native layout. The layers use tfjs's fused
 * conv2d / matMul with bias and ReLU, as tfjs-layers does, so the peer runs its fastest standard path.
 */
export type TfRow = 'tfjs-cpu' | 'tfjs-cpu-patched' | 'tfjs-wasm-patched';
type Tf = typeof TF;

/** Loads tfjs with the backend a row uses; returns the module and notes to print. */
export async function loadTf(row: TfRow): Promise<{ tf: Tf; notes: string[] }> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  // tfjs-core defines gradients but registers none; the union package registers them all (tfjs's own
  // way of shipping them), into the registry tfjs-core shares. Its other backends stay unused.
  await import('@tensorflow/tfjs');
  tf.env().set('PROD', true); // silences the "install tfjs-node" notice
  const notes: string[] = [];
  await tf.setBackend('cpu');
  await tf.ready();
  const reference = referenceCases(tf);
  if (row === 'tfjs-cpu') return { tf, notes };
  if (row === 'tfjs-cpu-patched') {
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'cpu',
      kernelFunc: backpropFilterViaConv2d(tf, 'cpu'),
    });
    notes.push(
      "tfjs-cpu-patched: the cpu backend's own Conv2DBackpropFilter (a plain loop nest) is replaced by one computed " +
        'through its own Transpose and Conv2D kernels (see bench/tfjs-lenet.ts)',
    );
  } else {
    const { setWasmPaths, getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries ship inside the package; nothing is fetched.
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(pkg), 'dist')}/`);
    await tf.setBackend('wasm');
    await tf.ready();
    if (tf.getKernel('Conv2DBackpropFilter', 'wasm'))
      throw new Error('the wasm backend now has Conv2DBackpropFilter: drop the patch');
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: backpropFilterViaConv2d(tf, 'wasm'),
    });
    notes.push(
      `tfjs-wasm-patched: tfjs-backend-wasm ${tf.version_core} has no Conv2DBackpropFilter kernel, so as shipped it cannot ` +
        'train a CNN; the benchmark registers one computed through the backend’s own Transpose and Conv2D kernels ' +
        `(see bench/tfjs-lenet.ts). Threads: ${getThreadsCount()} (the default in Node).`,
    );
  }
  notes.push(checkAgainst(tf, reference, row));
  return { tf, notes };
}

/**
 * Conv2DBackpropFilter as a user would register it: dW[kh,kw,c,f] = Σ over n, oy, ox of
 * x[n, oy·s + kh − top, ox·s + kw − left, c] · dy[n, oy, ox, f]. Viewing x as C images of N channels
 * ([C,H,W,N]) and dy as an OH×OW filter from N to F channels ([OH,OW,N,F]) dilated by the stride, that sum is
 * one convolution, whose [C,KH,KW,F] output transposes to the filter's [KH,KW,C,F].
 */
export function backpropFilterViaConv2d(tf: Tf, backendName: string): TF.KernelFunc {
  const conv2d = tf.getKernel('Conv2D', backendName)?.kernelFunc;
  const transpose = tf.getKernel('Transpose', backendName)?.kernelFunc;
  if (!conv2d || !transpose) throw new Error(`backend '${backendName}' lacks Conv2D or Transpose`);
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
    const a = attrs as unknown as TF.Conv2DBackpropFilterAttrs;
    if (a.dataFormat !== 'NHWC') throw new Error(`patched Conv2DBackpropFilter handles NHWC only, got ${a.dataFormat}`);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const { top, bottom, left, right } = info.padInfo;
    const t = (input: TF.TensorInfo, perm: number[]) =>
      transpose({ inputs: { x: input }, backend, attrs: { perm } }) as TF.TensorInfo;
    const xT = t(x, [3, 1, 2, 0]);
    const dyT = t(dy, [1, 2, 0, 3]);
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const attrsOut = {
      strides: [1, 1],
      pad,
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: a.dimRoundingMode,
    };
    const y = conv2d({
      inputs: { x: xT, filter: dyT },
      backend,
      attrs: attrsOut as unknown as TF.NamedAttrMap,
    }) as TF.TensorInfo;
    const kb = backend as TF.KernelBackend;
    kb.disposeData(xT.dataId);
    kb.disposeData(dyT.dataId);
    // With a stride that does not divide the padded input evenly y would have extra rows; LeNet has stride 1.
    if (y.shape[1] !== info.filterHeight || y.shape[2] !== info.filterWidth) {
      kb.disposeData(y.dataId);
      throw new Error(`patched Conv2DBackpropFilter: uneven stride not handled (got ${y.shape.join('×')})`);
    }
    const dw = t(y, [1, 2, 0, 3]);
    kb.disposeData(y.dataId);
    return dw;
  };
}

type Shape4 = [number, number, number, number];

interface Case {
  name: string;
  x: Float32Array;
  dy: Float32Array;
  xShape: Shape4;
  dyShape: Shape4;
  filterShape: Shape4;
  pad: 'same' | 'valid';
  want: Float32Array;
}

/** LeNet's two convolutions' filter gradients for seeded random data, by the cpu backend's own kernel. */
function referenceCases(tf: Tf): Case[] {
  const rng = new Rng(11);
  const random = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.uniform(-1, 1));
  const make = (name: string, xShape: Shape4, dyShape: Shape4, filterShape: Shape4, pad: 'same' | 'valid'): Case => {
    const c: Case = {
      name,
      x: random(xShape),
      dy: random(dyShape),
      xShape,
      dyShape,
      filterShape,
      pad,
      want: new Float32Array(0),
    };
    c.want = runBackpropFilter(tf, c);
    return c;
  };
  return [
    make('conv1', [BATCH, 28, 28, 1], [BATCH, 28, 28, 6], [5, 5, 1, 6], 'same'),
    make('conv2', [BATCH, 14, 14, 6], [BATCH, 10, 10, 16], [5, 5, 6, 16], 'valid'),
  ];
}

function runBackpropFilter(tf: Tf, c: Case): Float32Array {
  const x = tf.tensor4d(c.x, c.xShape);
  const dy = tf.tensor4d(c.dy, c.dyShape);
  const attrs = {
    strides: [1, 1],
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape: c.filterShape,
  };
  const out = tf
    .engine()
    .runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as TF.NamedAttrMap) as TF.Tensor;
  const data = out.dataSync() as Float32Array;
  tf.dispose([x, dy, out]);
  return data;
}

/** The patched kernel's results next to the cpu backend's own, as a line to print. */
function checkAgainst(tf: Tf, cases: Case[], row: TfRow): string {
  const parts = cases.map((c) => {
    const got = runBackpropFilter(tf, c);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - c.want[i]));
      scale = Math.max(scale, Math.abs(c.want[i]));
    }
    if (!(worst <= 1e-4 * Math.max(1, scale)))
      throw new Error(`${row}: patched Conv2DBackpropFilter is wrong for ${c.name}: max |diff| ${worst}`);
    return `${c.name} max |diff| ${worst.toExponential(1)} (values up to ${scale.toFixed(1)})`;
  });
  return `${row}: patched Conv2DBackpropFilter checked against the cpu backend's own kernel (batch ${BATCH}): ${parts.join('; ')}: OK`;
}

/** LeNet-5 in tfjs: He-normal weights from a seeded generator, SGD. */
export class TfLenet {
  private readonly vars: TF.Variable[];
  private readonly w: Record<string, TF.Variable>;
  private readonly optimizer: TF.Optimizer;

  constructor(
    private readonly tf: Tf,
    seed: number,
    learningRate: number,
  ) {
    const rng = new Rng(seed);
    const normal = (shape: number[], fanIn: number) => {
      const n = shape.reduce((a, b) => a * b);
      const std = Math.sqrt(2 / fanIn);
      return tf.variable(
        tf.tensor(
          Float32Array.from({ length: n }, () => rng.normal() * std),
          shape,
        ),
      );
    };
    const zeros = (n: number) => tf.variable(tf.zeros([n]));
    this.w = {
      c1: normal([5, 5, IMAGE.channels, 6], 25),
      b1: zeros(6),
      c2: normal([5, 5, 6, 16], 150),
      b2: zeros(16),
      f1: normal([400, 120], 400),
      g1: zeros(120),
      f2: normal([120, 84], 120),
      g2: zeros(84),
      f3: normal([84, CLASSES], 84),
      g3: zeros(CLASSES),
    };
    this.vars = Object.values(this.w);
    this.optimizer = tf.train.sgd(learningRate);
  }

  private logits(x: TF.Tensor4D): TF.Tensor2D {
    const { tf, w } = this;
    let h = tf.fused.conv2d({
      x,
      filter: w.c1 as TF.Tensor4D,
      strides: 1,
      pad: 'same',
      bias: w.b1,
      activation: 'relu',
    });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.fused.conv2d({
      x: h,
      filter: w.c2 as TF.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: w.b2,
      activation: 'relu',
    });
    h = tf.maxPool(h, 2, 2, 'valid');
    let f = tf.reshape(h, [-1, 400]) as TF.Tensor2D;
    f = tf.fused.matMul({ a: f, b: w.f1 as TF.Tensor2D, bias: w.g1, activation: 'relu' }) as TF.Tensor2D;
    f = tf.fused.matMul({ a: f, b: w.f2 as TF.Tensor2D, bias: w.g2, activation: 'relu' }) as TF.Tensor2D;
    return tf.fused.matMul({ a: f, b: w.f3 as TF.Tensor2D, bias: w.g3 }) as TF.Tensor2D;
  }

  /** One SGD step on n NHWC images; returns the batch's mean softmax cross-entropy. */
  trainStep(pixels: Float32Array, labels: Int32Array, n: number): number {
    const { tf } = this;
    const x = tf.tensor4d(pixels, [n, IMAGE.height, IMAGE.width, IMAGE.channels]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
    const cost = this.optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, this.logits(x)) as TF.Scalar,
      true,
      this.vars,
    )!;
    const loss = cost.dataSync()[0];
    tf.dispose([x, y, cost]);
    return loss;
  }

  /** Class scores for n images, read back. */
  infer(pixels: Float32Array, n: number): Float32Array {
    const { tf } = this;
    const out = tf.tidy(() =>
      tf.softmax(this.logits(tf.tensor4d(pixels, [n, IMAGE.height, IMAGE.width, IMAGE.channels]))),
    );
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  }

  dispose(): void {
    this.tf.dispose(this.vars);
    this.optimizer.dispose();
  }
}
