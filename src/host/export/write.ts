import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ExportFile } from '../../engine/formats/types';

/** An export that could not be written; any earlier file at the path is left as it was. */
export class ExportWriteError extends Error {
  override name = 'ExportWriteError';
}

/** A file name with no folder part and nothing a path could be steered with. */
function checkName(name: string): void {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new ExportWriteError(`export file name ${JSON.stringify(name)} is not a plain file name`);
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Flushes a folder's entries so that renames survive a power cut. Windows cannot open folders, and does not need it. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Where each file goes: a single file at outPath itself (or inside it, if it is a folder); several files inside the folder outPath. */
async function targets(files: readonly ExportFile[], outPath: string): Promise<string[]> {
  for (const f of files) checkName(f.name);
  if (new Set(files.map((f) => f.name)).size !== files.length)
    throw new ExportWriteError('two export files share a name');
  if (files.length === 1 && !(await isFolder(outPath))) return [outPath];
  try {
    await mkdir(outPath, { recursive: true });
  } catch (e) {
    throw new ExportWriteError(`cannot use ${outPath} as the export folder: ${(e as Error).message}`);
  }
  const paths = files.map((f) => join(outPath, f.name));
  for (const p of paths)
    if (await isFolder(p)) throw new ExportWriteError(`${p} is a folder; the export would replace it with a file`);
  return paths;
}

/**
 * Writes an export's files so that a failed or interrupted export leaves every earlier file intact: each
 * file's bytes go to a temporary file beside its target and are flushed to disk; only when all of them are
 * written are they renamed over their targets (a rename replaces a file whole). On failure the temporary
 * files are removed. Returns the paths written.
 */
export async function writeExport(files: readonly ExportFile[], outPath: string): Promise<string[]> {
  if (files.length === 0) throw new ExportWriteError('the export has no files');
  const paths = await targets(files, outPath);
  const temps: string[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const temp = join(dirname(paths[i]), `.${basename(paths[i])}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(temp, 'wx', 0o644);
      temps.push(temp);
      try {
        await handle.writeFile(files[i].bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (let i = 0; i < files.length; i++) {
      await rename(temps[i], paths[i]);
      temps[i] = '';
    }
  } catch (e) {
    await Promise.all(temps.filter(Boolean).map((t) => unlink(t).catch(() => undefined)));
    throw new ExportWriteError(`could not write the export to ${outPath}: ${(e as Error).message}`);
  }
  for (const dir of new Set(paths.map((p) => dirname(p)))) await syncFolder(dir);
  return paths;
}
