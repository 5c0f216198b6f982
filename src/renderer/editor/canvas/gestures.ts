import type { Graph } from '../../../shared/graph';
import { snap } from '../../commands/graph-ops';
import type { Point, Selection } from '../../commands/types';
import type { ConnectArgs } from '../../commands/connect';
import { nodeTouches, rectBetween, type Rect } from './geometry';
import type { Hit } from './scene';

/** What the gestures act on; the canvas component wires these to the stores. */
export interface GestureHost {
  graph(): Graph;
  selection(): Selection;
  select(s: Selection): void;
  toggleNode(id: string): void;
  toggleEdge(key: string): void;
  /** Graph-coordinate positions; every move of one drag carries the same gesture id. */
  moveNodes(positions: Record<string, Point>, gesture: string): void;
  /** The drag or burst is over: the next edit is a new undo step. */
  endBurst(): void;
  /** Asks for an edge; `at` is where to show the reason if it is refused. */
  connect(args: ConnectArgs, at: Point): void;
  /** Why an edge would be refused, or null; asked while a wire hovers an input port. */
  connectionProblem(args: ConnectArgs): string | null;
  /** Moves the view by a screen-pixel distance. */
  pan(dx: number, dy: number): void;
}

/** One pointer position in both systems. */
export interface PointerAt {
  screen: Point;
  graph: Point;
}

/** The gesture in progress. The canvas draws the wire and the rubber band from it. */
export type Gesture =
  | { kind: 'idle' }
  | { kind: 'pan'; last: Point; moved: boolean }
  | { kind: 'rubber'; rect: Rect; start: Point; base: Selection }
  | { kind: 'drag'; start: Point; lead: string; origins: Map<string, Point>; id: string; moved: boolean }
  | {
      kind: 'wire';
      from: string;
      start: Point;
      end: Point;
      over: { node: string; port: number } | null;
      problem: string | null;
    };

/** A press that moves less than this many screen pixels is a click, not a drag. */
const CLICK_SLOP = 3;

let gestureCount = 0;

/**
 * The canvas's pointer logic, apart from Konva and the DOM so that it can be tested with plain calls:
 * press on a node to select and drag it (Shift adds or removes it), on an output port to draw a wire,
 * on the background to pan (Shift: rubber-band selection), anywhere with Space held (or the middle button) to pan.
 */
export class Gestures {
  state: Gesture = { kind: 'idle' };

  constructor(
    private readonly host: GestureHost,
    /** Called after every change of `state`, so a view can redraw. */
    private readonly changed: (g: Gesture) => void = () => {},
  ) {}

  private set(g: Gesture): void {
    this.state = g;
    this.changed(g);
  }

  down(hit: Hit, at: PointerAt, mods: { shift: boolean; pan: boolean }): void {
    if (mods.pan) return this.set({ kind: 'pan', last: at.screen, moved: false });
    const sel = this.host.selection();
    switch (hit.kind) {
      case 'port':
        if (hit.dir === 'out') {
          return this.set({ kind: 'wire', from: hit.id, start: at.graph, end: at.graph, over: null, problem: null });
        }
        return this.pressNode(hit.id, at, mods.shift, sel);
      case 'node':
        return this.pressNode(hit.id, at, mods.shift, sel);
      case 'edge':
        if (mods.shift) this.host.toggleEdge(hit.key);
        else this.host.select({ nodes: [], edges: [hit.key] });
        return;
      case 'background':
        if (mods.shift) {
          return this.set({ kind: 'rubber', start: at.graph, rect: rectBetween(at.graph, at.graph), base: sel });
        }
        return this.set({ kind: 'pan', last: at.screen, moved: false });
    }
  }

  private pressNode(id: string, at: PointerAt, shift: boolean, sel: Selection): void {
    if (shift) {
      this.host.toggleNode(id);
      return;
    }
    // Pressing an unselected node selects it alone; pressing a selected one keeps the group, to drag it together.
    if (!sel.nodes.includes(id)) this.host.select({ nodes: [id], edges: [] });
    const ids = this.host.selection().nodes;
    const origins = new Map<string, Point>();
    for (const n of this.host.graph().nodes) if (ids.includes(n.id)) origins.set(n.id, { ...n.position });
    this.set({ kind: 'drag', start: at.graph, lead: id, origins, id: `drag${++gestureCount}`, moved: false });
  }

  move(hit: Hit, at: PointerAt, scale: number): void {
    const g = this.state;
    switch (g.kind) {
      case 'pan': {
        this.host.pan(at.screen.x - g.last.x, at.screen.y - g.last.y);
        return this.set({ ...g, last: at.screen, moved: true });
      }
      case 'rubber':
        return this.set({ ...g, rect: rectBetween(g.start, at.graph) });
      case 'drag': {
        const dx = at.graph.x - g.start.x;
        const dy = at.graph.y - g.start.y;
        if (!g.moved && Math.hypot(dx, dy) * scale < CLICK_SLOP) return;
        // The grabbed node lands on the grid; the others keep their places relative to it.
        const lead = g.origins.get(g.lead)!;
        const snapped = snap({ x: lead.x + dx, y: lead.y + dy });
        const sx = snapped.x - lead.x;
        const sy = snapped.y - lead.y;
        const positions: Record<string, Point> = {};
        for (const [id, o] of g.origins) positions[id] = { x: o.x + sx, y: o.y + sy };
        this.host.moveNodes(positions, g.id);
        if (!g.moved) this.set({ ...g, moved: true });
        return;
      }
      case 'wire': {
        const over = hit.kind === 'port' && hit.dir === 'in' ? { node: hit.id, port: hit.port } : null;
        const problem = over ? this.host.connectionProblem({ from: { node: g.from, port: 0 }, to: over }) : null;
        return this.set({ ...g, end: at.graph, over, problem });
      }
    }
  }

  up(hit: Hit, at: PointerAt): void {
    const g = this.state;
    this.set({ kind: 'idle' });
    switch (g.kind) {
      case 'pan':
        // A click on the empty background clears the selection; a drag only moved the view.
        if (!g.moved && hit.kind === 'background') this.host.select({ nodes: [], edges: [] });
        return;
      case 'rubber': {
        const inside = this.host
          .graph()
          .nodes.filter((n) => nodeTouches(n.position, g.rect))
          .map((n) => n.id);
        return this.host.select({ nodes: [...g.base.nodes, ...inside], edges: g.base.edges });
      }
      case 'drag':
        if (g.moved) this.host.endBurst();
        return;
      case 'wire':
        if (hit.kind === 'port' && hit.dir === 'in') {
          this.host.connect({ from: { node: g.from, port: 0 }, to: { node: hit.id, port: hit.port } }, at.screen);
        }
        return;
    }
  }

  /** The pointer was lost (window blur, pointer cancel): drop the gesture, keeping what it already did. */
  cancel(): void {
    if (this.state.kind === 'drag' && this.state.moved) this.host.endBurst();
    this.set({ kind: 'idle' });
  }
}
