import type { KeyChord } from './types';

/**
 * Key chords written as text: modifiers joined to a key with '+', e.g. 'Mod+Shift+Z', 'Delete', '?', 'Mod+='.
 * Mod is Ctrl, or ⌘ on a Mac (either works everywhere, so that a Mac keyboard on Linux behaves as expected).
 * The key is a KeyboardEvent.key value; letters match in either case.
 * A punctuation key such as '?' or '+' is typed with Shift on many layouts, so Shift is not checked for it.
 */
interface ParsedChord {
  mod: boolean;
  shift: boolean;
  alt: boolean;
  key: string;
}

function parse(chord: string): ParsedChord {
  // 'Mod++' is Mod and the '+' key: the key is whatever follows the last separator, even if it is '+'.
  const parts = chord.endsWith('++') ? [...chord.slice(0, -2).split('+'), '+'] : chord.split('+');
  const key = parts.pop()!;
  const mods = new Set(parts);
  for (const m of mods) {
    if (m !== 'Mod' && m !== 'Shift' && m !== 'Alt') throw new Error(`unknown modifier '${m}' in '${chord}'`);
  }
  return { mod: mods.has('Mod'), shift: mods.has('Shift'), alt: mods.has('Alt'), key };
}

const isPunctuation = (key: string) => key.length === 1 && !/[A-Za-z0-9 ]/.test(key);

/** Whether a key event is the chord. */
export function matches(chord: string, e: KeyChord): boolean {
  const c = parse(chord);
  const mod = e.ctrlKey || e.metaKey;
  if (c.mod !== mod || c.alt !== e.altKey) return false;
  if (!isPunctuation(c.key) && c.shift !== e.shiftKey) return false;
  return c.key.length === 1 ? e.key.toLowerCase() === c.key.toLowerCase() : e.key === c.key;
}

/** How a chord reads in the shortcut sheet: 'Ctrl+Shift+Z' (or '⌘⇧Z' on a Mac). */
export function displayChord(chord: string, mac = false): string {
  const c = parse(chord);
  const names: Record<string, string> = {
    ArrowLeft: '←',
    ArrowRight: '→',
    ArrowUp: '↑',
    ArrowDown: '↓',
    Escape: 'Esc',
    ' ': 'Space',
  };
  const key = names[c.key] ?? (c.key.length === 1 ? c.key.toUpperCase() : c.key);
  if (mac) return `${c.mod ? '⌘' : ''}${c.alt ? '⌥' : ''}${c.shift ? '⇧' : ''}${key}`;
  return [c.mod ? 'Ctrl' : '', c.alt ? 'Alt' : '', c.shift ? 'Shift' : '', key].filter(Boolean).join('+');
}
