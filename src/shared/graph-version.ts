import type { Graph } from './graph';

/**
 * A short fingerprint of what the network is, not where its nodes sit: ids, types, parameters and wiring. Two runs
 * with the same version trained the same network; weights whose version differs from the canvas's are from an older
 * graph. Pure (FNV-1a, two 32-bit lanes), so that the window and the host compute the same value.
 */
export function graphVersion(graph: Graph): string {
  const structure = {
    nodes: graph.nodes.map((n) => [n.id, n.type, Object.entries(n.params).sort(([a], [b]) => (a < b ? -1 : 1))]),
    edges: graph.edges.map((e) => [e.from.node, e.from.port, e.to.node, e.to.port]),
  };
  const text = JSON.stringify(structure);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (a >>> 7), 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0').slice(0, 4);
}
