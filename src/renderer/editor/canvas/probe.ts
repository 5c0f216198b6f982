import type { Graph } from '../../../shared/graph';
import type { Point } from '../../commands/types';
import {
  NODE_FONT,
  NODE_HEIGHT,
  NODE_WIDTH,
  inputPortAt,
  nameLayout,
  nameScaleFor,
  outputPortAt,
  type Rect,
} from './geometry';
import { measureName } from './measure';
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
  /**
   * How the node's name is drawn now: its font size in screen pixels, whether it fits its line whole (measured
   * with the canvas's own font), and the node's box in window coordinates.
   */
  nameLabel(id: string): { text: string; fontPx: number; fits: boolean; box: Rect } | null;
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
  let measure: CanvasRenderingContext2D | null = null;
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
    nameLabel(id) {
      const n = node(id);
      const t = text(id);
      const corner = n && client(n.node.position);
      if (!n || !t || !corner) return null;
      const scale = viewport().scale;
      const step = nameScaleFor(scale);
      if (step === 0)
        return {
          text: t.name,
          fontPx: 0,
          fits: false,
          box: { ...corner, width: NODE_WIDTH * scale, height: NODE_HEIGHT * scale },
        };
      const layout = nameLayout(measureName(t.name), step);
      // Measured again here, character by character as the canvas breaks it, so that a name that does not fit
      // on its lines shows.
      const ctx = (measure ??= document.createElement('canvas').getContext('2d'));
      if (!ctx) return null;
      ctx.font = `bold ${layout.fontSize}px ${NODE_FONT}`;
      let lines = 1;
      let line = '';
      for (const ch of t.name) {
        if (ctx.measureText(line + ch).width > layout.width) {
          lines++;
          line = ch;
        } else line += ch;
      }
      return {
        text: t.name,
        fontPx: layout.fontSize * scale,
        fits: lines <= layout.lines,
        box: { ...corner, width: NODE_WIDTH * scale, height: NODE_HEIGHT * scale },
      };
    },
    viewport: () => ({ ...viewport() }),
    graph: () => JSON.parse(JSON.stringify(graph())) as Graph,
    weightMark: (id) => mark(id),
  };
  window.__convasCanvas = probe;
  return () => {
    if (window.__convasCanvas === probe) delete window.__convasCanvas;
  };
}
