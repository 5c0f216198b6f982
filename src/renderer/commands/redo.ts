import { defineAction } from './registry';

/** Goes forward again after an undo. */
export default defineAction({
  name: 'edit.redo',
  label: 'Redo',
  group: 'Edit',
  keys: ['Mod+Shift+Z', 'Mod+Y'],
  run: (ctx) => ctx.redo(),
});
