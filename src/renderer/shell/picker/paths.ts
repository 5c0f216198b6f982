import type { DialogRequest } from '../../../shared/api';

/**
 * The in-page picker's path arithmetic, apart from the component so that it can be tested alone. The host
 * speaks in paths relative to its root ('/'-separated, '' for the root); the user types and sees absolute ones.
 */

/** `rel` under `root` as the user sees it. */
export function toAbsolute(root: string, rel: string): string {
  if (rel === '') return root;
  return root.endsWith('/') ? `${root}${rel}` : `${root}/${rel}`;
}

/**
 * What the user typed (absolute, `~`-relative, or relative to the folder shown) as a path relative to the
 * root; an Error that says why when it leads outside the root.
 */
export function toRelative(
  typed: string,
  o: { root: string; home: string | null; current: string; confined: boolean },
): string | Error {
  let path = typed.trim();
  if (path === '~' || path.startsWith('~/')) {
    if (o.home === null) return new Error('your home folder is outside the folder this server may use (--root)');
    path = toAbsolute(o.root, o.home) + path.slice(1);
  } else if (!path.startsWith('/')) {
    path = `${toAbsolute(o.root, o.current)}/${path}`;
  }
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const rootParts = o.root.split('/').filter((p) => p !== '');
  const inside = rootParts.every((p, i) => parts[i] === p);
  if (!inside) {
    return new Error(
      `'/${parts.join('/')}' is outside ${o.root}, the only folder this server may use` +
        (o.confined ? ' (it was started with --root)' : ''),
    );
  }
  return parts.slice(rootParts.length).join('/');
}

/** The folder part and the name being typed: '/home/ann/Do' → ['/home/ann/', 'Do']. */
export function splitTyped(typed: string): [string, string] {
  const slash = typed.lastIndexOf('/');
  return slash < 0 ? ['', typed] : [typed.slice(0, slash + 1), typed.slice(slash + 1)];
}

/** The longest start that every name shares (what Tab completes to). */
export function commonPrefix(names: string[]): string {
  if (names.length === 0) return '';
  let prefix = names[0]!;
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** What a dialog is for: dataset folders, projects (open and save alike), one export format… */
export function purposeOf(request: Pick<DialogRequest, 'kind' | 'extensions'>): string {
  return request.kind === 'folder' ? 'folder' : request.extensions.join(',') || 'file';
}

const KEY = 'convas.picker';
const RECENT = 6;

interface Memory {
  /** Per purpose: the folders used, the latest first. */
  [purpose: string]: string[];
}

function read(storage: Storage): Memory {
  try {
    const value: unknown = JSON.parse(storage.getItem(KEY) ?? '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const memory: Memory = {};
    for (const [k, v] of Object.entries(value)) {
      if (Array.isArray(v)) memory[k] = v.filter((s): s is string => typeof s === 'string').slice(0, RECENT);
    }
    return memory;
  } catch {
    return {};
  }
}

/**
 * The folders used per purpose, kept in the page's storage (per server address, which stays the same across
 * restarts): the first one is where the picker opens next time.
 */
export class PickerMemory {
  constructor(private readonly storage: Storage) {}

  recent(purpose: string): string[] {
    return read(this.storage)[purpose] ?? [];
  }

  used(purpose: string, folder: string): void {
    const memory = read(this.storage);
    memory[purpose] = [folder, ...(memory[purpose] ?? []).filter((f) => f !== folder)].slice(0, RECENT);
    try {
      this.storage.setItem(KEY, JSON.stringify(memory));
    } catch {
      // Storage full or refused: the picker then opens at home, as the first time.
    }
  }

  forget(purpose: string, folder: string): void {
    const memory = read(this.storage);
    memory[purpose] = (memory[purpose] ?? []).filter((f) => f !== folder);
    this.storage.setItem(KEY, JSON.stringify(memory));
  }
}
