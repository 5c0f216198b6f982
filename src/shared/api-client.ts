import { ApiError, EVENT_NAMES, REQUEST_NAMES, type Api, type Envelope, type EventName, type RequestName } from './api';

/** What a transport must provide: send one request and get its envelope back; listen to one event. */
export interface Transport {
  invoke(name: RequestName, payload: unknown): Promise<Envelope>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** The value of an answer, or an ApiError carrying the host's message. */
export function unwrap(envelope: Envelope): unknown {
  if (envelope.ok) return envelope.value;
  throw new ApiError(envelope.error.message, envelope.error.name);
}

/**
 * Builds the Api over a transport: one function per request name, nothing else. The Electron preload and the
 * browser's WebSocket client both call this, so that the renderer sees the same object either way.
 */
export function createApiClient(transport: Transport): Api {
  const api: Record<string, unknown> = {};
  for (const name of REQUEST_NAMES) {
    api[name] = async (payload?: unknown) => unwrap(await transport.invoke(name, payload));
  }
  api['on'] = (event: EventName, listener: (payload: unknown) => void) => {
    if (!EVENT_NAMES.includes(event)) throw new ApiError(`there is no event '${String(event)}'`);
    if (typeof listener !== 'function') throw new ApiError(`the listener for '${event}' is not a function`);
    return transport.subscribe(event, listener);
  };
  return api as unknown as Api;
}
