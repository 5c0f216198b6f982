import { allocateOverwritten } from './define';
import type { LayerDef, Params } from './types';

/**
 * Whole-array forms of f and f′ for activations on the hot path, where a loop written for the one function
 * beats the per-element callbacks below (one call site every activation shares, so the JIT cannot
 * specialise it). ReLU uses them to stay branch-free. The loops must compute exactly what f and f′ do.
 */
export interface ElementwiseLoops<P> {
  /** y[i] = f(x[i]) */
  forward(x: Float32Array, y: Float32Array, p: P): void;
  /** dx[i] = dy[i] · f′(x[i], y[i]) */
  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, p: P): void;
}

/**
 * The shape every element-wise activation shares: y = f(x) per element, and
 * dx = dy · f'(x, y). Activations in the source text have derivatives that are cheapest from y
 * (sigmoid: y(1−y), tanh: 1−y²), so the derivative receives both.
 */
export function elementwise<P extends Params>(
  def: Omit<LayerDef<P>, 'arity' | 'inferShape' | 'forward' | 'backward'>,
  f: (x: number, p: P) => number,
  df: (x: number, y: number, p: P) => number,
  loops?: ElementwiseLoops<P>,
): LayerDef<P> {
  return {
    ...def,
    arity: [1, 1],
    inferShape: ([s]) => s,
    forward(args) {
      const [x] = args.inputs;
      const { params } = args;
      const y = allocateOverwritten(args, x.shape);
      const xd = x.data;
      const yd = y.data;
      if (loops) loops.forward(xd, yd, params);
      else for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i], params);
      return { output: y };
    },
    backward(args) {
      const [x] = args.inputs;
      const { output, gradOutput, params } = args;
      const dx = allocateOverwritten(args, x.shape);
      const xd = x.data;
      const yd = output.data;
      const dy = gradOutput.data;
      if (loops) loops.backward(xd, yd, dy, dx.data, params);
      else for (let i = 0; i < xd.length; i++) dx.data[i] = dy[i] * df(xd[i], yd[i], params);
      return [dx];
    },
  };
}
