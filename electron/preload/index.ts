import { contextBridge } from 'electron';

/** Exposes named functions only: never ipcRenderer, raw events or process. The typed Api comes with the desktop-shell issue. */
contextBridge.exposeInMainWorld('convas', { version: 1 });
