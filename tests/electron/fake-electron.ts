import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/**
 * A stand-in for the 'electron' module, enough for the main process to run in plain Node under vitest:
 * windows, IPC, menus and dialogs record what they are asked, and tests drive their events.
 */

export class FakeFrame {
  parent: FakeFrame | null = null;
  constructor(public url: string) {}
}

export class FakeWebContents extends EventEmitter {
  mainFrame = new FakeFrame('app://convas/index.html');
  sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  reloads = 0;
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  reload() {
    this.reloads++;
  }
  /** The payloads sent on one channel. */
  sentOn(channel: string): unknown[] {
    return this.sent.filter((s) => s.channel === channel).map((s) => s.payload);
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  destroyed = false;
  shown = false;
  constructor(public options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
  }
  loadURL(url: string) {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  isDestroyed() {
    return this.destroyed;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
  show() {
    this.shown = true;
  }
  /** Like Electron: 'close' may be prevented; otherwise the window goes and 'closed' follows. */
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroyed = true;
    this.emit('closed');
  }
}

type Handler = (event: unknown, payload: unknown) => Promise<unknown>;
export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, h: Handler) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, h);
  },
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  },
};

class FakeApp extends EventEmitter {
  isPackaged = true;
  lock = true;
  userData = '';
  appPath = '';
  quit = vi.fn();
  exit = vi.fn();
  enableSandbox = vi.fn();
  requestSingleInstanceLock() {
    return this.lock;
  }
  whenReady() {
    return Promise.resolve();
  }
  getPath(name: string) {
    if (name !== 'userData') throw new Error(`unexpected getPath(${name})`);
    return this.userData;
  }
  getAppPath() {
    return this.appPath;
  }
  getVersion() {
    return '9.8.7';
  }
}
export const app = new FakeApp();

export interface MenuItem {
  label?: string;
  role?: string;
  type?: string;
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}
export const Menu = {
  current: null as MenuItem[] | null,
  buildFromTemplate: (t: MenuItem[]) => t,
  setApplicationMenu(m: MenuItem[]) {
    this.current = m;
  },
};

export const dialog = {
  showOpenDialog: vi.fn(),
  showSaveDialog: vi.fn(),
  showMessageBox: vi.fn(),
  showErrorBox: vi.fn(),
};

export const protocol = {
  registerSchemesAsPrivileged: vi.fn(),
  handlers: new Map<string, (r: Request) => Promise<Response>>(),
  handle(scheme: string, h: (r: Request) => Promise<Response>) {
    this.handlers.set(scheme, h);
  },
};

export const shell = { openExternal: vi.fn(() => Promise.resolve()) };

export const session = {
  defaultSession: {
    requestHandler: null as null | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
    checkHandler: null as null | (() => boolean),
    setPermissionRequestHandler(h: (wc: unknown, p: string, cb: (ok: boolean) => void) => void) {
      this.requestHandler = h;
    },
    setPermissionCheckHandler(h: () => boolean) {
      this.checkHandler = h;
    },
  },
};

/** Forgets everything between tests. */
export function resetFakes(): void {
  BrowserWindow.instances = [];
  ipcMain.handlers.clear();
  app.removeAllListeners();
  app.lock = true;
  app.quit.mockClear();
  Menu.current = null;
  protocol.handlers.clear();
  shell.openExternal.mockClear();
  for (const f of Object.values(dialog)) f.mockReset();
}

export default { app, BrowserWindow, ipcMain, Menu, dialog, protocol, shell, session };
