import type { Api, Envelope, EventName } from '../../shared/api';
import { createApiClient, type Transport } from '../../shared/api-client';
import type { RequestFrame, ServerFrame } from '../../shared/ws-protocol';

/** The part of the browser's WebSocket this client uses (the `ws` package's client has it too, for tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

const OPEN = 1;

export interface WebSocketApi {
  api: Api;
  /** Resolves with a message for the user when the connection ends (the server stopped, the network went). */
  closed: Promise<string>;
}

/**
 * The browser mode's transport: requests and answers as JSON frames over one WebSocket, numbered so that
 * answers may come back in any order. Requests made before the socket opens wait for it; when it closes,
 * every request in flight (and every later one) fails with the reason instead of hanging.
 */
export function createWebSocketApi(socket: SocketLike): WebSocketApi {
  let nextId = 1;
  let closedReason: string | null = null;
  const pending = new Map<number, (e: Envelope) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const opened = new Promise<void>((resolve) => {
    if (socket.readyState === OPEN) resolve();
    else socket.addEventListener('open', () => resolve());
  });
  let markClosed: (reason: string) => void = () => undefined;
  const closed = new Promise<string>((resolve) => {
    markClosed = resolve;
  });
  const failure = (message: string): Envelope => ({ ok: false, error: { name: 'ConnectionError', message } });

  socket.addEventListener('message', (event) => {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(event.data)) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'response') {
      pending.get(frame.id)?.(frame.result);
      pending.delete(frame.id);
    } else if (frame.type === 'event') {
      for (const listener of listeners.get(frame.event) ?? []) listener(frame.payload);
    }
  });
  socket.addEventListener('close', (event) => {
    closedReason =
      event.code === 1000 || event.code === 1001
        ? 'The Convas server has stopped; start it again and reload this page.'
        : `The connection to the Convas server was lost (code ${event.code}${event.reason ? `: ${event.reason}` : ''}); reload this page.`;
    for (const resolve of pending.values()) resolve(failure(closedReason));
    pending.clear();
    markClosed(closedReason);
  });

  const transport: Transport = {
    async invoke(name, payload) {
      if (closedReason === null) await Promise.race([opened, closed]);
      if (closedReason !== null) return failure(closedReason);
      const id = nextId++;
      const frame: RequestFrame = { type: 'request', id, name, ...(payload === undefined ? {} : { payload }) };
      return new Promise<Envelope>((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify(frame));
      });
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  return { api: createApiClient(transport), closed };
}
