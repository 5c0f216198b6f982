import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { readProjectFile, writeProjectFile } from '../../src/host/project/project-file';
import { startServer, type RunningServer } from '../../src/host/server/server';
import { createWebSocketApi, type SocketLike } from '../../src/renderer/api/ws-client';
import type { Api, DialogRequest } from '../../src/shared/api';
import { newProjectContent } from '../../src/shared/project';
import { chain } from '../helpers/graphs';

let dir: string;
let root: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-server-api-'));
  root = join(dir, 'home');
  await mkdir(join(root, 'projects'), { recursive: true });
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
  await writeFile(join(dir, 'outside.convas'), 'x');
  await symlink(dir, join(root, 'escape'));
  await symlink(join(dir, 'outside.convas'), join(root, 'projects', 'link.convas'));
  server = await startServer({
    root,
    dataDir: join(dir, 'data'),
    rendererDir: join(dir, 'renderer'),
    templatesDir: resolve('resources/templates'),
    appVersion: '1.2.3',
    autosaveMs: 50,
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

let api: Api;
let socket: WebSocket;
let closed: Promise<string>;
/** The in-page dialog requests the server sent, in order. */
let dialogs: DialogRequest[];

beforeEach(async () => {
  socket = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
    headers: { origin: server.origin },
  });
  ({ api, closed } = createWebSocketApi(socket as unknown as SocketLike));
  dialogs = [];
  api.on('dialogRequest', (d) => dialogs.push(d));
  await new Promise((resolve) => socket.once('open', resolve));
});
afterEach(async () => {
  socket.close();
  await closed;
});

