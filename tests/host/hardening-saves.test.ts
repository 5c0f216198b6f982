import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPathFor } from '../../src/host/project/atomic-write';
import { readProjectFile, writeProjectFile } from '../../src/host/project/project-file';
import { createHostServices } from '../../src/host/project/services';
import { isStrayTemp } from '../../src/host/project/stray-temps';
import { startServer } from '../../src/host/server/server';
import { newProjectContent } from '../../src/shared/project';
import { chain } from '../helpers/graphs';

/**
 * Issue 15, item 7: 8 of 24 interrupted saves left hidden .tmp files (up to 254 MB) that nothing removed. They
 * are now removed on the next start, in the folders Convas saves to.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-hardening-saves-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The id of a process that has ended (a child run to completion). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const hours = (h: number) => new Date(Date.now() - h * 3600 * 1000);
const HEX = 'a1b2c3d4e5f6';

describe('temporary files of interrupted saves', () => {
  it('are told apart from saves still going on', () => {
    const now = Date.now();
    expect(isStrayTemp(`.p.convas.${deadPid()}-${HEX}.tmp`, now, now)).toBe(true);
    // Our own, and a running process's: still being written.
    expect(isStrayTemp(`.p.convas.${process.pid}-${HEX}.tmp`, now, now)).toBe(false);
    expect(isStrayTemp(`.p.convas.${process.ppid}-${HEX}.tmp`, now, now)).toBe(false);
    // No writer recorded (exports, earlier versions): an hour's grace.
    expect(isStrayTemp(`.p.convas.${HEX}.tmp`, now, now)).toBe(false);
    expect(isStrayTemp(`.p.convas.${HEX}.tmp`, hours(2).getTime(), now)).toBe(true);
    // Not ours at all.
    for (const name of ['notes.tmp', `p.convas.${HEX}.tmp`, `.p.convas.${HEX}.tmp.bak`, '.tmp']) {
      expect(isStrayTemp(name, 0, now)).toBe(false);
    }
  });

  it('are removed when the server starts, in its data folder and beside recent projects', async () => {
    const dataDir = join(dir, 'data');
    const projects = join(dir, 'projects');
    await mkdir(join(dataDir, 'backups'), { recursive: true });
    await mkdir(projects);
    const project = join(projects, 'p.convas');
    await writeProjectFile(project, newProjectContent(chain(['x', 'input'], ['fc', 'dense', { units: 2 }])), {});
    await createHostServices({ dataDir, templatesDir: '', appVersion: '0', runtime: '' }).recent.add(project);

    const dead = deadPid();
    const strays = [
      join(projects, `.p.convas.${dead}-${HEX}.tmp`),
      join(dataDir, 'backups', `.b1.convas.${dead}-${HEX}.tmp`),
      join(dataDir, `.recent.json.${dead}-${HEX}.tmp`),
      join(projects, `.p.convas.0badc0ffee00.tmp`),
    ];
    const kept = [
      join(projects, 'notes.tmp'),
      join(projects, `.p.convas.${process.pid}-${HEX}.tmp`),
      join(projects, `.p.convas.123456abcdef.tmp`),
    ];
    for (const p of [...strays, ...kept]) await writeFile(p, 'partial save');
    await utimes(strays[3], hours(3), hours(3));

    const lines: string[] = [];
    await mkdir(join(dir, 'renderer'));
    await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
    const server = await startServer({
      root: dir,
      dataDir,
      rendererDir: join(dir, 'renderer'),
      templatesDir: resolve('resources/templates'),
      appVersion: '1',
      log: (l) => lines.push(l),
    });
    await server.close();
    for (const p of strays) expect(existsSync(p), p).toBe(false);
    for (const p of kept) expect(existsSync(p), p).toBe(true);
    expect(lines.filter((l) => l.includes('left by a save that was interrupted'))).toHaveLength(4);
    expect((await readProjectFile(project)).file.graph.nodes).toHaveLength(2);
  });

  it('writeFileAtomic names its temporary file after the target and this process', () => {
    expect(tempPathFor('/x/p.convas')).toMatch(new RegExp(`^/x/\\.p\\.convas\\.${process.pid}-[0-9a-f]{12}\\.tmp$`));
    expect(isStrayTemp(tempPathFor('/x/p.convas').slice(3), Date.now())).toBe(false);
  });
});
