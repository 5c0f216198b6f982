import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../electron/main/app';
import type { MainWindow } from '../../electron/main/main-window';
import { readProjectFile } from '../../src/host/project/project-file';
import { REQUEST_NAMES, type Envelope, type OpenedProject, type Startup } from '../../src/shared/api';
import * as fake from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

let dir: string;
let main: MainWindow;
let win: fake.BrowserWindow;

const trusted = () => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });
async function invoke(name: string, payload?: unknown, event: unknown = trusted()): Promise<Envelope> {
  const handler = fake.ipcMain.handlers.get(`convas:${name}`);
  if (!handler) throw new Error(`no handler for convas:${name}`);
  return (await handler(event, payload)) as Envelope;
}
async function value<T>(name: string, payload?: unknown): Promise<T> {
  const r = await invoke(name, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as T;
}
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const menuItem = (...labels: string[]): fake.MenuItem => {
  let items = fake.Menu.current ?? [];
  let found: fake.MenuItem | undefined;
  for (const label of labels) {
    found = items.find((i) => i.label === label);
    if (!found) throw new Error(`no menu item '${labels.join(' › ')}'`);
    items = found.submenu ?? [];
  }
  return found!;
};

async function launch(argv: string[] = ['convas']): Promise<void> {
  const started = await startApp({ autosaveMs: 30, argv, cwd: dir });
  if (!started) throw new Error('the app did not start');
  main = started;
  win = fake.BrowserWindow.instances.at(-1)!;
  await until(() => fake.Menu.current !== null, 'the menu');
}

beforeEach(async () => {
  fake.resetFakes();
  dir = await mkdtemp(join(tmpdir(), 'convas-electron-'));
  fake.app.userData = join(dir, 'user-data');
  fake.app.appPath = resolve('.');
});
afterEach(async () => {
  await main?.session.settle();
  await rm(dir, { recursive: true, force: true });
});

describe('main window', () => {
  it('opens one window with every security switch on, loading the app protocol', async () => {
    await launch();
    expect(fake.BrowserWindow.instances).toHaveLength(1);
    const prefs = win.options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(String(prefs['preload'])).toMatch(/preload[\\/]index\.cjs$/);
    expect(win.loadedUrl).toBe('app://convas/index.html');
    expect(fake.app.enableSandbox).toHaveBeenCalled();
    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  it('quits at once when another instance already runs', async () => {
    fake.app.lock = false;
    expect(await startApp({ argv: ['convas'] })).toBeNull();
    expect(fake.app.quit).toHaveBeenCalled();
    expect(fake.BrowserWindow.instances).toHaveLength(0);
  });

  it('denies navigation, new windows and permissions; sends http(s) links to the system browser', async () => {
    await launch();
    const contents = new fake.FakeWebContents();
    fake.app.emit('web-contents-created', {}, contents);
    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() };
      contents.emit('will-navigate', event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('app://convas/index.html')).toBe(false);
    expect(navigate('https://example.com/docs')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://example.com/docs']]);
    expect(contents.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'http://example.com/' })).toEqual({ action: 'deny' });
    expect(fake.shell.openExternal.mock.calls).toHaveLength(2);
    const attach = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', attach);
    expect(attach.preventDefault).toHaveBeenCalled();
    const granted = await new Promise((r) => fake.session.defaultSession.requestHandler!(contents, 'media', r));
    expect(granted).toBe(false);
    expect(fake.session.defaultSession.checkHandler!()).toBe(false);
  });
});

describe('Api handlers', () => {
  it('serves every request of the Api, and only those', async () => {
    await launch();
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map((n) => `convas:${n}`).sort());
    expect(await value('ping', { message: 'hi' })).toMatchObject({ message: 'hi' });
    expect(await value('appInfo')).toMatchObject({ name: 'Convas', version: '9.8.7' });
  });

  it('refuses a payload that does not match the schema', async () => {
    await launch();
    const r = await invoke('ping', { message: ['not', 'a', 'string'] });
    expect(r).toMatchObject({ ok: false, error: { message: expect.stringMatching(/request 'ping' refused/) } });
    const proto = await invoke('projectChanged', JSON.parse('{"project":{"__proto__":{"x":1}}}'));
    expect(proto).toMatchObject({ ok: false, error: { message: expect.stringMatching(/__proto__ is not allowed/) } });
  });

  it('refuses requests from another window, a sub-frame or a foreign page', async () => {
    await launch();
    const other = new fake.FakeWebContents();
    const sub = new fake.FakeFrame('app://convas/index.html');
    sub.parent = win.webContents.mainFrame;
    const cases = [
      { sender: other, senderFrame: other.mainFrame },
      { sender: win.webContents, senderFrame: sub },
      { sender: win.webContents, senderFrame: new fake.FakeFrame('https://evil.example/') },
      { sender: win.webContents, senderFrame: null },
    ];
    for (const event of cases) {
      const r = await invoke('ping', { message: 'x' }, event);
      expect(r).toEqual({
        ok: false,
        error: { name: 'SecurityError', message: "request 'ping' refused: it did not come from the Convas window" },
      });
    }
  });

  it('saves with the native dialog and never takes a path from the window', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', { templateId: 'small-mlp' });
    fake.dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: join(dir, 'mine') });
    expect(await value('saveProject', { project: opened.project })).toEqual({
      path: join(dir, 'mine.convas'),
      name: 'mine',
    });
    expect(fake.dialog.showSaveDialog.mock.calls[0][1]).toMatchObject({
      defaultPath: 'Small MLP.convas',
      filters: [{ name: 'Convas projects', extensions: ['convas'] }],
    });
    expect((await readProjectFile(join(dir, 'mine.convas'))).file.name).toBe('Small MLP');
    const refused = await invoke('openRecent', { path: '/etc/passwd' });
    expect(refused).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not in the recent list/) } });
  });
});

