import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `bytes` so that, whatever happens (a full disk, a crash, a power cut), the file holds
 * either its old content or the new one, never half of each: the bytes go to a temporary file in the same
 * folder (so that the rename stays on one file system), are flushed to disk, and the temporary file is then
 * renamed over the target; the folder is flushed too, so that the rename itself survives a power cut.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncFolder(dir);
}

/**
 * The temporary file a save of `path` writes first: hidden, beside it, named after it, with the writing
 * process's id (so that a later start can tell a crashed save's file from one still being written) and a random
 * part (so that two saves never share one).
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/** Flushes a folder's entries. Windows cannot open folders for this, and does not need it: skipped there. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
