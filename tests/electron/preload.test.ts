import { describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES, type Api } from '../../src/shared/api';

/** What the preload exposes, and the ipcRenderer calls it makes. */
const exposed = new Map<string, unknown>();
const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
const invoke = vi.fn(async (_channel: string, _payload: unknown): Promise<unknown> => ({
  ok: true,
  value: { message: 'pong', at: 1 },
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (channel: string, payload: unknown) => invoke(channel, payload),
    on(channel: string, fn: (event: unknown, payload: unknown) => void) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(fn);
    },
    removeListener(channel: string, fn: (event: unknown, payload: unknown) => void) {
      listeners.get(channel)?.delete(fn);
    },
  },
}));

await import('../../electron/preload/index');
const api = exposed.get('convas') as Api;

describe('preload', () => {
  it('exposes exactly the Api: one function per request, plus on(), and nothing else', () => {
    expect([...exposed.keys()]).toEqual(['convas']);
    expect(Object.keys(api).sort()).toEqual([...REQUEST_NAMES, 'on'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    const text = JSON.stringify(Object.keys(api));
    expect(text).not.toMatch(/ipcRenderer|process|require|send/);
  });

  it('invokes each request on its own channel and unwraps the answer', async () => {
    expect(await api.ping({ message: 'ping' })).toEqual({ message: 'pong', at: 1 });
    expect(invoke).toHaveBeenLastCalledWith('convas:ping', { message: 'ping' });
    await api.appInfo();
    expect(invoke).toHaveBeenLastCalledWith('convas:appInfo', undefined);
  });

  it("turns the host's error envelope into an error carrying its message", async () => {
    invoke.mockResolvedValueOnce({
      ok: false,
      error: { name: 'ProjectFileError', message: "'a.convas' is not a readable Convas project" },
    });
    await expect(api.openProject()).rejects.toThrow("'a.convas' is not a readable Convas project");
  });

  it("gives event listeners the payload only, never Electron's event object, and unsubscribes", () => {
    const got: unknown[] = [];
    const off = api.on('menuCommand', (payload) => got.push(payload));
    const electronEvent = { sender: 'ipcRenderer internals', ports: [] };
    for (const fn of listeners.get('convas:menuCommand') ?? []) fn(electronEvent, { command: 'edit.undo' });
    expect(got).toEqual([{ command: 'edit.undo' }]);
    off();
    expect(listeners.get('convas:menuCommand')?.size).toBe(0);
  });

  it('refuses to subscribe to anything that is not one of its events', () => {
    expect(EVENT_NAMES).toContain('menuCommand');
    const on = api.on as (event: string, fn: () => void) => () => void;
    expect(() => on('ipc-message', () => undefined)).toThrow("there is no event 'ipc-message'");
  });
});
