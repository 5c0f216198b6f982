import { join } from 'node:path';
import type { App } from 'electron';

/** Where the app's parts are, built (out/main, out/preload, out/renderer) and packaged (inside app.asar) alike. */
export interface AppPaths {
  preload: string;
  renderer: string;
  templates: string;
  /** The app's data folder: the recent list and the backups of unsaved work. */
  userData: string;
}

export function appPaths(app: Pick<App, 'getAppPath' | 'getPath'>): AppPaths {
  // This file is bundled into out/main/index.js, so its folder is out/main.
  const here = import.meta.dirname;
  return {
    preload: join(here, '../preload/index.cjs'),
    renderer: join(here, '../renderer'),
    templates: join(app.getAppPath(), 'resources', 'templates'),
    userData: app.getPath('userData'),
  };
}

/** The .convas files named on a command line (a double-click or a second launch), made absolute. */
export function projectFilesIn(argv: readonly string[], cwd: string): string[] {
  return argv
    .slice(1)
    .filter((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.convas'))
    .map((a) => (/^([A-Za-z]:)?[\\/]/.test(a) ? a : join(cwd, a)));
}
