import { defineAction } from './registry';

/** One zoom step further away, about the centre of the view. */
export default defineAction({
  name: 'view.zoomOut',
  label: 'Zoom out',
  group: 'View',
  keys: ['Mod+-'],
  run: (ctx) => ctx.zoomBy(1 / 1.25),
});
