import { allocateOverwritten, defineLayer } from './define';
import { poolGeometry, poolKernels, poolNotice, poolParams, type PoolParams } from './pool';

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
  notice: ([input], p) => poolNotice(input, p),
  forward(args) {
    const [x] = args.inputs;
    const { params: p } = args;
    const g = poolGeometry(x.shape.slice(1), p, 'MaxPool', x.shape[0]);
    const y = allocateOverwritten(args, [g.n, g.c, g.oh, g.ow]);
    // The winners' indices, in 4-byte cells taken from the same (possibly recycled) memory as a float tensor.
    const cells = allocateOverwritten(args, [y.data.length]).data;
    const argmax = new Int32Array(cells.buffer, cells.byteOffset, cells.length);
    poolKernels(g).maxPoolForward(g, x.data, y.data, argmax);
    return { output: y, cache: argmax };
  },
  backward(args) {
    const [x] = args.inputs;
    const { gradOutput, params: p, cache } = args;
    const g = poolGeometry(x.shape.slice(1), p, 'MaxPool', x.shape[0]);
    const dx = allocateOverwritten(args, x.shape);
    poolKernels(g).maxPoolBackward(g, gradOutput.data, cache as Int32Array, dx.data);
    return [dx];
  },
});
