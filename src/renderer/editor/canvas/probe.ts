import type { Graph } from '../../../shared/graph';
import type { Point } from '../../commands/types';
import { NODE_HEIGHT, NODE_WIDTH, inputPortAt, outputPortAt } from './geometry';
import type { NodeText } from './node-text';
import type { Scene } from './scene';
import { toScreen, type Viewport } from './viewport';

/**
 * A read-only window onto the canvas for end-to-end tests and the benchmark, which drive the real mouse and
 * need to know where a node's ports are on screen (Konva draws pixels; there are no elements to query).
 * It answers in window (client) coordinates and never changes anything.
 */
export interface CanvasProbe {
  nodeIds(): string[];
  /** The middle of a node's title bar: where to press to select or drag it. */
  nodeGrip(id: string): Point | null;
  inputPort(id: string, port: number): Point | null;
  outputPort(id: string): Point | null;
  /** The text lines the node shows. */
  nodeText(id: string): NodeText | null;
  viewport(): Viewport;
  /** A copy of the graph being edited. */
  graph(): Graph;
  /** How the node's weights stand: trained, kept after an edit, new (see weight-marks.ts); null without weights. */
  weightMark(id: string): string | null;
}

declare global {
  interface Window {
    __convasCanvas?: CanvasProbe;
  }
}

export function installCanvasProbe(
  element: () => HTMLElement | null,
  scene: () => Scene,
  viewport: () => Viewport,
  text: (id: string) => NodeText | undefined,
  graph: () => Graph,
  mark: (id: string) => string | null = () => null,
): () => void {
  const client = (p: Point): Point | null => {
    const el = element();
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const s = toScreen(viewport(), p);
    return { x: r.left + s.x, y: r.top + s.y };
  };
  const node = (id: string) => scene().byId.get(id);
  const probe: CanvasProbe = {
    nodeIds: () => scene().nodes.map((n) => n.node.id),
    nodeGrip(id) {
      const n = node(id);
      return n
        ? client({ x: n.node.position.x + NODE_WIDTH / 2, y: n.node.position.y + Math.min(16, NODE_HEIGHT / 4) })
        : null;
    },
    inputPort(id, port) {
      const n = node(id);
      return n ? client(inputPortAt(n.node.position, port, n.inputs)) : null;
    },
    outputPort(id) {
      const n = node(id);
      return n ? client(outputPortAt(n.node.position)) : null;
    },
    nodeText: (id) => text(id) ?? null,
    viewport: () => ({ ...viewport() }),
    graph: () => JSON.parse(JSON.stringify(graph())) as Graph,
    weightMark: (id) => mark(id),
  };
  window.__convasCanvas = probe;
  return () => {
    if (window.__convasCanvas === probe) delete window.__convasCanvas;
  };
}
