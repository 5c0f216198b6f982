import { commands } from '../commands';

/** Whether the key goes to a text field (or other control) rather than to the canvas. */
export function isTyping(target: EventTarget | null): boolean {
  if (!target || !(target instanceof Element)) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  return target.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** Whether the key was pressed inside a dialog (the file picker, the shortcut sheet), which handles its own keys. */
export function inDialog(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('[role="dialog"]') !== null;
}

/**
 * The editor's keydown handler: finds the command whose shortcut the key is and runs it through `runNamed`.
 * Keys typed into a field are left to the field, so Ctrl+Z there undoes text, not the graph; keys in a dialog
 * are left to the dialog, so Delete in the file picker never deletes a layer.
 * Returns whether a command took the key (the event's default is then prevented, which also keeps
 * the desktop menu from running the same command a second time).
 */
export function handleEditorKey(e: KeyboardEvent, runNamed: (name: string, e: KeyboardEvent) => boolean): boolean {
  if (e.defaultPrevented || e.isComposing || isTyping(e.target) || inDialog(e.target)) return false;
  const command = commands.forKey(e);
  if (!command || !runNamed(command.name, e)) return false;
  e.preventDefault();
  return true;
}
