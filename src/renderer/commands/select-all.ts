import { defineAction } from './registry';

/** Selects every node and edge. */
export default defineAction({
  name: 'edit.selectAll',
  label: 'Select all',
  group: 'Edit',
  keys: ['Mod+A'],
  run: (ctx) =>
    ctx.select({
      nodes: ctx.graph.nodes.map((n) => n.id),
      edges: [],
    }),
});
