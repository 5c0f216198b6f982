import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../src/host/server/server';
import { createWebSocketApi, type SocketLike } from '../../src/renderer/api/ws-client';
import type { Api } from '../../src/shared/api';
import type { Graph } from '../../src/shared/graph';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../../src/shared/training';
import { chain } from '../helpers/graphs';

/** The browser-mode server, over its WebSocket Api, refuses graphs that cannot fit before it allocates them. */
let dir: string;
let server: RunningServer;
let api: Api;
let socket: WebSocket;
let closed: Promise<string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-server-memory-'));
  await mkdir(join(dir, 'home'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
  server = await startServer({
    root: join(dir, 'home'),
    dataDir: join(dir, 'data'),
    rendererDir: join(dir, 'renderer'),
    templatesDir: resolve('resources/templates'),
    appVersion: '1.2.3',
  });
  socket = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
    headers: { origin: server.origin },
  });
  ({ api, closed } = createWebSocketApi(socket as unknown as SocketLike));
  await new Promise((r) => socket.once('open', r));
});
afterAll(async () => {
  socket.close();
  await closed;
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function train(graph: Graph, batchSize = 32) {
  return api.startTraining({
    graph,
    dataset: null,
    data: DEFAULT_DATA_SETTINGS,
    hyper: { ...DEFAULT_HYPERPARAMETERS, batchSize },
  });
}

describe('the server and memory', () => {
  it("tells the page the machine's memory, for the status bar", async () => {
    expect((await api.appInfo()).memoryBytes).toBe(totalmem());
  });

  it('refuses to train a 1e12-weight graph with its figure and the node, and still answers', async () => {
    const trillion = chain(
      ['x', 'input', { channels: 64, height: 4096, width: 4096, vector: true }],
      ['fc', 'dense', { units: 932 }],
    );
    await expect(train(trillion)).rejects.toThrow(
      /the network cannot train: the network needs about 7\.3 TB .*more than this machine's \d+ GB of memory; node 'fc' \(Dense\) .*1,000,727,380,900 weights/,
    );
    expect((await api.ping({ message: 'still here' })).message).toBe('still here');
    expect((await api.trainingState()).phase).toBe('idle');
  });

  it('refuses a 3×4096×4096 input with 64 filters at batch 32 with its figure', async () => {
    const image = chain(
      ['x', 'input', { channels: 3, height: 4096, width: 4096 }],
      ['conv', 'conv2d', { filters: 64, padding: 'same' }],
    );
    await expect(train(image, 32)).rejects.toThrow(
      /needs about 268 GB to train at batch 32 \(.*activations 268 GB\), more than this machine's \d+ GB of memory; node 'conv' \(Conv2D\)/,
    );
  });
});
