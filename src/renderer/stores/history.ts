import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Graph } from '../../shared/graph';

/** How many steps back Undo can go; older snapshots are dropped. */
export const HISTORY_DEPTH = 200;
/**
 * Edits with the same coalescing key merge into one undo step while each follows the previous within this
 * many milliseconds: a drag, a run of arrow presses, a burst of typing in one field.
 */
export const COALESCE_MS = 1500;

/**
 * Undo and redo as snapshots of the whole graph, never hand-written inverses, so that every edit is undoable
 * by construction. Snapshots are JSON text: immutable, cheap for Vue to hold, and a deep copy by nature.
 */
export const useHistoryStore = defineStore('history', () => {
  const past = ref<string[]>([]);
  const future = ref<string[]>([]);
  let lastKey: string | null = null;
  let lastAt = -Infinity;

  /**
   * Called before an edit replaces `before`. A step is pushed unless the edit continues the previous one
   * (same non-null key, soon enough, not sealed since).
   */
  function record(before: Graph, key: string | null, now = Date.now()): void {
    const continues = key !== null && key === lastKey && now - lastAt <= COALESCE_MS;
    lastKey = key;
    lastAt = now;
    future.value = [];
    if (continues) return;
    past.value.push(JSON.stringify(before));
    if (past.value.length > HISTORY_DEPTH) past.value.splice(0, past.value.length - HISTORY_DEPTH);
  }

  /** Ends the current burst: the next edit is a new step even if it has the same key (pointer up, field left). */
  function seal(): void {
    lastKey = null;
  }

  /** The graph one step back, given the current one (which becomes redoable); null when there is none. */
  function undo(current: Graph): Graph | null {
    const prev = past.value.pop();
    if (prev === undefined) return null;
    future.value.push(JSON.stringify(current));
    seal();
    return JSON.parse(prev) as Graph;
  }

  function redo(current: Graph): Graph | null {
    const next = future.value.pop();
    if (next === undefined) return null;
    past.value.push(JSON.stringify(current));
    seal();
    return JSON.parse(next) as Graph;
  }

  /** Forgets everything: a new or opened project starts with an empty history. */
  function clear(): void {
    past.value = [];
    future.value = [];
    seal();
  }

  const canUndo = computed(() => past.value.length > 0);
  const canRedo = computed(() => future.value.length > 0);
  const depth = computed(() => past.value.length);

  return { past, future, record, seal, undo, redo, clear, canUndo, canRedo, depth };
});
