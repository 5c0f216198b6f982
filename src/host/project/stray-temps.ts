import { lstat, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A save interrupted by a crash, kill -9 or power cut leaves its hidden temporary file behind (see
 * writeFileAtomic): 8 of 24 interrupted saves did, up to 254 MB each, and nothing removed them. On the next start
 * Convas removes those it can tell are strays, in the folders it saves to: its data folder (backups, checkpoints,
 * the recent list) and the folders of the recent projects.
 */

/** `.name.PID-HEX.tmp` (writeFileAtomic) or `.name.HEX.tmp` (exports, and saves by earlier versions). */
const TEMP = /^\..+\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$/;

/** A temporary file whose writer cannot be known is left this long: another Convas may still be writing it. */
const ANONYMOUS_GRACE_MS = 60 * 60 * 1000;
/** Even a live process id is not trusted past this: ids are reused, and a save never takes a day. */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Whether process `pid` is running (on this machine). EPERM means it runs under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a temporary file named `name`, last written at `mtimeMs`, is a crashed save's. */
export function isStrayTemp(name: string, mtimeMs: number, now = Date.now()): boolean {
  const m = TEMP.exec(name);
  if (!m) return false;
  const age = now - mtimeMs;
  if (age > MAX_AGE_MS) return true;
  if (m[1] === undefined) return age > ANONYMOUS_GRACE_MS;
  const pid = Number(m[1]);
  return pid !== process.pid && !isRunning(pid);
}

/** Removes the strays in each folder (missing or unreadable folders are passed over); returns their paths. */
export async function removeStrayTemps(folders: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of new Set(folders)) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!TEMP.test(name)) continue;
      const path = join(folder, name);
      const info = await lstat(path).catch(() => null);
      if (!info?.isFile() || !isStrayTemp(name, info.mtimeMs)) continue;
      if (
        await unlink(path).then(
          () => true,
          () => false,
        )
      )
        removed.push(path);
    }
  }
  return removed;
}

/** The folders Convas saves to: `dataDir`, its backups and checkpoints, and the folder of each recent project. */
export function saveFolders(dataDir: string, recentPaths: readonly string[]): string[] {
  return [dataDir, join(dataDir, 'backups'), join(dataDir, 'checkpoints'), ...recentPaths.map((p) => dirname(p))];
}
