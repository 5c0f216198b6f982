import type { CompiledGraph } from './graph';
import { parameterLayout, type NamedWeights } from './network';
import { sameShape, shapeToString } from './tensor';

/** A weight by name and shape, as a project lists them (the window never holds the values). */
export interface WeightShape {
  name: string;
  shape: readonly number[];
}

/** Whether a node's weights fit the graph: all present with the shapes it needs, or why not. */
export interface NodeFit {
  nodeId: string;
  fits: boolean;
  /** What does not fit ("kernel is [16×1×3×3], the layer needs [8×1×3×3]"); null when it fits. */
  reason: string | null;
}

/**
 * For each node of `graph` that has weights: whether `have` holds every one of them with the shape the node needs
 * now. After an edit (conv1 from 16 to 8 filters) conv1 and the layer after it no longer fit; the others still do.
 */
export function weightFit(graph: CompiledGraph, have: readonly WeightShape[]): NodeFit[] {
  const byName = new Map(have.map((w) => [w.name, w.shape]));
  const fits = new Map<string, NodeFit>();
  for (const slot of parameterLayout(graph).slots) {
    const fit = fits.get(slot.nodeId) ?? { nodeId: slot.nodeId, fits: true, reason: null };
    fits.set(slot.nodeId, fit);
    if (!fit.fits) continue;
    const shape = byName.get(slot.name);
    const weight = slot.name.slice(slot.nodeId.length + 1);
    if (!shape) {
      fit.fits = false;
      fit.reason = `it has no trained ${weight}`;
    } else if (!sameShape(shape, slot.shape)) {
      fit.fits = false;
      fit.reason = `its trained ${weight} is [${shapeToString(shape)}], the layer now needs [${shapeToString(slot.shape)}]`;
    }
  }
  return [...fits.values()];
}

/**
 * Continues from `from` where it fits: each weight of `fresh` (a new initialisation of the graph) whose name and
 * shape `from` has takes `from`'s values, bit for bit; the others keep their initialisation. A node keeps its
 * weights only when all of them fit, so a layer is never half trained and half new.
 */
export function transferWeights(
  graph: CompiledGraph,
  fresh: NamedWeights,
  from: NamedWeights,
): { weights: NamedWeights; kept: string[]; initialised: string[] } {
  const have = Object.entries(from).map(([name, t]) => ({ name, shape: t.shape }));
  const fitting = new Set(weightFit(graph, have).flatMap((f) => (f.fits ? [f.nodeId] : [])));
  const weights: NamedWeights = {};
  const kept: string[] = [];
  const initialised: string[] = [];
  for (const slot of parameterLayout(graph).slots) {
    if (fitting.has(slot.nodeId)) {
      weights[slot.name] = from[slot.name];
      kept.push(slot.name);
    } else {
      weights[slot.name] = fresh[slot.name];
      initialised.push(slot.name);
    }
  }
  return { weights, kept, initialised };
}
