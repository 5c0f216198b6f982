import type { Api } from '../../shared/api';
import { TOKEN_PARAM, WS_PATH } from '../../shared/ws-protocol';
import { createWebSocketApi } from './ws-client';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in the browser mode. */
    convas?: Api;
  }
}

let api: Api | null = null;
let lostMessage: string | null = null;
const lostListeners = new Set<(message: string) => void>();

/**
 * The Api, whichever way this page runs: the desktop app's preload puts it on `window.convas`; in the browser
 * mode it is a WebSocket client to the server the page came from, carrying the token from the page's URL
 * (the server's cookie carries it too). Components call this and never learn which it is.
 */
export function getApi(): Api {
  if (api) return api;
  if (window.convas) {
    api = window.convas;
    return api;
  }
  const token = new URLSearchParams(window.location.search).get(TOKEN_PARAM);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?${TOKEN_PARAM}=${encodeURIComponent(token)}` : '';
  const client = createWebSocketApi(new WebSocket(`${scheme}://${window.location.host}${WS_PATH}${query}`));
  void client.closed.then((message) => {
    lostMessage = message;
    for (const listener of lostListeners) listener(message);
  });
  api = client.api;
  return api;
}

/** Calls `listener` if the connection to the host is ever lost (only a browser-mode page can lose it). */
export function onConnectionLost(listener: (message: string) => void): () => void {
  if (lostMessage !== null) listener(lostMessage);
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}
