import { allocateOverwritten, defineLayer } from './define';
import { poolGeometry, poolKernels, poolNotice, poolParams, type PoolParams } from './pool';

/** Averages each window; backward spreads each gradient evenly over the window's cells. */
export default defineLayer<PoolParams>({
  type: 'avgpool2d',
  label: 'AvgPool',
  category: 'pooling',
  help: 'Averages each window, shrinking the map smoothly. No weights.',
  params: poolParams,
  arity: [1, 1],
  inferShape([input], p) {
    const g = poolGeometry(input, p, 'AvgPool');
    return [g.c, g.oh, g.ow];
  },
  notice: ([input], p) => poolNotice(input, p),
  forward(args) {
    const [x] = args.inputs;
    const { params: p } = args;
    const g = poolGeometry(x.shape.slice(1), p, 'AvgPool', x.shape[0]);
    const y = allocateOverwritten(args, [g.n, g.c, g.oh, g.ow]);
    poolKernels(g).avgPoolForward(g, x.data, y.data);
    return { output: y };
  },
  backward(args) {
    const [x] = args.inputs;
    const { gradOutput, params: p } = args;
    const g = poolGeometry(x.shape.slice(1), p, 'AvgPool', x.shape[0]);
    const dx = allocateOverwritten(args, x.shape);
    poolKernels(g).avgPoolBackward(g, gradOutput.data, dx.data);
    return [dx];
  },
});
