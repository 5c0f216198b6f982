import { MENU, NEW_PROJECT_ACCELERATOR, type MenuCommand } from '../../shared/menu';

/** The part of a KeyboardEvent a shortcut looks at. */
export interface Chord {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Whether an Electron accelerator such as 'CmdOrCtrl+Shift+S' is this key press. */
export function acceleratorMatches(accelerator: string, e: Chord, mac: boolean): boolean {
  const parts = accelerator.split('+');
  const key = parts.pop()!.toLowerCase();
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  const wantCtrl = mods.has('ctrl') || (!mac && mods.has('cmdorctrl'));
  const wantMeta = mods.has('cmd') || (mac && mods.has('cmdorctrl'));
  return (
    e.key.toLowerCase() === key &&
    e.ctrlKey === wantCtrl &&
    e.metaKey === wantMeta &&
    e.shiftKey === mods.has('shift') &&
    e.altKey === mods.has('alt')
  );
}

/**
 * The File menu's shortcuts, for pages with no native menu (the browser mode, where Ctrl+S would otherwise
 * save the web page). In the desktop app the page sees the key first, and preventing its default keeps the
 * menu from running the command a second time, so the same handler serves both.
 */
export function fileCommandFor(e: Chord, mac: boolean): MenuCommand | null {
  if (acceleratorMatches(NEW_PROJECT_ACCELERATOR, e, mac)) return { command: 'file.new' };
  const file = MENU.find((s) => s.label === 'File')!;
  for (const item of file.items) {
    if (typeof item !== 'object' || !item.accelerator || item.command === 'file.export') continue;
    if (acceleratorMatches(item.accelerator, e, mac)) return { command: item.command };
  }
  return null;
}