describe('application menu', () => {
  it('has the File, Edit, View and Help items with their shortcuts', async () => {
    await launch();
    expect(fake.Menu.current!.map((m) => m.label ?? m.role)).toEqual(['File', 'Edit', 'View', 'Help']);
    expect(menuItem('File', 'Save').accelerator).toBe('CmdOrCtrl+S');
    expect(menuItem('File', 'Save As…').accelerator).toBe('CmdOrCtrl+Shift+S');
    expect(menuItem('File', 'Open Recent').enabled).toBe(false);
    expect(menuItem('File').submenu!.some((i) => i.role === 'quit')).toBe(true);
    for (const label of ['Undo', 'Redo', 'Cut', 'Copy', 'Paste', 'Delete', 'Select All'])
      expect(menuItem('Edit', label)).toBeDefined();
    for (const label of ['Zoom In', 'Zoom Out', 'Fit to Window']) expect(menuItem('View', label)).toBeDefined();
    for (const label of ['About Convas', 'Keyboard Shortcuts']) expect(menuItem('Help', label)).toBeDefined();
  });

  it('sends each click to the window as a typed menu command', async () => {
    await launch();
    menuItem('Edit', 'Undo').click!();
    menuItem('View', 'Fit to Window').click!();
    menuItem('File', 'Export…').click!();
    menuItem('File', 'New from Template', 'Small MLP').click!();
    menuItem('File', 'New from Template', 'Empty Project').click!();
    expect(win.webContents.sentOn('convas:menuCommand')).toEqual([
      { command: 'edit.undo' },
      { command: 'view.fit' },
      { command: 'file.export' },
      { command: 'file.new', templateId: 'small-mlp' },
      { command: 'file.new' },
    ]);
  });

  it('lists a saved project under Open Recent', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', {});
    fake.dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: join(dir, 'recent.convas') });
    await value('saveProjectAs', { project: opened.project });
    await until(() => menuItem('File', 'Open Recent').enabled === true, 'the recent menu');
    menuItem('File', 'Open Recent', 'recent').click!();
    expect(win.webContents.sentOn('convas:menuCommand')).toEqual([
      { command: 'file.openRecent', path: join(dir, 'recent.convas') },
    ]);
  });
});

