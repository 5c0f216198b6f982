import { z } from 'zod';
import type { Envelope, EventName } from './api';

/**
 * The browser mode's wire format over one WebSocket (path WS_PATH): JSON text frames. The page sends
 * requests with its own numbering; the server answers each with the same id and pushes events between.
 */
export const WS_PATH = '/api';

/** The query parameter (and, with the port appended, the cookie) that carries the per-launch token. */
export const TOKEN_PARAM = 'token';

export const RequestFrame = z.strictObject({
  type: z.literal('request'),
  id: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  name: z.string().max(100),
  payload: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof RequestFrame>;

export type ResponseFrame = { type: 'response'; id: number; result: Envelope };
export type EventFrame = { type: 'event'; event: EventName; payload: unknown };
export type ServerFrame = ResponseFrame | EventFrame;
