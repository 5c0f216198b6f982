// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate } from '../../electron/main/menu';
import { acceleratorMatches, fileCommandFor, type Chord } from '../../src/renderer/shell/file-keys';
import { routeMenuCommand, type MenuTargets } from '../../src/renderer/shell/menu-routing';
import { SIMPLE_COMMANDS, shortcutList, type MenuCommand } from '../../src/shared/menu';

const chord = (key: string, mods: Partial<Chord> = {}): Chord => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

function targets(editorHandles = true) {
  const calls: string[] = [];
  const t: MenuTargets = {
    newProject: (id) => calls.push(`new:${id ?? ''}`),
    open: () => calls.push('open'),
    openRecent: (p) => calls.push(`recent:${p}`),
    save: () => calls.push('save'),
    saveAs: () => calls.push('saveAs'),
    about: () => calls.push('about'),
    editor: (name) => (calls.push(`editor:${name}`), editorHandles),
    unavailable: (label) => calls.push(`unavailable:${label}`),
  };
  return { t, calls };
}

describe('in-page file shortcuts', () => {
  it('match the native menu accelerators, Ctrl on Linux and Windows, Cmd on macOS', () => {
    expect(acceleratorMatches('CmdOrCtrl+Shift+S', chord('S', { ctrlKey: true, shiftKey: true }), false)).toBe(true);
    expect(acceleratorMatches('CmdOrCtrl+Shift+S', chord('s', { metaKey: true, shiftKey: true }), true)).toBe(true);
    expect(acceleratorMatches('CmdOrCtrl+S', chord('s', { ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(acceleratorMatches('CmdOrCtrl+S', chord('s', { metaKey: true }), false)).toBe(false);
    expect(fileCommandFor(chord('s', { ctrlKey: true }), false)).toEqual({ command: 'file.save' });
    expect(fileCommandFor(chord('S', { ctrlKey: true, shiftKey: true }), false)).toEqual({ command: 'file.saveAs' });
    expect(fileCommandFor(chord('o', { metaKey: true }), true)).toEqual({ command: 'file.open' });
    expect(fileCommandFor(chord('n', { ctrlKey: true }), false)).toEqual({ command: 'file.new' });
    expect(fileCommandFor(chord('z', { ctrlKey: true }), false)).toBeNull();
    expect(fileCommandFor(chord('s'), false)).toBeNull();
  });

  it('list every accelerator of the native menu in the shortcut list', () => {
    const native: string[] = [];
    const walk = (items: { accelerator?: string; submenu?: unknown }[]) => {
      for (const i of items) {
        if (i.accelerator) native.push(i.accelerator);
        if (Array.isArray(i.submenu)) walk(i.submenu as typeof items);
      }
    };
    walk(
      buildMenuTemplate({ templates: [], recent: [], send: () => undefined, isMac: false, developer: false }) as never,
    );
    expect(
      shortcutList()
        .map((s) => s.accelerator)
        .sort(),
    ).toEqual(native.sort());
  });
});

describe('menu command routing', () => {
  it('does the file actions and About in the shell, and hands the rest to the editor', () => {
    const { t, calls } = targets();
    const commands: MenuCommand[] = [
      { command: 'file.new', templateId: 'small-mlp' },
      { command: 'file.openRecent', path: '/p/a.convas' },
      { command: 'file.open' },
      { command: 'file.save' },
      { command: 'file.saveAs' },
      { command: 'help.about' },
      { command: 'edit.undo' },
      { command: 'view.fit' },
      { command: 'help.shortcuts' },
    ];
    for (const c of commands) routeMenuCommand(c, t, document.body);
    expect(calls).toEqual([
      'new:small-mlp',
      'recent:/p/a.convas',
      'open',
      'save',
      'saveAs',
      'about',
      'editor:edit.undo',
      'editor:view.fit',
      'editor:help.shortcuts',
    ]);
  });

  it('edits the text of a focused field instead of the graph', () => {
    const { t, calls } = targets();
    const input = document.createElement('input');
    document.body.append(input);
    const exec = vi.fn(() => true);
    document.execCommand = exec;
    routeMenuCommand({ command: 'edit.copy' }, t, input);
    routeMenuCommand({ command: 'edit.selectAll' }, t, input);
    routeMenuCommand({ command: 'view.zoomIn' }, t, input);
    expect(exec.mock.calls).toEqual([['copy'], ['selectAll']]);
    expect(calls).toEqual(['editor:view.zoomIn']);
  });

  it('says so when nothing can carry out Export yet', () => {
    const { t, calls } = targets(false);
    routeMenuCommand({ command: 'file.export' }, t, document.body);
    expect(calls).toEqual(['editor:file.export', 'unavailable:Export']);
    expect(SIMPLE_COMMANDS).toContain('file.export');
  });
});
