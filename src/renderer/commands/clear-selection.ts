import { defineAction } from './registry';

/** Deselects everything. */
export default defineAction({
  name: 'edit.clearSelection',
  label: 'Clear the selection',
  group: 'Edit',
  keys: ['Escape'],
  run: (ctx) => ctx.select({ nodes: [], edges: [] }),
});
