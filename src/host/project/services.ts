import { totalmem } from 'node:os';
import { join } from 'node:path';
import { setMemoryLimit } from '../../engine';
import { TemplateLibrary } from '../templates/library';
import { BackupStore } from './backups';
import { RecentList } from './recent';
import { removeStrayTemps, saveFolders } from './stray-temps';

/** The host's shared services: one set per process, used by every window (or browser tab) session. */
export interface HostServices {
  recent: RecentList;
  backups: BackupStore;
  templates: TemplateLibrary;
  /** Where training runs write their checkpoints (`<dataDir>/checkpoints`): a stopped or failed run resumes from it. */
  checkpointDir: string;
  /** Ids of the sessions running in this process: their backups are theirs, not left over from a crash. */
  running: Set<string>;
  /** How long after an edit its backup is written. */
  autosaveMs: number;
  app: { name: string; version: string; runtime: string; memoryBytes: number };
}

export interface HostServicesOptions {
  /** The app's data folder: recent list, backups and training checkpoints live here. */
  dataDir: string;
  templatesDir: string;
  appVersion: string;
  runtime: string;
  autosaveMs?: number;
}

/** A few seconds: late enough not to write on every drag, early enough that a crash loses little. */
export const DEFAULT_AUTOSAVE_MS = 3000;

export function createHostServices(o: HostServicesOptions): HostServices {
  // Every graph this process compiles is held to the machine's memory from now on (engine/memory.ts).
  const memoryBytes = totalmem();
  setMemoryLimit(memoryBytes);
  return {
    recent: new RecentList(join(o.dataDir, 'recent.json')),
    backups: new BackupStore(join(o.dataDir, 'backups')),
    templates: new TemplateLibrary(o.templatesDir),
    checkpointDir: join(o.dataDir, 'checkpoints'),
    running: new Set(),
    autosaveMs: o.autosaveMs ?? DEFAULT_AUTOSAVE_MS,
    app: { name: 'Convas', version: o.appVersion, runtime: o.runtime, memoryBytes },
  };
}

/**
 * Removes the temporary files that interrupted saves left in the folders Convas saves to (see stray-temps). Run
 * once at start; returns the paths removed.
 */
export async function removeInterruptedSaves(services: HostServices, dataDir: string): Promise<string[]> {
  const recent = await services.recent.list().catch(() => []);
  return removeStrayTemps(
    saveFolders(
      dataDir,
      recent.map((r) => r.path),
    ),
  );
}
