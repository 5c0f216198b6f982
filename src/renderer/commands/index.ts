import addNode from './add-node';
import appendNode from './append-node';
import autoLayout from './auto-layout';
import clearSelection from './clear-selection';
import connect from './connect';
import copy from './copy';
import cut from './cut';
import disconnect from './disconnect';
import duplicate from './duplicate';
import fitView from './fit-view';
import moveNodes from './move-nodes';
import nudge from './nudge';
import paste from './paste';
import redo from './redo';
import remove from './remove';
import rename from './rename';
import selectAll from './select-all';
import setParam from './set-param';
import shortcutSheet from './shortcut-sheet';
import undo from './undo';
import zoomIn from './zoom-in';
import zoomOut from './zoom-out';
import { CommandRegistry } from './registry';

/**
 * Every command, registered once. The order is the shortcut sheet's order within each group.
 * Adding a command is adding its file and one entry here.
 */
export const commands = new CommandRegistry();
for (const c of [
  undo,
  redo,
  cut,
  copy,
  paste,
  duplicate,
  remove,
  selectAll,
  clearSelection,
  addNode,
  appendNode,
  connect,
  disconnect,
  setParam,
  rename,
  moveNodes,
  nudge,
  autoLayout,
  fitView,
  zoomIn,
  zoomOut,
  shortcutSheet,
]) {
  commands.register(c);
}

export {
  addNode,
  appendNode,
  autoLayout,
  connect,
  disconnect,
  duplicate,
  moveNodes,
  nudge,
  paste,
  remove,
  rename,
  setParam,
};
export { CommandError } from './types';
export type { Clip, Command, EditCommand, EditorAction, EditorContext, KeyChord, Point, Selection } from './types';
