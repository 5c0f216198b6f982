import { z } from 'zod';
import { untrustedDataProblem } from './safe-json';

/**
 * The graph format: plain JSON, the core of a project file and of every template.
 * Written once here; everything that reads a graph (files, IPC, the command line) parses it with this schema.
 */
export const GRAPH_VERSION = 1;

/** Node ids appear in weight names (`conv1.kernel`), file names and exports, so they stay simple. */
export const NodeId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a node id is a letter followed by up to 63 letters, digits, _ or -');

/** Parameter names are identifiers; this also refuses `__proto__` and friends. */
const ParamName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a parameter name is a letter followed by letters, digits or _');

export const ParamValue = z.union([z.number(), z.boolean(), z.string().max(64)]);

export const GraphNode = z.strictObject({
  id: NodeId,
  type: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a layer type is a lower-case name such as conv2d'),
  /** What the user calls it; the id when absent. */
  name: z.string().max(100).optional(),
  params: z.record(ParamName, ParamValue),
  position: z.strictObject({ x: z.number().finite(), y: z.number().finite() }),
});

export const PortRef = z.strictObject({ node: NodeId, port: z.int().min(0).max(63) });

export const GraphEdge = z.strictObject({ from: PortRef, to: PortRef });

export const Graph = z.strictObject({
  format: z.literal('convas-graph'),
  version: z
    .int()
    .min(1)
    .max(GRAPH_VERSION, {
      message: `this graph was made by a newer Convas; this version reads graph version ${GRAPH_VERSION}`,
    }),
  name: z.string().max(200).optional(),
  nodes: z.array(GraphNode).max(10000),
  edges: z.array(GraphEdge).max(100000),
});

export type GraphNode = z.infer<typeof GraphNode>;
export type GraphEdge = z.infer<typeof GraphEdge>;
export type Graph = z.infer<typeof Graph>;
export type ParamValue = z.infer<typeof ParamValue>;

/** Thrown when a file or payload does not match the schema; the message lists every problem with its path. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** Parses untrusted JSON-shaped data as a graph, or throws SchemaError saying what is wrong and where. */
export function parseGraph(data: unknown, source = 'graph'): Graph {
  const problem = untrustedDataProblem(data);
  if (problem) throw new SchemaError(`${source} is not a valid Convas graph: ${problem}`);
  const r = Graph.safeParse(data);
  if (!r.success) throw new SchemaError(`${source} is not a valid Convas graph:\n${z.prettifyError(r.error)}`);
  return r.data;
}

/** An empty graph. */
export function emptyGraph(): Graph {
  return { format: 'convas-graph', version: GRAPH_VERSION, nodes: [], edges: [] };
}