/** Waits until the server has asked for a dialog. */
async function nextDialog(): Promise<DialogRequest> {
  for (let i = 0; i < 2000 && dialogs.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  const d = dialogs.shift();
  if (!d) throw new Error('the server never asked for a dialog');
  return d;
}

describe('the Api over the WebSocket', () => {
  it('answers a ping and the app info', async () => {
    expect((await api.ping({ message: 'hello' })).message).toBe('hello');
    expect(await api.appInfo()).toEqual({
      name: 'Convas',
      version: '1.2.3',
      runtime: expect.stringMatching(/browser mode/),
      memoryBytes: expect.any(Number),
    });
  });

  it('refuses a payload that does not match the schema, with the reason', async () => {
    const raw = api as unknown as Record<string, (p: unknown) => Promise<unknown>>;
    await expect(raw['ping']({ message: 42 })).rejects.toThrow(/request 'ping' refused:[\s\S]*message/);
    await expect(raw['ping']({ message: 'x', extra: 1 })).rejects.toThrow(/Unrecognized key/);
    await expect(raw['openRecent']({ path: '' })).rejects.toThrow(/request 'openRecent' refused/);
  });

  it('closes the socket on a frame that is not a request', async () => {
    socket.send('{"type":"hello"}');
    expect(await closed).toMatch(/lost \(code 1008: malformed request frame\)/);
    await expect(api.ping({ message: 'after' })).rejects.toThrow(/connection to the Convas server was lost/);
  });

  it('lists and loads templates and starts a project from one', async () => {
    expect((await api.listTemplates()).map((t) => t.id)).toContain('small-mlp');
    const opened = await api.newProject({ templateId: 'small-mlp' });
    expect(opened).toMatchObject({ path: null, name: 'Small MLP', dirty: false });
  });

  it('saves through the in-page picker and opens the file again', async () => {
    const opened = await api.newProject({ templateId: 'small-mlp' });
    const saving = api.saveProjectAs({ project: opened.project });
    const save = await nextDialog();
    expect(save).toMatchObject({ kind: 'save', extensions: ['.convas'], defaultName: 'Small MLP.convas' });
    const listing = await api.browse({ dialogId: save.dialogId, folder: '' });
    expect(listing).toMatchObject({ folder: '', parent: null, root: server.root, truncated: false });
    // 'escape' is a link to a folder above the root: it is not listed.
    expect(listing.entries).toEqual([{ name: 'projects', kind: 'folder' }]);
    await api.answerDialog({ dialogId: save.dialogId, path: 'projects/mlp' });
    expect(await saving).toEqual({ path: join(server.root, 'projects', 'mlp.convas'), name: 'mlp' });
    expect((await readProjectFile(join(root, 'projects', 'mlp.convas'))).file.name).toBe('Small MLP');

    const opening = api.openProject();
    const open = await nextDialog();
    expect((await api.browse({ dialogId: open.dialogId, folder: 'projects' })).entries).toEqual([
      { name: 'mlp.convas', kind: 'file' },
    ]);
    await api.answerDialog({ dialogId: open.dialogId, path: 'projects/mlp.convas' });
    expect(await opening).toMatchObject({ name: 'mlp', dirty: false });
    expect((await api.listRecent()).map((r) => r.name)).toContain('mlp');
  });

  it('marks links, counts the ones that lead out, makes folders and says it is confined', async () => {
    await mkdir(join(root, 'data', 'real'), { recursive: true });
    await symlink(join(root, 'data', 'real'), join(root, 'data', 'shortcut'));
    const picking = api.pickFolder({ title: 'Choose a dataset' });
    const pick = await nextDialog();
    const top = await api.browse({ dialogId: pick.dialogId, folder: '' });
    expect(top).toMatchObject({ confined: true, hiddenLinks: 1, home: null });
    const data = await api.browse({ dialogId: pick.dialogId, folder: 'data' });
    expect(data.entries).toEqual([
      { name: 'real', kind: 'folder' },
      { name: 'shortcut', kind: 'folder', link: true },
    ]);
    // Through the link the listing keeps the path taken, so that going up leads back.
    expect(await api.browse({ dialogId: pick.dialogId, folder: 'data/shortcut' })).toMatchObject({
      folder: 'data/shortcut',
      parent: 'data',
    });
    expect(await api.makeFolder({ dialogId: pick.dialogId, folder: 'data/shortcut', name: 'new one' })).toEqual({
      folder: 'data/shortcut/new one',
    });
    expect((await stat(join(root, 'data', 'real', 'new one'))).isDirectory()).toBe(true);
    await expect(api.makeFolder({ dialogId: pick.dialogId, folder: 'data', name: 'real' })).rejects.toThrow(
      /'real' already exists here/,
    );
    await expect(api.makeFolder({ dialogId: pick.dialogId, folder: 'data', name: '../up' })).rejects.toThrow(
      /not a usable folder name/,
    );
    await expect(api.makeFolder({ dialogId: pick.dialogId, folder: 'escape', name: 'x' })).rejects.toThrow(
      /through a link/,
    );
    await api.answerDialog({ dialogId: pick.dialogId, path: 'data/shortcut' });
    expect(await picking).toEqual({ path: join(root, 'data', 'real') });
  });

  it('never lets a picker reach above its root, by ../ or through links', async () => {
    const opening = api.openProject();
    const open = await nextDialog();
    await expect(api.browse({ dialogId: open.dialogId, folder: '..' })).rejects.toThrow(/outside the folder/);
    await expect(api.browse({ dialogId: open.dialogId, folder: 'escape' })).rejects.toThrow(/through a link/);
    await expect(api.browse({ dialogId: open.dialogId, folder: '/etc' })).rejects.toThrow(/not a path relative/);
    await expect(api.answerDialog({ dialogId: open.dialogId, path: '../outside.convas' })).rejects.toThrow(
      /outside the folder/,
    );
    await expect(api.answerDialog({ dialogId: open.dialogId, path: 'projects/link.convas' })).rejects.toThrow(
      /through a link/,
    );
    await expect(api.answerDialog({ dialogId: open.dialogId, path: 'escape/outside.convas' })).rejects.toThrow(
      /through a link/,
    );
    // The bad answers left the dialog open; cancelling it ends the request with null.
    await api.answerDialog({ dialogId: open.dialogId, path: null });
    expect(await opening).toBeNull();
  });

  it('refuses to save over a link or outside the root', async () => {
    const opened = await api.newProject({});
    const saving = api.saveProjectAs({ project: opened.project });
    const save = await nextDialog();
    await expect(api.answerDialog({ dialogId: save.dialogId, path: 'projects/link.convas' })).rejects.toThrow(
      /not a plain file/,
    );
    await expect(api.answerDialog({ dialogId: save.dialogId, path: 'escape/x.convas' })).rejects.toThrow(
      /through a link/,
    );
    await expect(api.answerDialog({ dialogId: save.dialogId, path: 'projects/..' })).rejects.toThrow(
      /not a usable file name/,
    );
    await api.answerDialog({ dialogId: save.dialogId, path: null });
    expect(await saving).toBeNull();
    expect(await readFile(join(dir, 'outside.convas'), 'utf8')).toBe('x');
  });

  it('shows the reason a bad project file cannot be opened', async () => {
    await writeFile(join(root, 'projects', 'bad.convas'), 'garbage');
    const opening = api.openProject();
    const open = await nextDialog();
    await api.answerDialog({ dialogId: open.dialogId, path: 'projects/bad.convas' });
    await expect(opening).rejects.toThrow(/bad.convas' is not a readable Convas project/);
  });

  it('refuses recent paths outside the root even when they are in the recent list', async () => {
    const outside = join(dir, 'elsewhere.convas');
    await writeProjectFile(outside, newProjectContent(chain(['in', 'input'])), {});
    await server.services.recent.add(outside);
    expect((await api.listRecent()).map((r) => r.path)).not.toContain(outside);
    await expect(api.openRecent({ path: outside })).rejects.toThrow(/outside the folder/);
  });

  it("offers a closed tab's unsaved work to the next tab", async () => {
    const opened = await api.newProject({ templateId: 'small-mlp' });
    await api.projectChanged({ project: { ...opened.project, name: 'unsaved in tab 1' } });
    socket.close();
    await closed;
    // The server backs the work up as the tab goes; the next tab finds it.
    let backups: Awaited<ReturnType<Api['startup']>>['backups'] = [];
    const next = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      headers: { origin: server.origin },
    });
    const api2 = createWebSocketApi(next as unknown as SocketLike).api;
    for (let i = 0; i < 1000 && !backups.some((b) => b.name === 'unsaved in tab 1'); i++) {
      backups = (await api2.startup()).backups;
      await new Promise((r) => setTimeout(r, 10));
    }
    const mine = backups.find((b) => b.name === 'unsaved in tab 1');
    expect(mine).toBeDefined();
    const restored = await api2.restoreBackup({ id: mine!.id });
    expect(restored).toMatchObject({ dirty: true, project: { name: 'unsaved in tab 1' } });
    next.close();
  });
});
