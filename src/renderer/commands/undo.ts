import { defineAction } from './registry';

/** Goes back one step; the history holds snapshots of the graph, so every edit can be undone. */
export default defineAction({
  name: 'edit.undo',
  label: 'Undo',
  group: 'Edit',
  keys: ['Mod+Z'],
  run: (ctx) => ctx.undo(),
});
