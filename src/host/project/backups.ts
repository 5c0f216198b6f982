import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { NamedWeights } from '../../engine/network';
import type { BackupInfo } from '../../shared/api';
import { BackupId } from '../../shared/api';
import type { ProjectContent } from '../../shared/project';
import { readProjectFile, writeProjectFile, type LoadedProject, type WeightsExtra } from './project-file';
import { projectNameOf } from './recent';

/** The metadata key of a backup file that says where its project came from. */
const BACKUP_KEY = 'convas.backup';
const BackupMeta = z.strictObject({ originalPath: z.string().max(4096).nullable(), savedAt: z.iso.datetime() });
type BackupMeta = z.infer<typeof BackupMeta>;

/** A backup as read back: the project and where it came from. */
export interface Backup extends LoadedProject {
  meta: BackupMeta;
}

/**
 * Autosaved copies of unsaved work, one .convas file per window session (`<session id>.convas`) in the app's
 * backup folder. A session deletes its backup when its work is saved or deliberately discarded, so a backup
 * whose session is no longer running was left by a crash (or a closed browser tab) and is offered for restore.
 */
export class BackupStore {
  constructor(readonly dir: string) {}

  fileOf(id: string): string {
    return join(this.dir, `${BackupId.parse(id)}.convas`);
  }

  /** Writes (atomically) the backup of session `id`. */
  async write(
    id: string,
    content: ProjectContent,
    weights: NamedWeights,
    originalPath: string | null,
    extra: WeightsExtra = {},
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const meta: BackupMeta = { originalPath, savedAt: new Date().toISOString() };
    await writeProjectFile(this.fileOf(id), content, weights, { [BACKUP_KEY]: JSON.stringify(meta) }, extra);
  }

  /** Reads backup `id`, refusing it with the reason when it is damaged. */
  async read(id: string): Promise<Backup> {
    const loaded = await readProjectFile(this.fileOf(id));
    const meta = BackupMeta.safeParse(parseJson(loaded.metadata[BACKUP_KEY]));
    return {
      ...loaded,
      meta: meta.success ? meta.data : { originalPath: null, savedAt: loaded.file.savedAt },
    };
  }

  /**
   * The backups not owned by a running session, newest first. A backup that cannot be read is still listed
   * (named as damaged), so that restoring it reports why instead of the backup quietly disappearing.
   */
  async list(running: ReadonlySet<string>): Promise<BackupInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const ids = names
      .filter((n) => n.endsWith('.convas'))
      .map((n) => n.slice(0, -'.convas'.length))
      .filter((id) => BackupId.safeParse(id).success && !running.has(id));
    const infos = await Promise.all(
      ids.map(async (id): Promise<BackupInfo> => {
        try {
          const b = await this.read(id);
          const name = b.file.name ?? (b.meta.originalPath ? projectNameOf(b.meta.originalPath) : 'Untitled');
          return { id, name, savedAt: b.meta.savedAt, originalPath: b.meta.originalPath };
        } catch {
          return { id, name: `damaged backup ${id}`, savedAt: new Date(0).toISOString(), originalPath: null };
        }
      }),
    );
    return infos.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  /** Moves backup `from` to `to`: a restored backup becomes the restoring session's own. */
  async adopt(from: string, to: string): Promise<void> {
    await rename(this.fileOf(from), this.fileOf(to));
  }

  async remove(id: string): Promise<void> {
    await unlink(this.fileOf(id)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
