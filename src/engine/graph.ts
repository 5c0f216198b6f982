import type { Graph, GraphNode } from '../shared/graph';
import { getLayer, resolveParams } from './layers/registry';
import { checkMemory } from './memory';
import { ShapeError, type LayerDef, type Params, type WeightSpec } from './layers/types';
import type { Shape } from './tensor';

/** A problem with the graph, naming the node at fault when there is one. */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    message: string,
    readonly nodeId?: string,
  ) {
    super(message);
  }
}

export interface CompiledNode {
  id: string;
  /** The user's name for it, or the id. */
  name: string;
  def: LayerDef;
  params: Params;
  /** Ids of the nodes feeding it, in port order. */
  inputs: string[];
  inShapes: Shape[];
  outShape: Shape;
  weightSpecs: WeightSpec[];
}

export interface CompiledGraph {
  /** Nodes in topological order: every node after all of its inputs. */
  nodes: CompiledNode[];
  byId: Map<string, CompiledNode>;
  inputId: string;
  outputId: string;
  inputShape: Shape;
  outputShape: Shape;
}

/** What the canvas shows for a graph: each node's shape or its error, and problems of the whole graph. */
export interface GraphAnalysis {
  shapes: Map<string, Shape>;
  errors: Map<string, string>;
  /** Notices about valid nodes (rows a window leaves unread), by node id: shown, never blocking. */
  notices: Map<string, string>;
  /** Problems not tied to one node (no input node, more than one output). */
  problems: string[];
  compiled: CompiledGraph | null;
}

function describe(n: GraphNode): string {
  const def = getLayer(n.type);
  const label = def ? def.label : n.type;
  return n.name && n.name !== n.id ? `'${n.name}' (${label}, ${n.id})` : `'${n.id}' (${label})`;
}

/**
 * Checks a graph and works out every shape, collecting all problems rather than stopping at the first,
 * so that the canvas can mark every bad node at once. The trainer calls compileGraph, which throws the first.
 */
