import type { Graph } from '../../shared/graph';
import { sameStructure } from '../editor/live-analysis';
import type { useGraphStore } from '../stores/graph';
import type { useHistoryStore } from '../stores/history';
import type { useSelectionStore } from '../stores/selection';

type GraphStore = ReturnType<typeof useGraphStore>;
type HistoryStore = ReturnType<typeof useHistoryStore>;
type SelectionStore = ReturnType<typeof useSelectionStore>;

/** Everything about a graph but where its nodes sit: what training depends on. */
function structureOf(g: Graph): string {
  return JSON.stringify([g.nodes.map((n) => [n.id, n.type, n.name ?? null, n.params]), g.edges]);
}

/**
 * Whether two graphs differ at most in positions. Commands keep untouched objects, so identity answers at once;
 * undo and redo rebuild the graph from a snapshot, so then the structures are compared by value.
 */
function unchanged(a: Graph, b: Graph): boolean {
  return sameStructure(a, b) || structureOf(a) === structureOf(b);
}

/** The graph actions a lock watches: every way the graph store changes the graph except loading another project. */
const EDITS = new Set(['run', 'undo', 'redo']);

/**
 * Keeps the network's structure fixed while `locked()` holds (a run is training it): an edit, undo or redo that
 * changes layers, parameters or wiring is put back as it was, history included, and `refused` tells the user why.
 * Moving nodes changes no shape and stays allowed, and everything can still be selected and read.
 *
 * It listens to the graph store's actions rather than changing the editor, so that the editor stays unaware of
 * training: the graph, both history stacks and the selection are saved before the action and restored after it.
 */
export function installCanvasLock(
  graphStore: GraphStore,
  history: HistoryStore,
  selection: SelectionStore,
  locked: () => boolean,
  refused: () => void,
): () => void {
  return graphStore.$onAction(({ name, after }) => {
    if (!EDITS.has(name) || !locked()) return;
    const graph = graphStore.graph;
    const past = [...history.past];
    const future = [...history.future];
    const selected = selection.current;
    after(() => {
      if (unchanged(graph, graphStore.graph)) return;
      history.past = past;
      history.future = future;
      graphStore.graph = graph;
      selection.set(selected);
      refused();
    });
  });
}
