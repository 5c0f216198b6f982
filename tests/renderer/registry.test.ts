import { describe, expect, it } from 'vitest';
import { commands } from '../../src/renderer/commands';
import { displayChord, matches } from '../../src/renderer/commands/keys';
import { CommandRegistry, defineAction } from '../../src/renderer/commands/registry';
import { SIMPLE_COMMANDS } from '../../src/shared/menu';

const chord = (key: string, m: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...m,
});

describe('the command registry', () => {
  it('refuses a command registered twice', () => {
    const r = new CommandRegistry();
    const a = defineAction({ name: 'x.a', label: 'A', group: 'Edit', run: () => {} });
    r.register(a);
    expect(() => r.register(a)).toThrow("command 'x.a' is registered twice");
  });

  it('refuses a shortcut already taken', () => {
    const r = new CommandRegistry();
    r.register(defineAction({ name: 'x.a', label: 'A', group: 'Edit', keys: ['Mod+K'], run: () => {} }));
    expect(() =>
      r.register(defineAction({ name: 'x.b', label: 'B', group: 'Edit', keys: ['Mod+K'], run: () => {} })),
    ).toThrow("command 'x.b' takes the shortcut Mod+K, already 'x.a's");
  });

  it('has a name and a label for every command, and handles every edit and view item of the menu', () => {
    for (const c of commands.list()) {
      expect(c.name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(c.label.length).toBeGreaterThan(2);
    }
    const menuItems = SIMPLE_COMMANDS.filter((n) => /^(edit|view)\./.test(n) || n === 'help.shortcuts');
    for (const name of menuItems) expect(commands.get(name), name).toBeDefined();
  });

  it('finds the command for a key', () => {
    expect(commands.forKey(chord('z', { ctrlKey: true }))?.name).toBe('edit.undo');
    expect(commands.forKey(chord('Z', { ctrlKey: true, shiftKey: true }))?.name).toBe('edit.redo');
    expect(commands.forKey(chord('y', { metaKey: true }))?.name).toBe('edit.redo');
    expect(commands.forKey(chord('Delete'))?.name).toBe('edit.delete');
    expect(commands.forKey(chord('Backspace'))?.name).toBe('edit.delete');
    expect(commands.forKey(chord('?', { shiftKey: true }))?.name).toBe('help.shortcuts');
    expect(commands.forKey(chord('f'))?.name).toBe('view.fit');
    expect(commands.forKey(chord('0', { ctrlKey: true }))?.name).toBe('view.fit');
    expect(commands.forKey(chord('l'))?.name).toBe('arrange.autoLayout');
    expect(commands.forKey(chord('ArrowUp', { shiftKey: true }))?.name).toBe('arrange.nudge');
    expect(commands.forKey(chord('q'))).toBeUndefined();
  });
});

describe('key chords', () => {
  it('checks every modifier, so Ctrl+Z is not Ctrl+Shift+Z nor plain Z', () => {
    expect(matches('Mod+Z', chord('z', { ctrlKey: true }))).toBe(true);
    expect(matches('Mod+Z', chord('z', { ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(matches('Mod+Z', chord('z'))).toBe(false);
    expect(matches('Mod+Z', chord('z', { ctrlKey: true, altKey: true }))).toBe(false);
  });

  it('ignores Shift for punctuation typed with it, and reads Mod++', () => {
    expect(matches('?', chord('?', { shiftKey: true }))).toBe(true);
    expect(matches('Mod++', chord('+', { ctrlKey: true, shiftKey: true }))).toBe(true);
  });

  it('reads well in the sheet, on Linux and on a Mac', () => {
    expect(displayChord('Mod+Shift+Z')).toBe('Ctrl+Shift+Z');
    expect(displayChord('Mod+Shift+Z', true)).toBe('⌘⇧Z');
    expect(displayChord('ArrowLeft')).toBe('←');
    expect(displayChord('Escape')).toBe('Esc');
  });

  it('refuses an unknown modifier', () => {
    expect(() => matches('Hyper+K', chord('k'))).toThrow("unknown modifier 'Hyper' in 'Hyper+K'");
  });
});
