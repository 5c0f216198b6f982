import type { CompiledGraph } from '../graph';
import type { NamedWeights } from '../network';
import { sameShape, shapeToString, tensor, type Tensor } from '../tensor';
import { FormatError } from './types';

/** Every weight the compiled graph needs, as `${nodeId}.${name}`, in node order, with its shape. */
export function expectedWeights(compiled: CompiledGraph): { name: string; nodeId: string; shape: readonly number[] }[] {
  return compiled.nodes.flatMap((n) =>
    n.weightSpecs.map((s) => ({ name: `${n.id}.${s.name}`, nodeId: n.id, shape: s.shape })),
  );
}

/**
 * Checks named weights against a compiled graph: every weight present with the graph's exact shape and
 * only finite values, and no tensor the graph has no place for. `source` names the file in messages.
 * Returns copies in the graph's order, so that a caller never shares buffers with the file it read.
 */
export function checkWeights(compiled: CompiledGraph, weights: NamedWeights, source: string): NamedWeights {
  const out: NamedWeights = {};
  const expected = expectedWeights(compiled);
  for (const { name, shape } of expected) {
    const t: Tensor | undefined = Object.hasOwn(weights, name) ? weights[name] : undefined;
    if (!t)
      throw new FormatError(
        `${source} has no tensor '${name}', which the graph needs with shape [${shapeToString(shape)}]`,
      );
    if (!sameShape(t.shape, shape)) {
      throw new FormatError(
        `${source}: tensor '${name}' has shape [${shapeToString(t.shape)}], the graph needs [${shapeToString(shape)}]`,
      );
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new FormatError(
        `${source}: tensor '${name}' holds ${t.data[bad]} at index ${bad}; weights must be finite numbers`,
      );
    out[name] = tensor(t.shape, t.data.slice());
  }
  const known = new Set(expected.map((e) => e.name));
  const extra = Object.keys(weights).filter((k) => !known.has(k));
  if (extra.length > 0) {
    const list =
      extra
        .slice(0, 5)
        .map((k) => `'${k}'`)
        .join(', ') + (extra.length > 5 ? ` and ${extra.length - 5} more` : '');
    throw new FormatError(
      `${source} has tensors the graph has no place for: ${list}; are these the weights of another network?`,
    );
  }
  return out;
}

/** A name safe as a file name on every system: letters, digits, '-' and '_', at most 64 characters. */
export function fileBaseName(name: string | undefined): string {
  const clean = (name ?? '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 64);
  return clean || 'model';
}