export function analyseGraph(graph: Graph): GraphAnalysis {
  const shapes = new Map<string, Shape>();
  const errors = new Map<string, string>();
  const notices = new Map<string, string>();
  const problems: string[] = [];
  const fail = (n: GraphNode, msg: string) => {
    if (!errors.has(n.id)) errors.set(n.id, `node ${describe(n)}: ${msg}`);
  };

  const nodes = new Map<string, GraphNode>();
  for (const n of graph.nodes) {
    if (nodes.has(n.id)) problems.push(`two nodes share the id '${n.id}'`);
    nodes.set(n.id, n);
  }

  // Wiring: who feeds whom, one edge per input port.
  const inputsOf = new Map<string, (string | undefined)[]>();
  const consumers = new Map<string, string[]>();
  for (const n of nodes.values()) {
    inputsOf.set(n.id, []);
    consumers.set(n.id, []);
  }
  for (const e of graph.edges) {
    const from = nodes.get(e.from.node);
    const to = nodes.get(e.to.node);
    if (!from || !to) {
      problems.push(`an edge refers to a missing node '${!from ? e.from.node : e.to.node}'`);
      continue;
    }
    if (e.from.port !== 0) {
      fail(from, `has one output (port 0), but an edge leaves its port ${e.from.port}`);
      continue;
    }
    const ports = inputsOf.get(to.id)!;
    if (ports[e.to.port] !== undefined) {
      fail(to, `input port ${e.to.port} has two incoming edges`);
      continue;
    }
    ports[e.to.port] = from.id;
    consumers.get(from.id)!.push(to.id);
  }

  // Layer types, params and arity.
  const defs = new Map<string, LayerDef>();
  const params = new Map<string, Params>();
  for (const n of nodes.values()) {
    const def = getLayer(n.type);
    if (!def) {
      fail(n, `unknown layer type '${n.type}'`);
      continue;
    }
    defs.set(n.id, def);
    try {
      params.set(n.id, resolveParams(def, n.params));
    } catch (e) {
      fail(n, (e as Error).message);
    }
    const ports = inputsOf.get(n.id)!;
    const connected = ports.filter((p) => p !== undefined).length;
    const [min, max] = def.arity;
    if (connected < min) {
      fail(
        n,
        min === 1
          ? 'has no input; connect a layer to it or delete it'
          : `needs at least ${min} inputs, has ${connected}`,
      );
    } else if (connected > max) {
      fail(n, max === 0 ? 'takes no input' : `takes at most ${max} input${max === 1 ? '' : 's'}, has ${connected}`);
    } else if (connected !== ports.length) {
      fail(n, `its input ports must be filled from 0 without gaps`);
    }
  }

  // Input and output of the whole network.
  const inputNodes = [...nodes.values()].filter((n) => n.type === 'input');
  if (inputNodes.length === 0) problems.push('the graph has no Input node; add one from the palette');
  else if (inputNodes.length > 1)
    problems.push(
      `the graph has ${inputNodes.length} Input nodes (${inputNodes.map((n) => n.id).join(', ')}); a network takes one`,
    );
  const sinks = [...nodes.values()].filter((n) => consumers.get(n.id)!.length === 0);
  if (nodes.size > 0 && sinks.length === 0)
    problems.push('the graph has no output: every node feeds another, so there is a cycle');
  if (sinks.length > 1) {
    // The sink deepest in the graph is the likely output; the others are dangling.
    for (const s of sinks) fail(s, 'leads nowhere: connect its output to the network or delete it');
    problems.push(
      `the graph has ${sinks.length} ends (${sinks.map((n) => n.id).join(', ')}); a network has exactly one output`,
    );
  }

  // Topological order (Kahn); what is left over sits on or behind a cycle.
  const indeg = new Map<string, number>();
  for (const n of nodes.values()) indeg.set(n.id, inputsOf.get(n.id)!.filter((p) => p !== undefined).length);
  const queue = [...nodes.values()].filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const c of consumers.get(id)!) {
      indeg.set(c, indeg.get(c)! - 1);
      if (indeg.get(c) === 0) queue.push(c);
    }
  }
  if (order.length < nodes.size) {
    const stuck = [...nodes.values()].filter((n) => !order.includes(n.id));
    for (const n of stuck) fail(n, 'is part of a cycle; a network must flow one way from input to output');
    problems.push(`the graph has a cycle through ${stuck.map((n) => n.id).join(', ')}`);
  }

  // Nodes that the input never reaches (an isolated chain) cannot be computed.
  const reached = new Set<string>(inputNodes.map((n) => n.id));
  for (const id of order) {
    const ins = inputsOf.get(id)!;
    if (ins.length > 0 && ins.every((p) => p !== undefined && reached.has(p))) reached.add(id);
  }
  for (const n of nodes.values()) {
    if (!reached.has(n.id) && n.type !== 'input') fail(n, 'is not connected to the Input node');
  }

  // Shapes, in topological order, stopping at the first error on each path.
  const compiledNodes: CompiledNode[] = [];
  for (const id of order) {
    const n = nodes.get(id)!;
    const def = defs.get(id);
    const p = params.get(id);
    if (!def || !p || errors.has(id)) continue;
    const ins = inputsOf.get(id)! as string[];
    const inShapes = ins.map((i) => shapes.get(i));
    if (inShapes.some((s) => s === undefined)) continue; // an upstream node already failed
    try {
      const outShape = def.inferShape(inShapes as Shape[], p);
      if (outShape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ShapeError(`output shape [${outShape.join('×')}] has a size below 1`);
      }
      shapes.set(id, outShape);
      const notice = def.notice?.(inShapes as Shape[], p);
      if (notice) notices.set(id, `node ${describe(n)}: ${notice}`);
      const weightSpecs = def.weights ? def.weights(inShapes as Shape[], p) : [];
      compiledNodes.push({
        id,
        name: n.name ?? id,
        def,
        params: p,
        inputs: ins,
        inShapes: inShapes as Shape[],
        outShape,
        weightSpecs,
      });
    } catch (e) {
      fail(n, (e as Error).message);
    }
  }

  let compiled: CompiledGraph | null = null;
  if (problems.length === 0 && errors.size === 0 && inputNodes.length === 1 && sinks.length === 1) {
    const byId = new Map(compiledNodes.map((c) => [c.id, c]));
    compiled = {
      nodes: compiledNodes,
      byId,
      inputId: inputNodes[0].id,
      outputId: sinks[0].id,
      inputShape: shapes.get(inputNodes[0].id)!,
      outputShape: shapes.get(sinks[0].id)!,
    };
  }
  return { shapes, errors, notices, problems, compiled };
}

/**
 * A runnable description of the graph, or a GraphError for the first problem (naming its node when one is at
 * fault), or a MemoryError when its weights alone cannot fit the memory the host set (see memory.ts).
 */
export function compileGraph(graph: Graph): CompiledGraph {
  const a = analyseGraph(graph);
  if (a.compiled) {
    checkMemory(a.compiled);
    return a.compiled;
  }
  // A node's own error says more precisely what to fix than a whole-graph summary of it.
  const first = a.errors.entries().next();
  if (!first.done) throw new GraphError(first.value[1], first.value[0]);
  throw new GraphError(a.problems[0] ?? 'the graph cannot be compiled');
}
