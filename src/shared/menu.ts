import { z } from 'zod';

/**
 * The application menu as data: the Electron main process builds its native menu from it and the renderer
 * lists the shortcuts from it, so that the two never disagree. A click becomes a `menuCommand` event that the
 * renderer handles (file actions in the shell; edit and view actions in the editor, which registers for them).
 */
export const SIMPLE_COMMANDS = [
  'file.open',
  'file.save',
  'file.saveAs',
  'file.export',
  'edit.undo',
  'edit.redo',
  'edit.cut',
  'edit.copy',
  'edit.paste',
  'edit.delete',
  'edit.selectAll',
  'view.zoomIn',
  'view.zoomOut',
  'view.fit',
  'help.about',
  'help.shortcuts',
] as const;
export type SimpleCommand = (typeof SIMPLE_COMMANDS)[number];

/** Template ids are file names without `.json` under resources/templates. */
export const TemplateId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a template id is lower-case letters, digits and -, as its file name');

/** An absolute path as the host reported it (from a dialog or the recent list); the host re-checks it. */
export const FilePath = z.string().min(1).max(4096);

/** What a menu click asks the renderer to do. */
export const MenuCommand = z.union([
  z.strictObject({ command: z.literal('file.new'), templateId: TemplateId.optional() }),
  z.strictObject({ command: z.literal('file.openRecent'), path: FilePath }),
  z.strictObject({ command: z.enum(SIMPLE_COMMANDS) }),
]);
export type MenuCommand = z.infer<typeof MenuCommand>;
export type MenuCommandName = MenuCommand['command'];

/** One item of a menu section: a command with its label and Electron accelerator. */
export interface MenuItemSpec {
  command: SimpleCommand;
  label: string;
  /** Electron accelerator syntax; the shortcut list shows it with CmdOrCtrl spelled for the platform. */
  accelerator?: string;
}

/** One top-level menu. `recent` and `templates` mark where the dynamic submenus go. */
export interface MenuSectionSpec {
  label: 'File' | 'Edit' | 'View' | 'Help';
  items: (MenuItemSpec | 'separator' | 'recent' | 'templates' | 'quit')[];
}

export const MENU: readonly MenuSectionSpec[] = [
  {
    label: 'File',
    items: [
      'templates',
      { command: 'file.open', label: 'Open…', accelerator: 'CmdOrCtrl+O' },
      'recent',
      'separator',
      { command: 'file.save', label: 'Save', accelerator: 'CmdOrCtrl+S' },
      { command: 'file.saveAs', label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S' },
      { command: 'file.export', label: 'Export…', accelerator: 'CmdOrCtrl+E' },
      'separator',
      'quit',
    ],
  },
  {
    label: 'Edit',
    items: [
      { command: 'edit.undo', label: 'Undo', accelerator: 'CmdOrCtrl+Z' },
      { command: 'edit.redo', label: 'Redo', accelerator: 'CmdOrCtrl+Shift+Z' },
      'separator',
      { command: 'edit.cut', label: 'Cut', accelerator: 'CmdOrCtrl+X' },
      { command: 'edit.copy', label: 'Copy', accelerator: 'CmdOrCtrl+C' },
      { command: 'edit.paste', label: 'Paste', accelerator: 'CmdOrCtrl+V' },
      { command: 'edit.delete', label: 'Delete', accelerator: 'Delete' },
      { command: 'edit.selectAll', label: 'Select All', accelerator: 'CmdOrCtrl+A' },
    ],
  },
  {
    label: 'View',
    items: [
      { command: 'view.zoomIn', label: 'Zoom In', accelerator: 'CmdOrCtrl+=' },
      { command: 'view.zoomOut', label: 'Zoom Out', accelerator: 'CmdOrCtrl+-' },
      { command: 'view.fit', label: 'Fit to Window', accelerator: 'CmdOrCtrl+0' },
    ],
  },
  {
    label: 'Help',
    items: [
      { command: 'help.about', label: 'About Convas' },
      { command: 'help.shortcuts', label: 'Keyboard Shortcuts', accelerator: 'F1' },
    ],
  },
];

/** Label of the File menu's template submenu, whose items send `file.new` with a template id. */
export const NEW_FROM_TEMPLATE_LABEL = 'New from Template';
/** The shortcut of its first item, an empty project. */
export const NEW_PROJECT_ACCELERATOR = 'CmdOrCtrl+N';

/** Every command with a shortcut, for the shortcut list (help.shortcuts). */
export function shortcutList(): { label: string; accelerator: string }[] {
  const out = [{ label: `File › ${NEW_FROM_TEMPLATE_LABEL} › Empty Project`, accelerator: NEW_PROJECT_ACCELERATOR }];
  for (const section of MENU) {
    for (const item of section.items) {
      if (typeof item === 'object' && item.accelerator) {
        out.push({ label: `${section.label} › ${item.label}`, accelerator: item.accelerator });
      }
    }
  }
  return out;
}
