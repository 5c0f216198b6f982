import { defineStore } from 'pinia';
import { analyseGraph } from '../../engine/graph';
import { emptyGraph, type Graph } from '../../shared/graph';

/** The layer graph being edited. Commands (a later issue) change it; components only read it. */
export const useGraphStore = defineStore('graph', {
  state: () => ({ graph: emptyGraph() as Graph }),
  getters: {
    /** Shapes and errors from the same engine code the trainer uses. */
    analysis: (s) => analyseGraph(s.graph),
  },
  actions: {
    load(graph: Graph) {
      this.graph = graph;
    },
  },
});
