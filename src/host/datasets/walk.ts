import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from './errors';
import type { DatasetLayout, SkippedFile, SplitName } from './types';

/** A file found inside a class folder, not yet opened. */
export interface FoundFile {
  readonly path: string;
  readonly rel: string;
  readonly split: SplitName;
  /** The class folder's name, normalised to NFC (see `classKey`). */
  readonly className: string;
}

/** A file that sits outside every class folder (at the root, or beside the train/ folder). */
export interface LooseFile {
  readonly path: string;
  readonly rel: string;
}

/** Everything the walk saw, before any file is read. */
export interface WalkResult {
  readonly layout: DatasetLayout;
  /** Per split, the class folders in it (NFC names, sorted). */
  readonly classFolders: Record<SplitName, string[]>;
  readonly files: FoundFile[];
  readonly loose: LooseFile[];
  /** Folder links that lead back to a folder already visited, and folders that could not be listed. */
  readonly skipped: SkippedFile[];
  /** Hidden files and folders (a leading dot), left alone. */
  readonly hidden: string[];
}

/** Folder names that mark a split layout, lower-cased. A Map, so that a class named "constructor" is no split. */
const SPLIT_FOLDERS = new Map<string, SplitName>([
  ['train', 'train'],
  ['val', 'validation'],
  ['validation', 'validation'],
  ['test', 'test'],
]);

/** Folders nested deeper than this inside a class folder are not followed (a guard against pathological trees). */
const MAX_DEPTH = 32;

/**
 * Class names are compared in Unicode NFC: macOS may hand back "é" decomposed (NFD) in one folder and composed
 * in another, and both must be the same class. Paths on disk are kept exactly as listed.
 */
export const classKey = (name: string): string => name.normalize('NFC');

const isHidden = (name: string): boolean => name.startsWith('.');

/** Code-point order: the same on every machine and locale, so labels and splits are reproducible. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Entry {
  name: string;
  path: string;
  isDir: boolean;
}

/** Whether a link leads to a folder; a broken link leads nowhere and is then treated as a (broken) file. */
const linksToFolder = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** Lists a folder, following links to see whether each entry is a folder. Broken links are reported as files. */
async function list(dir: string): Promise<Entry[]> {
  const dirents = await readdir(dir, { withFileTypes: true });
  const out: Entry[] = [];
  for (const d of dirents) {
    const path = join(dir, d.name);
    const isDir = d.isSymbolicLink() ? await linksToFolder(path) : d.isDirectory();
    out.push({ name: d.name, path, isDir });
  }
  out.sort((a, b) => byCodePoint(a.name, b.name));
  return out;
}

/**
 * Walks a dataset folder: decides its layout, finds the class folders and every file inside them (nested folders
 * included), and never reads a file. Symbolic-link loops cannot hang it: each folder's real path is visited once.
 */
export async function walkDataset(root: string): Promise<WalkResult> {
  let top: Entry[];
  try {
    if (!(await stat(root)).isDirectory()) throw new DatasetError(`"${root}" is a file, not a dataset folder`, root);
    top = await list(root);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`;
    throw new DatasetError(`The dataset folder "${root}" ${why}`, root);
  }

  const result: WalkResult = {
    layout: 'classes',
    classFolders: { train: [], validation: [], test: [] },
    files: [],
    loose: [],
    skipped: [],
    hidden: [],
  };
  const visited = new Set<string>([await realpath(root)]);
  const dirs = top.filter((e) => e.isDir && !isHidden(e.name));
  // A split layout is a train/ folder with only split folders beside it; otherwise "train" is just a class name.
  const isSplitLayout =
    dirs.some((d) => d.name.toLowerCase() === 'train') && dirs.every((d) => SPLIT_FOLDERS.has(d.name.toLowerCase()));

  const looseOrHidden = (entries: Entry[], relDir: string) => {
    for (const e of entries) {
      if (e.isDir && !isHidden(e.name)) continue;
      const rel = relDir + e.name;
      if (isHidden(e.name)) result.hidden.push(rel);
      else result.loose.push({ path: e.path, rel });
    }
  };
  looseOrHidden(top, '');

  const splitDirs: [SplitName, Entry, string][] = isSplitLayout
    ? dirs.map((d) => [SPLIT_FOLDERS.get(d.name.toLowerCase())!, d, `${d.name}/`])
    : [['train', { name: '', path: root, isDir: true }, '']];
  for (const [split, splitDir, relDir] of splitDirs) {
    let entries = top;
    if (isSplitLayout) {
      visited.add(await realpath(splitDir.path));
      entries = await list(splitDir.path);
      looseOrHidden(entries, relDir);
    }
    for (const classDir of entries.filter((e) => e.isDir && !isHidden(e.name))) {
      const className = classKey(classDir.name);
      // val/ and validation/ both feed the validation split; a class listed twice is still one class.
      if (!result.classFolders[split].includes(className)) result.classFolders[split].push(className);
      await walkClass(classDir.path, `${relDir}${classDir.name}/`, split, className, 0, visited, result);
    }
    result.classFolders[split].sort(byCodePoint);
  }
  return { ...result, layout: isSplitLayout ? 'splits' : 'classes' };
}

async function walkClass(
  dir: string,
  relDir: string,
  split: SplitName,
  className: string,
  depth: number,
  visited: Set<string>,
  out: WalkResult,
): Promise<void> {
  const real = await realpath(dir);
  if (visited.has(real)) {
    const reason = `folder link loops back to a folder already visited (${real}); not followed`;
    out.skipped.push({ path: dir, rel: relDir.slice(0, -1), kind: 'link-loop', reason, className });
    return;
  }
  visited.add(real);
  let entries: Entry[];
  try {
    entries = await list(dir);
  } catch (e) {
    const reason = `folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    out.skipped.push({ path: dir, rel: relDir.slice(0, -1), kind: 'unreadable', reason, className });
    return;
  }
  for (const e of entries) {
    const rel = relDir + e.name;
    if (isHidden(e.name)) out.hidden.push(rel);
    else if (!e.isDir) out.files.push({ path: e.path, rel, split, className });
    else if (depth < MAX_DEPTH) await walkClass(e.path, `${rel}/`, split, className, depth + 1, visited, out);
  }
}
