import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelOf, type Envelope } from '../../src/shared/api';
import { createApiClient } from '../../src/shared/api-client';

/**
 * The page's only way to the host: exactly the Api's functions and its typed event subscriptions, as
 * `window.convas`. Never ipcRenderer itself, never Electron's event objects (listeners get the payload
 * only), never process. Each function invokes its own channel; the main process checks who asks and
 * validates what they send.
 */
const api = createApiClient({
  invoke: (name, payload) => ipcRenderer.invoke(channelOf(name), payload) as Promise<Envelope>,
  subscribe(event, listener) {
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channelOf(event), forward);
    return () => {
      ipcRenderer.removeListener(channelOf(event), forward);
    };
  },
});

contextBridge.exposeInMainWorld('convas', api);
