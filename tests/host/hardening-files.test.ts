import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { encodePng, scanDataset } from '../../src/host/datasets';
import { readModelFile } from '../../src/host/export';
import { readUntrustedFile } from '../../src/host/files/read-untrusted';
import { readProjectFile } from '../../src/host/project/project-file';
import type { Api, DialogRequest } from '../../src/shared/api';
import { stop } from '../electron/child-process';
import { openApi, startServeChild, type ServeChild } from '../helpers/hostile-server';

/**
 * Issue 15, item 3: the size caps trusted `stat`, which reports 0 bytes for FIFOs and devices, so a .png linked
 * to /dev/zero grew `convas report` to 4 GB and the server to 5 GB, and six FIFOs in a dataset tied up every
 * libuv thread (the server then answered nothing and ignored SIGTERM). Every untrusted file now goes through
 * one reader that refuses anything but a regular file, without blocking, naming the path.
 */

let dir: string;
let fifos: string[];
let unixSocket: Server;
const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const convas = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const mkfifo = (path: string) => {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${String(r.stderr)}`);
};

/** A small valid PNG, different for each `seed` (so that none are duplicates). */
const png = (seed: number) =>
  encodePng(
    tensor(
      [1, 8, 8],
      Float32Array.from({ length: 64 }, (_, i) => ((i * seed) % 7) / 7),
    ),
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-hardening-files-'));
  const data = join(dir, 'home', 'data');
  for (const c of ['coat', 'shirt']) {
    await mkdir(join(data, c), { recursive: true });
    for (let i = 1; i <= 4; i++) await writeFile(join(data, c, `good${i}.png`), await png(i + (c === 'coat' ? 0 : 10)));
  }
  await symlink('/dev/zero', join(data, 'coat', 'zero.png'));
  await symlink('/dev/urandom', join(data, 'coat', 'urandom.png'));
  // Six FIFOs: more than libuv's four threads, which blocking opens used to tie up for good.
  fifos = [1, 2, 3, 4, 5, 6].map((i) => join(data, 'shirt', `fifo${i}.png`));
  fifos.forEach(mkfifo);
  await symlink(fifos[0], join(data, 'shirt', 'link-to-fifo.jpg'));
  await mkdir(join(data, 'shirt', 'folder.png'));
  unixSocket = createServer();
  await new Promise<void>((resolve) => unixSocket.listen(join(data, 'shirt', 'socket.png'), resolve));
  await mkdir(join(dir, 'home', 'projects'));
  mkfifo(join(dir, 'home', 'projects', 'fifo.convas'));
  mkfifo(join(dir, 'model.onnx'));
});
afterAll(async () => {
  await new Promise((resolve) => unixSocket.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the one reader for untrusted files', () => {
  it.each([
    ['/dev/zero', /^'\/dev\/zero' is a character device, not a regular file$/],
    ['/dev/urandom', /^'\/dev\/urandom' is a character device, not a regular file$/],
  ])('refuses %s, which stat says is 0 bytes', async (path, message) => {
    await expect(readUntrustedFile(path, { maxBytes: 1024 })).rejects.toThrow(message);
  });

  it('refuses a FIFO without blocking, and a link to it, a folder and a socket, naming each', async () => {
    await expect(readUntrustedFile(fifos[0], { maxBytes: 1024 })).rejects.toThrow(
      `'${fifos[0]}' is a FIFO (named pipe), not a regular file`,
    );
    const link = join(dir, 'home', 'data', 'shirt', 'link-to-fifo.jpg');
    await expect(readUntrustedFile(link, { maxBytes: 1024 })).rejects.toThrow(
      `'${link}' is a FIFO (named pipe), not a regular file (it leads to '${fifos[0]}')`,
    );
    const folder = join(dir, 'home', 'data', 'shirt', 'folder.png');
    await expect(readUntrustedFile(folder, { maxBytes: 1024 })).rejects.toThrow(`'${folder}' is a folder`);
    const socket = join(dir, 'home', 'data', 'shirt', 'socket.png');
    await expect(readUntrustedFile(socket, { maxBytes: 1024 })).rejects.toThrow(`'${socket}' is a socket`);
  });

  it('counts the bytes it reads: a file that stat says is empty is still cut off at the cap', async () => {
    // /proc files are regular files whose stat size is 0, whatever they hold.
    await expect(readUntrustedFile('/proc/self/status', { maxBytes: 64 })).rejects.toThrow(
      /^'\/proc\/self\/status' is more than 1 KB, over the cap of 1 KB$/,
    );
    const { bytes } = await readUntrustedFile('/proc/self/status', { maxBytes: 1 << 20 });
    expect(bytes.toString()).toMatch(/^Name:/);
  });

  it('reads a regular file whole, through links, and refuses one that leads outside `within`', async () => {
    const good = join(dir, 'home', 'data', 'coat', 'good1.png');
    await symlink(good, join(dir, 'link.png'));
    const { bytes, realPath } = await readUntrustedFile(join(dir, 'link.png'), { maxBytes: 1 << 20 });
    expect(bytes.equals(await png(1))).toBe(true);
    expect(realPath).toBe(good);
    await expect(
      readUntrustedFile(join(dir, 'link.png'), { maxBytes: 1 << 20, within: join(dir, 'x') }),
    ).rejects.toThrow(`'${join(dir, 'link.png')}' leads outside the folder '${join(dir, 'x')}' through a link`);
    await expect(readUntrustedFile(good, { maxBytes: 10 })).rejects.toThrow(/is \d+ KB, over the cap of 1 KB/);
  });

  it('is what projects and model files are read with', async () => {
    await expect(readProjectFile(join(dir, 'home', 'projects', 'fifo.convas'))).rejects.toThrow(
      /fifo.convas' is a FIFO \(named pipe\), not a regular file/,
    );
    await expect(readProjectFile('/dev/zero')).rejects.toThrow(/'\/dev\/zero' is a character device/);
    await expect(readModelFile('/dev/urandom')).rejects.toThrow(/'\/dev\/urandom' is a character device/);
  });
});

describe('a dataset holding devices, FIFOs, a folder and a socket named like images', () => {
  it('scans: each one is skipped with its reason, the good images kept', async () => {
    const index = await scanDataset(join(dir, 'home', 'data'));
    expect(index.splits.train).toHaveLength(8);
    const skipped = Object.fromEntries(index.skipped.map((s) => [s.rel, s.reason]));
    expect(skipped).toMatchObject({
      'coat/zero.png': "file is a character device, not a regular file (it leads to '/dev/zero')",
      'coat/urandom.png': "file is a character device, not a regular file (it leads to '/dev/urandom')",
      'shirt/fifo1.png': 'file is a FIFO (named pipe), not a regular file',
      'shirt/fifo6.png': 'file is a FIFO (named pipe), not a regular file',
      'shirt/link-to-fifo.jpg': expect.stringMatching(/^file is a FIFO \(named pipe\), not a regular file \(it leads/),
      'shirt/socket.png': 'file is a socket, not a regular file',
    });
    expect(index.skipped).toHaveLength(10);
  });

  it('`convas report` lists them and exits', () => {
    const r = convas('report', join(dir, 'home', 'data'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('coat/zero.png: unreadable: file is a character device');
    expect(r.stdout).toContain('shirt/fifo3.png: unreadable: file is a FIFO (named pipe)');
  });

  it('`convas import` and `convas train` refuse a device or a FIFO with one line naming it', () => {
    const out = join(dir, 'out.convas');
    for (const [args, message] of [
      [['import', '/dev/zero', '--out', out], "convas import: '/dev/zero' is a character device, not a regular file\n"],
      [
        ['import', '/dev/urandom', '--out', out],
        "convas import: '/dev/urandom' is a character device, not a regular file\n",
      ],
      [
        ['import', join(dir, 'model.onnx'), '--out', out],
        `convas import: '${join(dir, 'model.onnx')}' is a FIFO (named pipe), not a regular file\n`,
      ],
      [['train', fifos[1], '--out', out], `convas train: '${fifos[1]}' is a FIFO (named pipe), not a regular file\n`],
    ] as const) {
      const r = convas(...args);
      expect(r.stderr).toBe(message);
      expect(r.code).toBe(2);
    }
  });
});

describe('the browser-mode server and the same folder', () => {
  let server: ServeChild;
  let api: Api;
  let close: () => Promise<void>;
  const dialogs: DialogRequest[] = [];
  const nextDialog = async () => {
    for (let i = 0; i < 2000 && dialogs.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const d = dialogs.shift();
    if (!d) throw new Error('the server never asked for a dialog');
    return d;
  };
  beforeAll(async () => {
    server = await startServeChild(join(dir, 'serve'), join(dir, 'home'));
    ({ api, close } = await openApi(server));
    api.on('dialogRequest', (d) => dialogs.push(d));
  }, 60_000);

  it('reports the dataset with each hostile file skipped, and still answers', async () => {
    const picking = api.pickFolder({});
    await api.answerDialog({ dialogId: (await nextDialog()).dialogId, path: 'data' });
    const picked = await picking;
    const report = await api.datasetReport({ dataset: picked!.path, validationFraction: 0.25 });
    expect(report.totals).toEqual({ train: 6, validation: 2, test: 0 });
    expect(report.skipped.map((s) => s.rel).sort()).toEqual([
      'coat/urandom.png',
      'coat/zero.png',
      'shirt/fifo1.png',
      'shirt/fifo2.png',
      'shirt/fifo3.png',
      'shirt/fifo4.png',
      'shirt/fifo5.png',
      'shirt/fifo6.png',
      'shirt/link-to-fifo.jpg',
      'shirt/socket.png',
    ]);
    const thumbnails = await api.datasetThumbnails({ dataset: picked!.path, perClass: 4 });
    expect(thumbnails.classes.map((c) => c.images.length)).toEqual([3, 3]);
    expect((await api.ping({ message: 'after' })).message).toBe('after');
  });

  it('refuses a FIFO in the open-project picker, naming it', async () => {
    const opening = api.openProject();
    const { dialogId } = await nextDialog();
    await expect(api.answerDialog({ dialogId, path: 'projects/fifo.convas' })).rejects.toThrow(
      /'projects\/fifo.convas' is not a .convas file/,
    );
    await api.answerDialog({ dialogId, path: null });
    expect(await opening).toBeNull();
    expect((await api.ping({ message: 'after' })).message).toBe('after');
  });

  it('stops on SIGTERM', async () => {
    await close();
    expect(await stop(server.child)).toBe(0);
  });
});
