import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import type { RecentEntry } from '../../shared/api';
import { PROJECT_EXTENSION } from '../../shared/project';
import { findForbiddenKey } from '../../shared/safe-json';
import { writeFileAtomic } from './atomic-write';

const StoredEntry = z.strictObject({ path: z.string().min(1).max(4096), openedAt: z.iso.datetime() });
const StoredList = z.strictObject({ format: z.literal('convas-recent'), entries: z.array(StoredEntry).max(100) });
type StoredEntry = z.infer<typeof StoredEntry>;

/** A project's display name: its file name without the extension. */
export function projectNameOf(path: string): string {
  const base = basename(path);
  return base.endsWith(PROJECT_EXTENSION) ? base.slice(0, -PROJECT_EXTENSION.length) : base;
}

/**
 * The recently opened and saved projects, newest first, kept in a small JSON file in the app's data folder.
 * It is also the list of paths the window may name: `openRecent` refuses any path that is not in it.
 * Updates are queued one after another, so that two windows saving at once cannot lose an entry.
 */
export class RecentList {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly max = 10,
  ) {}

  /** The entries, newest first, each marked with whether its file still exists. */
  async list(): Promise<RecentEntry[]> {
    const entries = await this.read();
    return Promise.all(
      entries.map(async (e) => ({
        path: e.path,
        name: projectNameOf(e.path),
        openedAt: e.openedAt,
        exists: await stat(e.path).then(
          (s) => s.isFile(),
          () => false,
        ),
      })),
    );
  }

  async has(path: string): Promise<boolean> {
    return (await this.read()).some((e) => e.path === path);
  }

  /** Puts `path` at the top (moving it there if it is already listed). */
  add(path: string, now = new Date()): Promise<void> {
    return this.update((entries) => [{ path, openedAt: now.toISOString() }, ...entries.filter((e) => e.path !== path)]);
  }

  remove(path: string): Promise<void> {
    return this.update((entries) => entries.filter((e) => e.path !== path));
  }

  private update(change: (entries: StoredEntry[]) => StoredEntry[]): Promise<void> {
    const next = this.queue.then(async () => {
      const entries = change(await this.read()).slice(0, this.max);
      await mkdir(dirname(this.file), { recursive: true });
      const body = JSON.stringify({ format: 'convas-recent', entries }, null, 2);
      await writeFileAtomic(this.file, new TextEncoder().encode(body));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The stored entries. A missing file is an empty list; so is a damaged one, since it only holds shortcuts
   * (the next change rewrites it), unlike a project file, which is never replaced silently.
   */
  private async read(): Promise<StoredEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const data: unknown = JSON.parse(text);
      if (findForbiddenKey(data)) return [];
      const r = StoredList.safeParse(data);
      return r.success ? r.data.entries : [];
    } catch {
      return [];
    }
  }
}
