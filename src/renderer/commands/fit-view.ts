import { defineAction } from './registry';

/** Zooms and pans so that the whole graph is in view. */
export default defineAction({
  name: 'view.fit',
  label: 'Fit to window',
  group: 'View',
  keys: ['F', 'Mod+0'],
  run: (ctx) => ctx.fitView(),
});
