import type { Shape } from '../../tensor';
import { FormatError } from '../types';
import type { Attributes, OnnxConstant } from './read';

/**
 * Shape arithmetic worked out at import time. PyTorch writes `x.view(x.size(0), -1)` as
 * Shape → Gather → Unsqueeze → Concat → Reshape: the target shape is computed in the graph, but from nothing
 * but the input's shape. Folding those operators into constants leaves a Reshape with a constant target, which
 * the Reshape rule reads as a flatten. The batch size, unknown until run time, folds to 0, which is exactly what
 * Reshape's 0 means ("keep this axis"), so [batch, −1] arrives as [0, −1].
 */
export const FOLDABLE = new Set(['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice', 'Identity']);

const vec = (values: number[]): OnnxConstant => ({ dims: [values.length], values: Float64Array.from(values) });

/** The axes of Unsqueeze/Squeeze: an input from opset 13, an attribute before. */
function axesOf(attrs: Attributes, constants: (OnnxConstant | null | undefined)[], opset: number): number[] | null {
  if (opset >= 13 && constants[1]) return [...constants[1].values];
  return attrs.ints('axes', null);
}

/**
 * The folded value of one node, or null when it does not fold (an input is computed, not a shape or a constant).
 * `computed` is the per-example shape of input 0 when it is a computed tensor (for Shape), else null.
 */
export function foldNode(
  op: string,
  attrs: Attributes,
  opset: number,
  constants: (OnnxConstant | null | undefined)[],
  computed: Shape | null,
  where: string,
): OnnxConstant | null {
  if (op === 'Shape') {
    const shape = computed ? [0, ...computed] : constants[0] ? [...constants[0].dims] : null;
    if (!shape) return null;
    const rank = shape.length;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    return vec(shape.slice(norm(attrs.int('start', 0)), norm(attrs.int('end', rank))));
  }
  if (constants.length === 0 || constants.some((c) => c === null) || !constants[0]) return null;
  const [data] = constants as OnnxConstant[];
  const fail = (msg: string): never => {
    throw new FormatError(`${where}: ${msg}`);
  };
  switch (op) {
    case 'Cast':
    case 'Identity':
      return data;
    case 'Gather': {
      if (data.dims.length !== 1 || attrs.int('axis', 0) !== 0) return fail('Convas folds Gather only on a 1-D shape');
      const idx = constants[1];
      if (!idx) return fail('its indices are missing');
      const values = [...idx.values].map((i) => {
        const k = i < 0 ? i + data.values.length : i;
        if (k < 0 || k >= data.values.length) fail(`index ${i} is outside a shape of rank ${data.values.length}`);
        return data.values[k];
      });
      return { dims: [...idx.dims], values: Float64Array.from(values) };
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const axes = axesOf(attrs, constants, opset);
      let dims = [...data.dims];
      if (op === 'Unsqueeze') {
        const rank = dims.length + (axes?.length ?? 0);
        for (const a of [...(axes ?? [])].map((a) => (a < 0 ? a + rank : a)).sort((x, y) => x - y))
          dims.splice(a, 0, 1);
      } else {
        const rank = dims.length;
        const drop = new Set((axes ?? dims.map((d, i) => (d === 1 ? i : -1))).map((a) => (a < 0 ? a + rank : a)));
        dims = dims.filter((_, i) => !drop.has(i));
      }
      return { dims, values: data.values };
    }
    case 'Concat': {
      if (constants.some((c) => c && c.dims.length > 1)) return fail('Convas folds Concat only of 1-D shapes');
      return vec(constants.flatMap((c) => (c ? [...c.values] : [])));
    }
    case 'Slice': {
      if (data.dims.length !== 1) return fail('Convas folds Slice only on a 1-D shape');
      const n = data.values.length;
      const at = (i: number) => constants[i]?.values[0];
      const step = at(4) ?? 1;
      if (step !== 1 || (at(3) ?? 0) !== 0) return fail('Convas folds Slice only with step 1 on axis 0');
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      return vec([...data.values].slice(clamp(at(1) ?? 0), clamp(at(2) ?? n)));
    }
  }
  return null;
}
