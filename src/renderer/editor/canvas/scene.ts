import { getLayer } from '../../../engine';
import type { Graph, GraphEdge, GraphNode } from '../../../shared/graph';
import { edgeKey } from '../../commands/graph-ops';
import type { Point } from '../../commands/types';
import { NODE_HEIGHT, NODE_WIDTH, PORT_RADIUS, edgeCurve, inputPortAt, inputPortCount, outputPortAt } from './geometry';

/** What the canvas draws and hit-tests, worked out once per graph change. */
export interface SceneNode {
  node: GraphNode;
  /** How many input ports it shows. */
  inputs: number;
}

export interface SceneEdge {
  edge: GraphEdge;
  key: string;
  /** The Bézier's points, graph units. */
  curve: number[];
}

export interface Scene {
  nodes: SceneNode[];
  edges: SceneEdge[];
  byId: Map<string, SceneNode>;
}

export function sceneOf(graph: Graph): Scene {
  const connected = new Map<string, number>();
  for (const e of graph.edges) connected.set(e.to.node, (connected.get(e.to.node) ?? 0) + 1);
  const nodes = graph.nodes.map((node) => ({
    node,
    inputs: inputPortCount(getLayer(node.type), connected.get(node.id) ?? 0),
  }));
  const byId = new Map(nodes.map((n) => [n.node.id, n]));
  const edges: SceneEdge[] = [];
  for (const edge of graph.edges) {
    const a = byId.get(edge.from.node);
    const b = byId.get(edge.to.node);
    if (!a || !b) continue; // a broken file's edge: the engine reports it, the canvas skips it
    const from = outputPortAt(a.node.position);
    const to = inputPortAt(b.node.position, edge.to.port, Math.max(b.inputs, edge.to.port + 1));
    edges.push({ edge, key: edgeKey(edge), curve: edgeCurve(from, to) });
  }
  return { nodes, edges, byId };
}

/** What is under the pointer. */
export type Hit =
  | { kind: 'background' }
  | { kind: 'node'; id: string }
  | { kind: 'port'; id: string; dir: 'in' | 'out'; port: number }
  | { kind: 'edge'; key: string };

const near = (a: Point, b: Point, r: number) => (a.x - b.x) ** 2 + (a.y - b.y) ** 2 <= r * r;

function bezierAt(c: number[], t: number): Point {
  const u = 1 - t;
  const [a, b, d, e] = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return { x: a * c[0] + b * c[2] + d * c[4] + e * c[6], y: a * c[1] + b * c[3] + d * c[5] + e * c[7] };
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/**
 * What is at a graph point. Ports first (they sit on node borders and are small), then nodes from the top
 * (last drawn) down, then edges. `scale` keeps the grab distances the same number of screen pixels at any zoom.
 * Done in arithmetic rather than with Konva's hit canvas, which would double the cost of every redraw.
 */
export function hitTest(scene: Scene, p: Point, scale: number): Hit {
  const portReach = (PORT_RADIUS + 4) / Math.min(scale, 1);
  for (let i = scene.nodes.length - 1; i >= 0; i--) {
    const { node, inputs } = scene.nodes[i];
    const pos = node.position;
    if (p.x < pos.x - portReach || p.x > pos.x + NODE_WIDTH + portReach) continue;
    if (p.y < pos.y - portReach || p.y > pos.y + NODE_HEIGHT + portReach) continue;
    if (near(p, outputPortAt(pos), portReach)) return { kind: 'port', id: node.id, dir: 'out', port: 0 };
    for (let k = 0; k < inputs; k++) {
      if (near(p, inputPortAt(pos, k, inputs), portReach)) return { kind: 'port', id: node.id, dir: 'in', port: k };
    }
  }
  for (let i = scene.nodes.length - 1; i >= 0; i--) {
    const pos = scene.nodes[i].node.position;
    if (p.x >= pos.x && p.x <= pos.x + NODE_WIDTH && p.y >= pos.y && p.y <= pos.y + NODE_HEIGHT) {
      return { kind: 'node', id: scene.nodes[i].node.id };
    }
  }
  // 10 screen pixels either side at any zoom: an edge is as easy to hit zoomed out as in.
  const edgeReach = 10 / scale;
  for (const e of scene.edges) {
    const c = e.curve;
    // The curve stays within its control points' box.
    if (p.x < Math.min(c[0], c[2], c[4], c[6]) - edgeReach || p.x > Math.max(c[0], c[2], c[4], c[6]) + edgeReach)
      continue;
    let prev = bezierAt(c, 0);
    for (let s = 1; s <= 24; s++) {
      const next = bezierAt(c, s / 24);
      if (distanceToSegment(p, prev, next) <= edgeReach) return { kind: 'edge', key: e.key };
      prev = next;
    }
  }
  return { kind: 'background' };
}

/**
 * Where a wire being drawn would land: the nearest input port within `reach` graph units that accepts it
 * (so the wire snaps to compatible ports only), or else whatever is right under the pointer (an incompatible
 * port there still shows why it is refused).
 */
export function wireTarget(
  scene: Scene,
  p: Point,
  scale: number,
  reach: number,
  accepts: (node: string, port: number) => boolean,
): Hit {
  let best: Hit | null = null;
  let bestDistance = reach;
  for (const { node, inputs } of scene.nodes) {
    const pos = node.position;
    if (p.x < pos.x - reach || p.x > pos.x + reach || p.y < pos.y - reach || p.y > pos.y + NODE_HEIGHT + reach)
      continue;
    for (let k = 0; k < inputs; k++) {
      const q = inputPortAt(pos, k, inputs);
      const d = Math.hypot(p.x - q.x, p.y - q.y);
      if (d <= bestDistance && accepts(node.id, k)) {
        best = { kind: 'port', id: node.id, dir: 'in', port: k };
        bestDistance = d;
      }
    }
  }
  return best ?? hitTest(scene, p, scale);
}
