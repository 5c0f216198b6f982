import { analyseGraph } from '../../engine';
import type { Graph, GraphEdge } from '../../shared/graph';
import { describeNode, downstream, findNode, layerOf, upstream } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError } from './types';

export interface ConnectArgs {
  from: { node: string; port: number };
  to: { node: string; port: number };
}

/**
 * The shape check of a new edge: the part of the would-be graph that feeds the target is analysed by the
 * engine (the same code the trainer runs), and the target's error, if it has one, is the refusal.
 * Only that part is analysed because the rest of a graph under construction is usually unfinished
 * (dangling nodes), which would give errors that have nothing to do with this edge.
 * Nothing is refused when the target is still missing inputs or its inputs' shapes are not yet known.
 */
function shapeProblem(next: Graph, target: string): string | null {
  const feeding = upstream(next, target);
  const sub: Graph = {
    ...next,
    nodes: next.nodes.filter((n) => feeding.has(n.id)),
    edges: next.edges.filter((e) => feeding.has(e.from.node) && feeding.has(e.to.node)),
  };
  const analysis = analyseGraph(sub);
  const inputs = sub.edges.filter((e) => e.to.node === target).map((e) => e.from.node);
  const def = layerOf(findNode(next, target).type);
  if (inputs.length < def.arity[0] || inputs.some((i) => !analysis.shapes.has(i))) return null;
  return analysis.errors.get(target) ?? null;
}

/** The graph with the edge added, or CommandError saying why it cannot be. */
function connectEdge(graph: Graph, { from, to }: ConnectArgs): Graph {
  const src = findNode(graph, from.node);
  const dst = findNode(graph, to.node);
  const def = layerOf(dst.type);
  if (from.port !== 0) throw new CommandError(`${describeNode(src)} has one output, port 0`);
  if (src.id === dst.id) throw new CommandError(`cannot connect ${describeNode(src)} to itself`);
  if (def.arity[1] === 0) throw new CommandError(`${describeNode(dst)} takes no input`);
  if (to.port < 0 || to.port >= def.arity[1] || !Number.isInteger(to.port)) {
    throw new CommandError(`${describeNode(dst)} has no input port ${to.port}`);
  }
  if (graph.edges.some((e) => e.from.node === src.id && e.to.node === dst.id && e.to.port === to.port)) return graph;
  if (downstream(graph, dst.id).has(src.id)) {
    throw new CommandError(
      `connecting ${describeNode(src)} to ${describeNode(dst)} would make a cycle: ${describeNode(dst)} already feeds ${describeNode(src)}`,
    );
  }
  // An input port takes one edge: a new one replaces the old. Ports fill from 0, so a drop beyond the
  // ports in use lands on the next free one.
  const others = graph.edges.filter((e) => !(e.to.node === dst.id && e.to.port === to.port));
  const used = others.filter((e) => e.to.node === dst.id).length;
  const port = Math.min(to.port, used);
  const edge: GraphEdge = { from: { node: src.id, port: 0 }, to: { node: dst.id, port } };
  const next = { ...graph, edges: [...others, edge] };
  const problem = shapeProblem(next, dst.id);
  if (problem) throw new CommandError(`cannot connect ${describeNode(src)} to ${describeNode(dst)}: ${problem}`);
  return next;
}

/** Why an edge would be refused, or null when it would be accepted; the canvas asks while a wire is dragged. */
export function connectionProblem(graph: Graph, args: ConnectArgs): string | null {
  try {
    connectEdge(graph, args);
    return null;
  } catch (e) {
    if (e instanceof CommandError) return e.message;
    throw e;
  }
}

/** Wires an output port to an input port; a cycle or a shape mismatch is refused with the reason. */
export default defineEdit<ConnectArgs>({
  name: 'graph.connect',
  label: 'Connect',
  group: 'Edit',
  perform: (graph, args) => ({ graph: connectEdge(graph, args) }),
});
