import { defineAction } from './registry';

/** Shows or hides the list of every shortcut (this one included). */
export default defineAction({
  name: 'help.shortcuts',
  label: 'Keyboard shortcuts',
  group: 'Help',
  keys: ['?', 'F1'],
  run: (ctx) => ctx.toggleShortcutSheet(),
});
