import { kernels } from '../kernels';
import { tensor } from '../tensor';
import { defineLayer } from './define';
import { poolGeometry, poolParams, type PoolParams } from './pool';

/** Keeps the largest value of each window; backward routes the gradient to that winner only (argmax cached). */
export default defineLayer<PoolParams>({
  type: 'maxpool2d',
  label: 'MaxPool',
  category: 'pooling',
  help: 'Keeps the largest value in each window, shrinking the map while keeping the strongest response. No weights.',
  params: poolParams,
  arity: [1, 1],
  inferShape([input], p) {
    const g = poolGeometry(input, p, 'MaxPool');
    return [g.c, g.oh, g.ow];
  },
  forward({ inputs: [x], params: p }) {
    const g = poolGeometry(x.shape.slice(1), p, 'MaxPool', x.shape[0]);
    const y = tensor([g.n, g.c, g.oh, g.ow]);
    const argmax = new Int32Array(y.data.length);
    kernels().maxPoolForward(g, x.data, y.data, argmax);
    return { output: y, cache: argmax };
  },
  backward({ inputs: [x], gradOutput, params: p, cache }) {
    const g = poolGeometry(x.shape.slice(1), p, 'MaxPool', x.shape[0]);
    const dx = tensor(x.shape);
    kernels().maxPoolBackward(g, gradOutput.data, cache as Int32Array, dx.data);
    return [dx];
  },
});
