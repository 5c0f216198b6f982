import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { run } from '../electron/child-process';
import { createWebSocketApi, type SocketLike } from '../../src/renderer/api/ws-client';
import type { Api } from '../../src/shared/api';

/** The browser-mode server as users run it (`npm run serve`), in a child process, so that a crash shows as an exit. */
export interface ServeChild {
  child: ChildProcess;
  port: number;
  token: string;
  origin: string;
  /** Everything the child printed so far. */
  output(): string;
}

/** Starts scripts/serve.ts on a free port with `root` for its pickers and a stub renderer under `dir`. */
export async function startServeChild(dir: string, root: string): Promise<ServeChild> {
  await mkdir(join(dir, 'renderer'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Convas</title>');
  const args = ['--import', 'tsx', 'scripts/serve.ts', '--port', '0', '--root', root, '--data', join(dir, 'data')];
  const started = await run(
    [...args, '--renderer', join(dir, 'renderer')],
    /running at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)\n/,
  );
  if (!started.match) throw new Error(`the server did not start:\n${started.out}`);
  let out = started.out;
  started.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  started.child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const port = Number(started.match[1]);
  return {
    child: started.child,
    port,
    token: started.match[2],
    origin: `http://127.0.0.1:${port}`,
    output: () => out,
  };
}

/** An authenticated Api on a new connection, as the page opens it; `close` ends it. */
export async function openApi(s: ServeChild): Promise<{ api: Api; close: () => Promise<void> }> {
  const socket = new WebSocket(`ws://127.0.0.1:${s.port}/api?token=${s.token}`, { headers: { origin: s.origin } });
  const { api, closed } = createWebSocketApi(socket as unknown as SocketLike);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    api,
    close: async () => {
      socket.close();
      await closed;
    },
  };
}

/** True when the server answers a ping on a fresh, authenticated connection. */
export async function answersPing(s: ServeChild): Promise<boolean> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return false;
  const { api, close } = await openApi(s);
  try {
    return (await api.ping({ message: 'still there?' })).message === 'still there?';
  } finally {
    await close();
  }
}

/** A raw TCP connection that completed the WebSocket handshake: what a hostile client writes goes as is. */
export interface RawSocket {
  socket: Socket;
  /** Resolves when the server has closed (or reset) the connection. */
  closed: Promise<void>;
}

export async function rawWebSocket(s: ServeChild): Promise<RawSocket> {
  const socket = connect(s.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // Writes after the server hung up fail with EPIPE or ECONNRESET: expected, the point of these tests.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    [
      `GET /api?token=${s.token} HTTP/1.1`,
      `Host: 127.0.0.1:${s.port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      `Origin: ${s.origin}`,
      '',
      '',
    ].join('\r\n'),
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
  return { socket, closed };
}

/**
 * One WebSocket frame, built by hand so that any field can be wrong. `length` overrides the announced payload
 * length (the payload itself is what is given); `mask` false sends it unmasked, which clients must never do.
 */
export function frame(o: {
  opcode: number;
  payload?: Uint8Array;
  fin?: boolean;
  rsv1?: boolean;
  mask?: boolean;
  length?: number | bigint;
}): Buffer {
  const payload = Buffer.from(o.payload ?? new Uint8Array());
  const length = BigInt(o.length ?? payload.length);
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.opcode & 0x0f);
  const masked = o.mask ?? true;
  let header: Buffer;
  if (length < 126n) header = Buffer.from([b0, (masked ? 0x80 : 0) | Number(length)]);
  else if (length < 65536n) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((v, i) => v ^ key[i % 4]));
  return Buffer.concat([header, key, body]);
}
