import { BrowserWindow, dialog, ipcMain, Menu } from 'electron';
import type { RenderProcessGoneDetails } from 'electron';
import type { HostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { projectNameOf } from '../../src/host/project/recent';
import { createHandlers } from '../../src/host/server/handlers';
import { Workbench } from '../../src/host/workbench';
import type { RequestName } from '../../src/shared/api';
import { NativeDialogs } from './dialogs';
import { emitTo, registerApi } from './ipc';
import { buildMenuTemplate } from './menu';
import { windowOptions } from './window-options';

export interface MainWindowOptions {
  services: HostServices;
  preload: string;
  /** The first page: app://convas/index.html, or the dev server in development. */
  startUrl: string;
  origins: readonly string[];
  developer: boolean;
  isMac: boolean;
}

/** Requests after which the recent list or the templates may have changed, so the menu is rebuilt. */
const MENU_REFRESH = new Set<RequestName>(['openProject', 'openRecent', 'saveProject', 'saveProjectAs', 'startup']);

/** A renderer that crashes this often within CRASH_WINDOW_MS is not reloaded again. */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

/**
 * The one main window and everything tied to it: its project session (held here, so that a crashed page
 * reloads without losing the project), its Api handlers, the menu that drives it, and the close prompt.
 */
export class MainWindow {
  readonly win: BrowserWindow;
  readonly session: ProjectSession;
  /** The window's training, datasets, inspection and export. */
  readonly workbench: Workbench;
  private readonly emit: ReturnType<typeof emitTo>;
  private loaded = false;
  private closeAllowed = false;
  private crashes: number[] = [];

  constructor(private readonly o: MainWindowOptions) {
    this.win = new BrowserWindow(windowOptions(o.preload, o.developer));
    const dialogs = new NativeDialogs(dialog, () => this.win);
    this.session = new ProjectSession(o.services, dialogs);
    this.emit = emitTo(this.win);
    this.workbench = new Workbench({
      session: this.session,
      dialogs,
      emit: this.emit,
      checkpointDir: o.services.checkpointDir,
    });
    const handlers = createHandlers(o.services, this.session, undefined, this.workbench);
    const unregister = registerApi(ipcMain, this.win, handlers, o.origins, (name) => {
      if (MENU_REFRESH.has(name)) void this.refreshMenu();
    });
    const contents = this.win.webContents;
    contents.on('did-finish-load', () => (this.loaded = true));
    contents.on('render-process-gone', (_event, details) => this.onPageGone(details));
    this.win.once('ready-to-show', () => this.win.show());
    this.win.on('close', (event) => {
      if (this.closeAllowed || !this.session.dirty) return;
      event.preventDefault();
      void this.confirmClose();
    });
    this.win.on('closed', () => {
      unregister();
      // A run in progress stops first, so that its weights are in the project the session backs up.
      void this.workbench
        .close()
        .catch(() => undefined)
        .then(() => this.session.close());
    });
    void this.refreshMenu();
    void this.win.loadURL(o.startUrl);
  }

  /** A file the OS asked to open: the window is told now if it is running, or at its startup. */
  async offer(path: string): Promise<void> {
    await this.session.offerFile(path);
    if (this.loaded) this.emit('fileOpenRequested', { path, name: projectNameOf(path) });
    if (this.win.isMinimized()) this.win.restore();
    this.win.focus();
  }

  async refreshMenu(): Promise<void> {
    const [templates, recent] = await Promise.all([
      this.o.services.templates.list().catch(() => []),
      this.session.listRecent().catch(() => []),
    ]);
    const template = buildMenuTemplate({
      templates,
      recent,
      send: (command) => this.emit('menuCommand', command),
      isMac: this.o.isMac,
      developer: this.o.developer,
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  /**
   * The page died (a crash, out of memory, killed): reload it and tell it what happened; its project is still
   * here. A page that keeps crashing is not reloaded forever: the window closes and the backup keeps the work.
   */
  private onPageGone(details: RenderProcessGoneDetails): void {
    if (details.reason === 'clean-exit') return;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const what = `The window stopped (${details.reason}, exit code ${details.exitCode})`;
    if (this.crashes.length >= MAX_CRASHES) {
      dialog.showErrorBox(
        'Convas keeps crashing',
        `${what}, ${this.crashes.length} times in a minute. Your unsaved work is kept in a backup that Convas offers to restore when it starts again.`,
      );
      this.closeAllowed = true;
      this.win.close();
      return;
    }
    this.session.noteCrash(`${what} and was reloaded; your project was kept.`);
    this.loaded = false;
    this.win.webContents.reload();
  }

  private async confirmClose(): Promise<void> {
    const { response } = await dialog.showMessageBox(this.win, {
      type: 'warning',
      buttons: ['Save', "Don't Save", 'Cancel'],
      defaultId: 0,
      cancelId: 2,
      message: 'Save the changes to this project before closing?',
      detail: "If you don't save, your changes will be lost.",
    });
    if (response === 2) return;
    if (response === 0) {
      const saved = await this.session.saveLatest().catch((e: Error) => {
        dialog.showErrorBox('The project could not be saved', e.message);
        return false;
      });
      if (!saved) return;
    } else {
      await this.session.discardUnsaved();
    }
    this.closeAllowed = true;
    this.win.close();
  }
}
