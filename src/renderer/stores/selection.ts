import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Selection } from '../commands/types';

const EMPTY: Selection = { nodes: [], edges: [] };

/** What is selected on the canvas: node ids and edge keys. Replaced whole, never mutated in place. */
export const useSelectionStore = defineStore('selection', () => {
  const current = shallowRef<Selection>(EMPTY);
  const nodeSet = computed(() => new Set(current.value.nodes));
  const edgeSet = computed(() => new Set(current.value.edges));

  function set(selection: Selection): void {
    current.value = { nodes: [...new Set(selection.nodes)], edges: [...new Set(selection.edges)] };
  }

  function clear(): void {
    if (current.value.nodes.length || current.value.edges.length) current.value = EMPTY;
  }

  /** Shift-click: adds the node, or removes it if it was selected. */
  function toggleNode(id: string): void {
    const nodes = nodeSet.value.has(id) ? current.value.nodes.filter((n) => n !== id) : [...current.value.nodes, id];
    current.value = { nodes, edges: current.value.edges };
  }

  function toggleEdge(key: string): void {
    const edges = edgeSet.value.has(key) ? current.value.edges.filter((e) => e !== key) : [...current.value.edges, key];
    current.value = { nodes: current.value.nodes, edges };
  }

  /** Drops ids that no longer exist (after an undo, a delete, a load). */
  function prune(nodeIds: ReadonlySet<string>, edgeKeys: ReadonlySet<string>): void {
    const nodes = current.value.nodes.filter((n) => nodeIds.has(n));
    const edges = current.value.edges.filter((e) => edgeKeys.has(e));
    if (nodes.length !== current.value.nodes.length || edges.length !== current.value.edges.length) {
      current.value = { nodes, edges };
    }
  }

  /** The one selected node, when exactly one node (and no edge) is selected: what the inspector edits. */
  const single = computed(() =>
    current.value.nodes.length === 1 && current.value.edges.length === 0 ? current.value.nodes[0] : null,
  );

  return { current, nodeSet, edgeSet, single, set, clear, toggleNode, toggleEdge, prune };
});
