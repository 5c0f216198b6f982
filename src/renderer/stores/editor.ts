import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { commands } from '../commands';
import type { Clip, EditorContext, KeyChord, Point } from '../commands/types';
import { boundsOf } from '../editor/canvas/geometry';
import { fitTo, toGraph, zoomAt, type Viewport } from '../editor/canvas/viewport';
import { useGraphStore } from './graph';
import { useSelectionStore } from './selection';

/** The smallest zoom a graph opens at: node names are still drawn 12 px high there (see nameSize). */
const LEGIBLE_SCALE = 0.4;

/** A short message shown near the pointer: why a connection was refused, for instance. */
export interface Notice {
  text: string;
  /** Where, in canvas pixels. */
  at: Point;
}

/** The editor's view state (not part of the project): the viewport, the clipboard, panels, the status bar's batch. */
export const useEditorStore = defineStore('editor', () => {
  const graphStore = useGraphStore();
  const selection = useSelectionStore();

  const viewport = ref<Viewport>({ x: 40, y: 40, scale: 1 });
  /** The canvas's size in pixels, kept up to date by the canvas. */
  const canvasSize = ref({ width: 800, height: 600 });
  const clipboard = shallowRef<Clip | null>(null);
  const shortcutSheetOpen = ref(false);
  /** The batch size the status bar's activation memory is given for. */
  const batchSize = ref(32);
  const notice = ref<Notice | null>(null);
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Shows a message near a point for a few seconds. */
  function showNotice(text: string, at: Point, ms = 4000): void {
    notice.value = { text, at };
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (notice.value = null), ms);
  }

  /**
   * Shows the whole graph. With `legible`, the zoom stays where node text can be read, and a long graph is
   * shown from its input end instead (what a newly opened project gets).
   */
  /** Takes the message away (a new gesture has begun). */
  function clearNotice(): void {
    clearTimeout(noticeTimer);
    notice.value = null;
  }

  function fitView({ legible = false }: { legible?: boolean } = {}): void {
    const b = boundsOf(graphStore.graph.nodes.map((n) => n.position));
    viewport.value = b
      ? fitTo(b, canvasSize.value, legible ? { minScale: LEGIBLE_SCALE } : {})
      : { x: 40, y: 40, scale: 1 };
  }

  function zoomBy(factor: number, about?: Point): void {
    const centre = about ?? { x: canvasSize.value.width / 2, y: canvasSize.value.height / 2 };
    viewport.value = zoomAt(viewport.value, centre, factor);
  }

  function panBy(dx: number, dy: number): void {
    viewport.value = { ...viewport.value, x: viewport.value.x + dx, y: viewport.value.y + dy };
  }

  /** The middle of what is visible, in graph coordinates: where a layer added without a drop point goes. */
  function viewCentre(): Point {
    return toGraph(viewport.value, { x: canvasSize.value.width / 2, y: canvasSize.value.height / 3 });
  }

  /** What commands see and act on. */
  const context: EditorContext = {
    get graph() {
      return graphStore.graph;
    },
    get selection() {
      return selection.current;
    },
    get clipboard() {
      return clipboard.value;
    },
    run: (command, args) => graphStore.run(command, args),
    undo: () => void graphStore.undo(),
    redo: () => void graphStore.redo(),
    select: (s) => selection.set(s),
    setClipboard: (clip) => (clipboard.value = clip),
    fitView: () => fitView(),
    zoomBy: (f) => zoomBy(f),
    toggleShortcutSheet: () => (shortcutSheetOpen.value = !shortcutSheetOpen.value),
  };

  /**
   * Runs a registered command by name (a shortcut, a menu item). Returns false when there is no such command
   * or it does not apply now (Delete with nothing selected), so that the caller can leave the key alone.
   */
  function runNamed(name: string, chord?: KeyChord): boolean {
    const command = commands.get(name);
    if (!command) return false;
    if (command.kind === 'action') {
      if (command.enabled && !command.enabled(context)) return false;
      command.run(context, chord);
      return true;
    }
    const args = command.argsFrom?.(context, chord) ?? null;
    if (args === null) return false;
    const refused = graphStore.run(command, args);
    if (refused) showNotice(refused, { x: canvasSize.value.width / 2, y: 24 });
    return true;
  }

  return {
    viewport,
    canvasSize,
    clipboard,
    shortcutSheetOpen,
    batchSize,
    notice,
    context,
    showNotice,
    clearNotice,
    fitView,
    zoomBy,
    panBy,
    viewCentre,
    runNamed,
  };
});
