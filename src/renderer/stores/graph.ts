import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { emptyGraph, type Graph } from '../../shared/graph';
import { edgeKey } from '../commands/graph-ops';
import { CommandError, type EditCommand } from '../commands/types';
import { liveAnalysis, sameStructure, type LiveAnalysis } from '../editor/live-analysis';
import { graphMetrics, type GraphMetrics } from '../editor/metrics';
import { useHistoryStore } from './history';
import { useSelectionStore } from './selection';

/**
 * The layer graph being edited. Only commands change it (through `run`), and every change goes through the
 * history, so that it can be undone. The graph is replaced, never mutated: each command returns a new object
 * that shares the nodes it did not touch, so that views of unchanged nodes do not redraw.
 */
export const useGraphStore = defineStore('graph', () => {
  const history = useHistoryStore();
  const selection = useSelectionStore();

  /** Held shallowly: it is immutable, so Vue has no need to watch inside it. */
  const graph = shallowRef<Graph>(emptyGraph());
  /** The graph as last loaded or saved, to tell whether there are unsaved changes. */
  const savedJson = ref(JSON.stringify(graph.value));
  /** Counts changes (edits, undo, redo, load), so that others can react to "the graph changed". */
  const revision = ref(0);
  /** Counts loads (open, new, template, restore), so that the view can fit a graph that replaced another. */
  const loads = ref(0);

  /**
   * Shapes and errors from the same engine code the trainer uses (`analysis.full` is exactly what the trainer
   * sees; the per-node shapes also cover a graph still being built, see liveAnalysis).
   * A move changes positions only, which shapes do not depend on, so the last analysis is kept for it: dragging
   * two hundred nodes does not re-run the engine on every pointer move.
   */
  let analysed: { graph: Graph; analysis: LiveAnalysis; metrics: GraphMetrics } | null = null;
  const structural = computed(() => {
    if (!analysed || !sameStructure(analysed.graph, graph.value)) {
      const a = liveAnalysis(graph.value);
      analysed = { graph: graph.value, analysis: a, metrics: graphMetrics(graph.value, a) };
    }
    return analysed;
  });
  const analysis = computed(() => structural.value.analysis);
  /** Per-node parameter counts and MACs, and the status bar's totals. */
  const metrics = computed(() => structural.value.metrics);
  /** True when the graph differs from what was last loaded or saved (undoing back to it makes it clean). */
  const dirty = computed(() => JSON.stringify(graph.value) !== savedJson.value);

  function replace(next: Graph): void {
    graph.value = next;
    revision.value++;
    selection.prune(new Set(next.nodes.map((n) => n.id)), new Set(next.edges.map(edgeKey)));
  }

  /**
   * Runs an edit: the graph before it goes on the undo stack (merged with the previous step when the command's
   * coalescing key says so), and its result becomes the graph. Returns the reason when the edit is refused.
   */
  function run<A>(command: EditCommand<A>, args: A): string | null {
    let result;
    try {
      result = command.perform(graph.value, args);
    } catch (e) {
      if (e instanceof CommandError) return e.message;
      throw e;
    }
    if (result.graph !== graph.value) {
      history.record(graph.value, command.coalesceKey?.(args) ?? null);
      replace(result.graph);
    }
    if (result.select) selection.set(result.select);
    return null;
  }

  function undo(): boolean {
    const prev = history.undo(graph.value);
    if (prev) replace(prev);
    return prev !== null;
  }

  function redo(): boolean {
    const next = history.redo(graph.value);
    if (next) replace(next);
    return next !== null;
  }

  /**
   * Shows a graph that was opened, restored or made from a template: the history starts over and nothing is
   * selected. `saved` says whether it matches its file (false for a restored backup or a new template).
   */
  function load(next: Graph, { saved = true }: { saved?: boolean } = {}): void {
    history.clear();
    selection.clear();
    graph.value = next;
    revision.value++;
    loads.value++;
    savedJson.value = saved ? JSON.stringify(next) : '';
  }

  /** Records that the current graph is what the file now holds. */
  function markSaved(): void {
    savedJson.value = JSON.stringify(graph.value);
  }

  return { graph, revision, loads, analysis, metrics, dirty, run, undo, redo, load, markSaved };
});
