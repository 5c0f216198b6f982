import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { checkEvent, dispatch, type Handlers } from '../../src/host/server/dispatch';
import {
  channelOf,
  REQUEST_NAMES,
  type Envelope,
  type EventName,
  type EventOf,
  type RequestName,
} from '../../src/shared/api';
import { isAppUrl } from './security';

/**
 * True only for a request from the main frame of our window showing one of our pages: not another window,
 * not an iframe, not a page that navigated elsewhere.
 */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow, origins: readonly string[]): boolean {
  if (win.isDestroyed() || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url, origins);
}

/**
 * Serves every request of the Api on its own channel (`convas:<name>`) for one window: the sender is checked,
 * then `dispatch` validates the payload with the shared schema. `after` runs after each successful request
 * (the menu is rebuilt when the recent list may have changed). Returns the function that removes the handlers.
 */
export function registerApi(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  win: BrowserWindow,
  handlers: Handlers,
  origins: readonly string[],
  after?: (name: RequestName) => void,
): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(channelOf(name), async (event, payload: unknown): Promise<Envelope> => {
      if (!isTrustedSender(event, win, origins)) {
        return {
          ok: false,
          error: {
            name: 'SecurityError',
            message: `request '${name}' refused: it did not come from the Convas window`,
          },
        };
      }
      const result = await dispatch(handlers, name, payload);
      if (result.ok) after?.(name);
      return result;
    });
  }
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(channelOf(name));
  };
}

/** Sends an event to the window, its payload checked against the shared schema. */
export function emitTo(win: BrowserWindow) {
  return <E extends EventName>(event: E, payload: EventOf<E>): void => {
    if (!win.isDestroyed()) win.webContents.send(channelOf(event), checkEvent(event, payload));
  };
}
