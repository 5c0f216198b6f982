import { createPinia, setActivePinia } from 'pinia';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGraph, type Graph } from '../../src/shared/graph';
import { useEditorStore } from '../../src/renderer/stores/editor';
import { useGraphStore } from '../../src/renderer/stores/graph';
import { useHistoryStore } from '../../src/renderer/stores/history';
import { useSelectionStore } from '../../src/renderer/stores/selection';

/** Fresh stores for one test: a new Pinia, the graph loaded, an empty history. */
export function freshStores(graph?: Graph) {
  setActivePinia(createPinia());
  const graphStore = useGraphStore();
  if (graph) graphStore.load(graph);
  return {
    graph: graphStore,
    history: useHistoryStore(),
    selection: useSelectionStore(),
    editor: useEditorStore(),
  };
}

/** Freezes a graph all the way down, so that a command that mutates its input throws in the test. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A template from resources/templates, parsed with the graph schema. */
export function template(id: string): Graph {
  // From the project root (where vitest runs): under happy-dom, import.meta.url is not a file URL.
  const file = join(process.cwd(), 'resources', 'templates', `${id}.json`);
  return parseGraph(JSON.parse(readFileSync(file, 'utf8')), `${id}.json`);
}

/** The graph as JSON, for comparing states before and after undo. */
export const json = (g: Graph) => JSON.stringify(g);

/** A key event as the keyboard module reads it. */
export function key(k: string, mods: Partial<Record<'ctrl' | 'shift' | 'alt' | 'meta', boolean>> = {}): KeyboardEvent {
  return new KeyboardEvent('keydown', {
    key: k,
    ctrlKey: !!mods.ctrl,
    shiftKey: !!mods.shift,
    altKey: !!mods.alt,
    metaKey: !!mods.meta,
    cancelable: true,
    bubbles: true,
  });
}
