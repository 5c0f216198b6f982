import { weightFit, type CompiledGraph } from '../../engine';
import type { Graph } from '../../shared/graph';
import { graphVersion } from '../../shared/graph-version';
import type { WeightEntry } from '../../shared/project';

/**
 * What the project's weights are to each layer that has weights: `trained` on this very network, `kept` (they
 * still fit, but the network has changed since they were trained) or `new` (they do not fit: the next run
 * initialises them, and nothing can be inspected or exported until then).
 */
export type WeightMark = 'trained' | 'kept' | 'new';

export interface WeightMarks {
  marks: Map<string, WeightMark>;
  /** Why the weights cannot be used with this network (the first layer that does not fit), or null. */
  misfit: string | null;
  /** True when the weights were trained on another version of the network. */
  outdated: boolean;
}

const NONE: WeightMarks = { marks: new Map(), misfit: null, outdated: false };

/** The marks of a project's weights on `graph` (compiled, or null when it does not compile). None when untrained. */
export function weightMarks(
  graph: Graph,
  compiled: CompiledGraph | null,
  weights: readonly WeightEntry[],
  weightsGraph: string | null,
): WeightMarks {
  if (weights.length === 0 || !compiled) return NONE;
  const outdated = weightsGraph !== graphVersion(graph);
  const marks = new Map<string, WeightMark>();
  const bad: string[] = [];
  for (const fit of weightFit(compiled, weights)) {
    marks.set(fit.nodeId, fit.fits ? (outdated ? 'kept' : 'trained') : 'new');
    if (!fit.fits) bad.push(`${fit.nodeId}: ${fit.reason}`);
  }
  const misfit =
    bad.length === 0
      ? null
      : `The trained weights do not fit the network on the canvas (${bad.join('; ')}). ` +
        'Train it first: Continue keeps the layers that still fit.';
  return { marks, misfit, outdated };
}
