import { analyseGraph, type GraphAnalysis, type Shape } from '../../engine';
import type { Graph } from '../../shared/graph';
import { upstream } from '../commands/graph-ops';

/** Every node's shape or error, as the canvas shows them while a graph is being built. */
export interface LiveAnalysis {
  shapes: Map<string, Shape>;
  errors: Map<string, string>;
  /** The engine's analysis of the whole graph, as the trainer will see it (its problems go to the status bar). */
  full: GraphAnalysis;
}

/**
 * The engine's analysis, made useful for a graph under construction. For the whole graph, the engine marks
 * every end as "leads nowhere" while more than one exists, and works out no shape for them, so a chain being
 * built would show no shapes until the very last edge. Here, when there are several ends, each end's feeding
 * part is analysed on its own by the same engine code, so a finished branch shows its shapes and real errors
 * (a shape mismatch, a missing input) while an unfinished branch elsewhere shows its own.
 * A graph with one end (every trainable graph) takes only the one whole-graph analysis.
 */
export function liveAnalysis(graph: Graph): LiveAnalysis {
  const full = analyseGraph(graph);
  const feeds = new Set(graph.edges.map((e) => e.from.node));
  const ends = graph.nodes.filter((n) => !feeds.has(n.id));
  if (ends.length <= 1) return { shapes: full.shapes, errors: full.errors, full };

  const shapes = new Map<string, Shape>();
  const errors = new Map<string, string>();
  for (const end of ends) {
    const part = upstream(graph, end.id);
    const a = analyseGraph({
      ...graph,
      nodes: graph.nodes.filter((n) => part.has(n.id)),
      edges: graph.edges.filter((e) => part.has(e.from.node) && part.has(e.to.node)),
    });
    for (const [id, s] of a.shapes) shapes.set(id, s);
    for (const [id, e] of a.errors) if (!errors.has(id)) errors.set(id, e);
  }
  // Whole-graph faults that no single part shows (a cycle with no end, two edges into one port) still count.
  for (const [id, e] of full.errors) if (!shapes.has(id) && !errors.has(id)) errors.set(id, e);
  return { shapes, errors, full };
}

/**
 * Whether two graphs differ at most in node positions, judged by identity: commands replace what they change
 * and keep everything else (params objects, the edge list) as it was, so this is one pass of comparisons.
 * A false "different" only costs an analysis; a false "same" cannot happen, since any change of type, params,
 * name, id or edges makes a new object there.
 */
export function sameStructure(a: Graph, b: Graph): boolean {
  if (a === b) return true;
  if (a.edges !== b.edges || a.nodes.length !== b.nodes.length) return false;
  return a.nodes.every((n, i) => {
    const m = b.nodes[i];
    return n === m || (n.id === m.id && n.type === m.type && n.name === m.name && n.params === m.params);
  });
}
