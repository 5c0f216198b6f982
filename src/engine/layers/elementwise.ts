import { tensor } from '../tensor';
import type { LayerDef, Params } from './types';

/**
 * The shape every element-wise activation shares: y = f(x) per element, and
 * dx = dy · f'(x, y). Activations in the source text have derivatives that are cheapest from y
 * (sigmoid: y(1−y), tanh: 1−y²), so the derivative receives both.
 */
export function elementwise<P extends Params>(
  def: Omit<LayerDef<P>, 'arity' | 'inferShape' | 'forward' | 'backward'>,
  f: (x: number, p: P) => number,
  df: (x: number, y: number, p: P) => number,
): LayerDef<P> {
  return {
    ...def,
    arity: [1, 1],
    inferShape: ([s]) => s,
    forward({ inputs: [x], params }) {
      const y = tensor(x.shape);
      const xd = x.data;
      const yd = y.data;
      for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i], params);
      return { output: y };
    },
    backward({ inputs: [x], output, gradOutput, params }) {
      const dx = tensor(x.shape);
      const xd = x.data;
      const yd = output.data;
      const dy = gradOutput.data;
      for (let i = 0; i < xd.length; i++) dx.data[i] = dy[i] * df(xd[i], yd[i], params);
      return [dx];
    },
  };
}
