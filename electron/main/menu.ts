import type { MenuItemConstructorOptions } from 'electron';
import type { RecentEntry, TemplateSummary } from '../../src/shared/api';
import { MENU, NEW_FROM_TEMPLATE_LABEL, NEW_PROJECT_ACCELERATOR, type MenuCommand } from '../../src/shared/menu';

export interface MenuContext {
  templates: TemplateSummary[];
  recent: RecentEntry[];
  /** Sends a command to the window, which carries it out (asking about unsaved changes where needed). */
  send: (command: MenuCommand) => void;
  isMac: boolean;
  /** Adds Reload and Developer Tools to View (development builds only). */
  developer: boolean;
}

/**
 * The application menu, built from the shared MENU description. Every item sends a typed menu command to the
 * window; only Quit (and the macOS app menu) use Electron's built-in roles.
 */
export function buildMenuTemplate(ctx: MenuContext): MenuItemConstructorOptions[] {
  const sections: MenuItemConstructorOptions[] = MENU.map((section) => ({
    label: section.label,
    submenu: section.items.flatMap((item): MenuItemConstructorOptions[] => {
      if (item === 'separator') return [{ type: 'separator' }];
      if (item === 'quit') return ctx.isMac ? [] : [{ role: 'quit' }];
      if (item === 'templates') return [templatesMenu(ctx)];
      if (item === 'recent') return [recentMenu(ctx)];
      const command = item.command;
      return [{ label: item.label, accelerator: item.accelerator, click: () => ctx.send({ command }) }];
    }),
  }));
  if (ctx.developer) {
    const view = sections.find((s) => s.label === 'View')!;
    (view.submenu as MenuItemConstructorOptions[]).push(
      { type: 'separator' },
      { role: 'reload' },
      { role: 'toggleDevTools' },
    );
  }
  return ctx.isMac ? [{ role: 'appMenu' }, ...sections] : sections;
}

function templatesMenu(ctx: MenuContext): MenuItemConstructorOptions {
  const usable = ctx.templates.filter((t) => !t.problem);
  return {
    label: NEW_FROM_TEMPLATE_LABEL,
    submenu: [
      { label: 'Empty Project', accelerator: NEW_PROJECT_ACCELERATOR, click: () => ctx.send({ command: 'file.new' }) },
      ...(usable.length > 0 ? [{ type: 'separator' as const }] : []),
      ...usable.map((t) => ({ label: t.name, click: () => ctx.send({ command: 'file.new', templateId: t.id }) })),
    ],
  };
}

function recentMenu(ctx: MenuContext): MenuItemConstructorOptions {
  const entries = ctx.recent.filter((r) => r.exists);
  return {
    label: 'Open Recent',
    enabled: entries.length > 0,
    submenu: entries.map((r) => ({
      label: r.name,
      toolTip: r.path,
      click: () => ctx.send({ command: 'file.openRecent', path: r.path }),
    })),
  };
}
