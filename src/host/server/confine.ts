import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A path the browser mode refuses: outside its root folder, missing, or malformed. */
export class PathError extends Error {
  override name = 'PathError';
}

/** True when `path` is `root` or below it. Both must be absolute and normalised. */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `path` (inside `root`) as the pickers show it: relative, '/'-separated, '' for the root. */
export function toRelative(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** `rel` (relative to `root`, '/'-separated) as an absolute path before links are followed; refused above the root. */
export function lexicalInside(root: string, rel: string): string {
  const lexical = resolve(root, ...rel.split('/').filter((s) => s !== ''));
  if (!isInside(root, lexical)) throw new PathError(`'${rel}' is outside the folder '${root}'`);
  return lexical;
}

/**
 * The real path of `rel` (relative to `root`, '/'-separated) after following every link, refused unless it
 * stays inside `root`. `root` must itself be a real path. Checking both before and after `realpath` refuses
 * `../` tricks and links that lead out alike.
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  if (rel.includes('\0')) throw new PathError('a path cannot contain a NUL character');
  if (rel.startsWith('/') || rel.includes('\\') || isAbsolute(rel)) {
    throw new PathError(`'${rel}' is not a path relative to the folder '${root}'`);
  }
  const lexical = lexicalInside(root, rel);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw new PathError(`'${rel}' does not exist in '${root}'`);
  }
  if (!isInside(root, real)) throw new PathError(`'${rel}' leads outside the folder '${root}' through a link`);
  return real;
}

/**
 * Refuses an absolute path unless it is inside `root` once links are followed. A path that does not exist yet
 * (a file about to be saved) is judged by its folder.
 */
export async function checkInside(root: string, path: string): Promise<void> {
  if (!isAbsolute(path)) throw new PathError(`'${path}' is not an absolute path`);
  const abs = resolve(path);
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    try {
      real = join(await realpath(dirname(abs)), basename(abs));
    } catch {
      throw new PathError(`the folder of '${path}' does not exist`);
    }
  }
  if (!isInside(root, real)) throw new PathError(`'${path}' is outside the folder '${root}' this server may use`);
}
