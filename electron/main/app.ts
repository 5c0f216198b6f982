import { realpath } from 'node:fs/promises';
import { app, dialog, protocol, session, shell } from 'electron';
import { createHostServices, removeInterruptedSaves } from '../../src/host/project/services';
import { MainWindow } from './main-window';
import { appPaths, projectFilesIn } from './paths';
import { registerAppScheme, serveAppProtocol } from './protocol';
import { allowedOrigins, APP_ORIGIN, denyPermissions, hardenWebContents } from './security';

export interface StartOptions {
  /** How long after an edit unsaved work is backed up (tests shorten it). */
  autosaveMs?: number;
  argv?: readonly string[];
  cwd?: string;
}

/**
 * The desktop app's lifecycle: one instance (a second launch hands its files to the first and exits), the
 * app:// protocol, security for every page, then the main window. Resolves once the window exists.
 */
export async function startApp(options: StartOptions = {}): Promise<MainWindow | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.enableSandbox();
  registerAppScheme(protocol);

  const devServer = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
  const origins = allowedOrigins(devServer);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, origins, shell));

  let main: MainWindow | null = null;
  const waiting = projectFilesIn(options.argv ?? process.argv, options.cwd ?? process.cwd());
  const offer = (path: string) => {
    if (main) void main.offer(path);
    else waiting.push(path);
  };
  app.on('second-instance', (_event, argv, cwd) => {
    for (const file of projectFilesIn(argv, cwd)) offer(file);
    if (main && !main.win.isDestroyed()) main.win.focus();
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    offer(path);
  });
  app.on('window-all-closed', () => app.quit());

  await app.whenReady();
  const paths = appPaths(app);
  serveAppProtocol(protocol, await realpath(paths.renderer).catch(() => paths.renderer));
  denyPermissions(session.defaultSession);
  const services = createHostServices({
    dataDir: paths.userData,
    templatesDir: paths.templates,
    appVersion: app.getVersion(),
    runtime: `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
    autosaveMs: options.autosaveMs,
  });
  // What saves interrupted by a crash left behind; in the background, since nothing waits on it.
  void removeInterruptedSaves(services, paths.userData).catch(() => undefined);
  main = new MainWindow({
    services,
    preload: paths.preload,
    startUrl: devServer ?? `${APP_ORIGIN}/index.html`,
    origins,
    developer: !app.isPackaged,
    isMac: process.platform === 'darwin',
  });
  for (const file of waiting.splice(0)) void main.offer(file);
  return main;
}

/** Reports a failure to start in a dialog (there is no window to show it in) and quits. */
export function failedToStart(e: unknown): void {
  dialog.showErrorBox('Convas could not start', e instanceof Error ? (e.stack ?? e.message) : String(e));
  app.exit(1);
}