describe('autosave, crashes and restore', () => {
  it('backs up unsaved work and offers it at the next launch after a crash', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', { templateId: 'small-mlp' });
    await value('projectChanged', { project: { ...opened.project, name: 'not saved yet' } });
    const backup = main.session.id;
    await until(() => exists(join(fake.app.userData, 'backups', `${backup}.convas`)), 'the backup');
    // The process dies without closing anything; the next launch finds the backup.
    fake.resetFakes();
    await launch();
    const startup = await value<Startup>('startup');
    expect(startup.backups).toEqual([
      expect.objectContaining({ id: backup, name: 'not saved yet', originalPath: null }),
    ]);
    const restored = await value<OpenedProject>('restoreBackup', { id: backup });
    expect(restored).toMatchObject({ dirty: true, project: { name: 'not saved yet' } });
  });

  it('reloads a crashed page, which gets its project back with what happened', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', { templateId: 'small-mlp' });
    await value('projectChanged', { project: { ...opened.project, name: 'edited' } });
    win.webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: 137 });
    expect(win.webContents.reloads).toBe(1);
    const startup = await value<Startup>('startup');
    expect(startup.crash).toBe('The window stopped (oom, exit code 137) and was reloaded; your project was kept.');
    expect(startup.project).toMatchObject({ dirty: true, project: { name: 'edited' } });
    win.webContents.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
    expect(win.webContents.reloads).toBe(1);
  });

  it('stops reloading a page that keeps crashing, and keeps the work in a backup', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', {});
    await value('projectChanged', { project: { ...opened.project, name: 'keep me' } });
    for (let i = 0; i < 3; i++) win.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 11 });
    expect(win.webContents.reloads).toBe(2);
    expect(fake.dialog.showErrorBox).toHaveBeenCalledWith(
      'Convas keeps crashing',
      expect.stringMatching(/3 times in a minute/),
    );
    expect(win.destroyed).toBe(true);
    await until(() => exists(join(fake.app.userData, 'backups', `${main.session.id}.convas`)), 'the backup');
  });

  it("asks before closing with unsaved changes; Don't Save drops the backup", async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', {});
    await value('projectChanged', { project: { ...opened.project, name: 'draft' } });
    fake.dialog.showMessageBox.mockResolvedValueOnce({ response: 2 });
    win.close();
    await until(() => fake.dialog.showMessageBox.mock.calls.length === 1, 'the close prompt');
    expect(win.destroyed).toBe(false);
    fake.dialog.showMessageBox.mockResolvedValueOnce({ response: 1 });
    win.close();
    await until(() => win.destroyed, 'the window to close');
    await main.session.settle();
    expect(await exists(join(fake.app.userData, 'backups', `${main.session.id}.convas`))).toBe(false);
  });

  it('asks before closing; Save writes the latest content through the save dialog', async () => {
    await launch();
    const opened = await value<OpenedProject>('newProject', {});
    await value('projectChanged', { project: { ...opened.project, name: 'latest' } });
    fake.dialog.showMessageBox.mockResolvedValueOnce({ response: 0 });
    fake.dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: join(dir, 'closing.convas') });
    win.close();
    await until(() => win.destroyed, 'the window to close');
    expect((await readProjectFile(join(dir, 'closing.convas'))).file.name).toBe('latest');
  });
});

describe('opening files from the operating system', () => {
  it('opens a .convas file given on the command line at startup', async () => {
    await launch(['convas', '--some-flag', 'start.convas']);
    const startup = await value<Startup>('startup');
    expect(startup.fileToOpen).toEqual({ path: join(dir, 'start.convas'), name: 'start' });
  });

  it('hands a second launch’s file to the running window, which may then open it by path', async () => {
    await launch();
    win.webContents.emit('did-finish-load');
    fake.app.emit('second-instance', {}, ['convas', 'other.convas'], dir);
    await until(() => win.webContents.sentOn('convas:fileOpenRequested').length === 1, 'the open request');
    expect(win.webContents.sentOn('convas:fileOpenRequested')).toEqual([
      { path: join(dir, 'other.convas'), name: 'other' },
    ]);
    // The file does not exist: the request is accepted (it is offered) and fails on reading, naming the file.
    const r = await invoke('openRecent', { path: join(dir, 'other.convas') });
    expect(r).toMatchObject({ ok: false, error: { message: expect.stringMatching(/cannot read '.*other.convas'/) } });
  });
});
