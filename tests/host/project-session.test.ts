import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Network } from '../../src/engine/network';
import type { Dialogs } from '../../src/host/project/dialogs';
import { readProjectFile, writeProjectFile } from '../../src/host/project/project-file';
import { createHostServices, type HostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import type { ProjectContent } from '../../src/shared/project';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

const TEMPLATES = resolve('resources/templates');
const graph = chain(['in', 'input', { channels: 1, height: 2, width: 2, vector: true }], ['fc', 'dense', { units: 2 }]);
const content = (name: string): ProjectContent => ({ name, graph, dataset: null, history: [] });

/** Dialogs that answer from a queue, recording what they were asked. */
class ScriptedDialogs implements Dialogs {
  answers: (string | null)[] = [];
  asked: string[] = [];
  openFile(o: { title: string }) {
    this.asked.push(`open:${o.title}`);
    return Promise.resolve(this.answers.shift() ?? null);
  }
  saveFile(o: { title: string; defaultName: string }) {
    this.asked.push(`save:${o.defaultName}`);
    return Promise.resolve(this.answers.shift() ?? null);
  }
  pickFolder(o: { title: string }) {
    this.asked.push(`folder:${o.title}`);
    return Promise.resolve(this.answers.shift() ?? null);
  }
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

let dir: string;
let services: HostServices;
let dialogs: ScriptedDialogs;
const newServices = () =>
  createHostServices({
    dataDir: join(dir, 'data'),
    templatesDir: TEMPLATES,
    appVersion: '0.0.0',
    runtime: 'test',
    autosaveMs: 30,
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-session-'));
  services = newServices();
  dialogs = new ScriptedDialogs();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('project session: new, save, open', () => {
  it('starts from a template, saves through the dialog, and adds the file to the recent list', async () => {
    const s = new ProjectSession(services, dialogs);
    const opened = await s.newProject('small-mlp');
    expect(opened).toMatchObject({ path: null, name: 'Small MLP', dirty: false, weights: [] });
    expect(opened.project.graph.nodes.map((n) => n.type)).toEqual(['input', 'flatten', 'dense', 'relu', 'dense']);

    dialogs.answers.push(join(dir, 'mlp'));
    const saved = await s.save(opened.project);
    expect(dialogs.asked).toEqual(['save:Small MLP.convas']);
    expect(saved).toEqual({ path: join(dir, 'mlp.convas'), name: 'mlp' });
    expect((await readProjectFile(join(dir, 'mlp.convas'))).file.graph).toEqual(opened.project.graph);
    expect((await s.listRecent()).map((r) => [r.name, r.exists])).toEqual([['mlp', true]]);

    // A second save goes to the same file without asking.
    await s.save({ ...opened.project, name: 'renamed' });
    expect(dialogs.asked).toHaveLength(1);
    expect((await readProjectFile(join(dir, 'mlp.convas'))).file.name).toBe('renamed');
  });

  it('returns null and writes nothing when a dialog is cancelled', async () => {
    const s = new ProjectSession(services, dialogs);
    await s.newProject();
    expect(await s.saveAs(content('x'))).toBeNull();
    expect(await s.open()).toBeNull();
    expect(await s.pickFolder('Dataset')).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('opens a project with its weights, which the next save keeps', async () => {
    const path = join(dir, 'trained.convas');
    await writeProjectFile(path, content('trained'), new Network(graph, 3).getWeights());
    const s = new ProjectSession(services, dialogs);
    dialogs.answers.push(path);
    const opened = await s.open();
    expect(opened?.weights).toEqual([
      { name: 'fc.bias', shape: [2] },
      { name: 'fc.kernel', shape: [2, 4] },
    ]);
    dialogs.answers.push(join(dir, 'copy.convas'));
    await s.saveAs(content('copy'));
    expect(Object.keys((await readProjectFile(join(dir, 'copy.convas'))).weights).sort()).toEqual([
      'fc.bias',
      'fc.kernel',
    ]);
  });

  it('reports a bad file with its reason and keeps the current project', async () => {
    const bad = join(dir, 'bad.convas');
    await writeFile(bad, 'not a project');
    const s = new ProjectSession(services, dialogs);
    await s.newProject('small-mlp');
    dialogs.answers.push(bad);
    await expect(s.open()).rejects.toThrow(/'.*bad.convas' is not a readable Convas project/);
    expect((await s.startup()).project?.name).toBe('Small MLP');
    expect(await s.listRecent()).toEqual([]);
  });

  it('opens by path only files from the recent list', async () => {
    const path = join(dir, 'p.convas');
    await writeProjectFile(path, content('p'), {});
    const s = new ProjectSession(services, dialogs);
    await expect(s.openRecent(path)).rejects.toThrow(/is not in the recent list/);
    await expect(s.openRecent(join(dir, '..', '..', 'etc', 'passwd'))).rejects.toThrow(/is not in the recent list/);
    await services.recent.add(path);
    expect((await s.openRecent(path)).name).toBe('p');
  });

  it('offers a file the OS asked to open, once, and then opens it by path', async () => {
    const path = join(dir, 'double-clicked.convas');
    await writeProjectFile(path, content('d'), {});
    const s = new ProjectSession(services, dialogs);
    await s.offerFile(path);
    expect((await s.startup()).fileToOpen).toEqual({ path, name: 'double-clicked' });
    expect((await s.openRecent(path)).path).toBe(path);
    expect((await s.startup()).fileToOpen).toBeNull();
  });

  it('keeps files outside the allowed folder out, whatever the dialog returned', async () => {
    const allowed = join(dir, 'inside');
    const s = new ProjectSession(services, dialogs, {
      checkPath: async (p) => {
        if (!p.startsWith(allowed)) throw new Error(`'${p}' is outside '${allowed}'`);
      },
    });
    await s.newProject();
    dialogs.answers.push(join(dir, 'outside.convas'), join(dir, 'outside-folder'));
    await expect(s.saveAs(content('x'))).rejects.toThrow(/is outside/);
    await expect(s.pickFolder('Dataset')).rejects.toThrow(/is outside/);
    expect(await exists(join(dir, 'outside.convas'))).toBe(false);
  });
});

describe('project session: autosave and restore after a crash', () => {
  it('backs up an edit a few moments later and drops the backup once saved', async () => {
    const s = new ProjectSession({ ...services, autosaveMs: 400 }, dialogs);
    await s.newProject();
    const edited = Date.now();
    s.changed(content('edited'));
    expect(s.dirty).toBe(true);
    const backup = services.backups.fileOf(s.id);
    await until(() => exists(backup), 'the backup');
    expect(Date.now() - edited).toBeGreaterThanOrEqual(400);
    await s.settle();
    expect((await readProjectFile(backup)).file.name).toBe('edited');

    dialogs.answers.push(join(dir, 'edited.convas'));
    await s.save(content('edited'));
    await s.settle();
    expect(s.dirty).toBe(false);
    expect(await exists(backup)).toBe(false);
  });

  it('offers the backup of a session that crashed to the next launch, which restores it unsaved', async () => {
    const path = join(dir, 'work.convas');
    await writeProjectFile(path, content('before'), new Network(graph, 5).getWeights());
    const crashed = new ProjectSession(services, dialogs);
    dialogs.answers.push(path);
    await crashed.open();
    crashed.changed(content('after'));
    await until(() => exists(services.backups.fileOf(crashed.id)), 'the backup');
    await crashed.settle();
    // The process dies here: no close(). The next launch starts with fresh services on the same data folder.

    const next = new ProjectSession(newServices(), dialogs);
    const { backups, project } = await next.startup();
    expect(project).toBeNull();
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ id: crashed.id, name: 'after', originalPath: path });

    const restored = await next.restoreBackup(backups[0].id);
    expect(restored).toMatchObject({ path, name: 'work', dirty: true });
    expect(restored.project.name).toBe('after');
    expect(restored.weights.map((w) => w.name)).toEqual(['fc.bias', 'fc.kernel']);
    await next.settle();
    // The backup now belongs to the restoring session, so it is not offered again, and nothing was lost.
    expect((await next.startup()).backups).toEqual([]);
    expect(await exists(services.backups.fileOf(next.id))).toBe(true);
    expect((await readProjectFile(path)).file.name).toBe('before');
  });

  it('does not offer the backups of sessions that are still running, nor let them be discarded', async () => {
    const a = new ProjectSession(services, dialogs);
    await a.newProject();
    a.changed(content('a'));
    await until(() => exists(services.backups.fileOf(a.id)), 'the backup');
    await a.settle();
    const b = new ProjectSession(services, dialogs);
    expect((await b.startup()).backups).toEqual([]);
    await expect(b.discardBackup(a.id)).rejects.toThrow(/there is no backup/);
    await a.close();
    expect((await b.startup()).backups.map((x) => x.id)).toEqual([a.id]);
    await b.discardBackup(a.id);
    expect((await b.startup()).backups).toEqual([]);
  });

  it('backs up unsaved work at once when a session closes, and nothing when it was saved', async () => {
    const s = new ProjectSession(services, dialogs);
    await s.newProject();
    s.changed(content('closing'));
    await s.close();
    expect((await readProjectFile(services.backups.fileOf(s.id))).file.name).toBe('closing');

    const clean = new ProjectSession(services, dialogs);
    await clean.newProject();
    await clean.close();
    expect(await exists(services.backups.fileOf(clean.id))).toBe(false);
  });

  it('keeps an edit made during a save unsaved', async () => {
    const s = new ProjectSession(services, dialogs);
    await s.newProject();
    dialogs.answers.push(join(dir, 'race.convas'));
    const saving = s.saveAs(content('v1'));
    s.changed(content('v2'));
    await saving;
    expect(s.dirty).toBe(true);
    expect((await s.startup()).project?.project.name).toBe('v2');
    // The unsaved edit arms the 30 ms autosave: end the session so that its backup is not written into the
    // folder while afterEach removes it (that race failed the removal with ENOTEMPTY).
    await s.close();
  });

  it('gives a reloaded window its project back with the crash report, once', async () => {
    const s = new ProjectSession(services, dialogs);
    await s.newProject('small-mlp');
    s.changed(content('unsaved edit'));
    s.noteCrash('The window stopped (oom); it was reloaded.');
    const first = await s.startup();
    expect(first.crash).toBe('The window stopped (oom); it was reloaded.');
    expect(first.project).toMatchObject({ dirty: true, project: { name: 'unsaved edit' } });
    expect((await s.startup()).crash).toBeNull();
    await s.discardUnsaved();
  });

  it('discarding unsaved work removes its backup', async () => {
    const s = new ProjectSession(services, dialogs);
    await s.newProject();
    s.changed(content('x'));
    await until(() => exists(services.backups.fileOf(s.id)), 'the backup');
    await s.settle();
    await s.discardUnsaved();
    expect(s.dirty).toBe(false);
    expect(await exists(services.backups.fileOf(s.id))).toBe(false);
  });
});
