import { z } from 'zod';
import {
  events,
  requests,
  type Envelope,
  type EventName,
  type EventOf,
  type ParsedRequestOf,
  type RequestName,
  type ResponseOf,
} from '../../shared/api';
import { untrustedDataProblem } from '../../shared/safe-json';

/** The host side of the Api: one function per request, receiving the validated payload. */
export type Handlers = {
  [K in RequestName]: (request: ParsedRequestOf<K>) => Promise<ResponseOf<K>> | ResponseOf<K>;
};

/** Sends one event to the window; its payload is checked first, so that a host bug never reaches the renderer. */
export type Emit = <E extends EventName>(event: E, payload: EventOf<E>) => void;

const refuse = (message: string, name = 'RequestError'): Envelope => ({ ok: false, error: { name, message } });

/**
 * Runs one request for either transport: the channel must exist, the payload must match its schema, and the
 * handler's answer must match the response schema. Errors come back as an envelope carrying their message.
 */
export async function dispatch(handlers: Handlers, channel: string, payload: unknown): Promise<Envelope> {
  if (!Object.hasOwn(requests, channel)) return refuse(`there is no request '${channel}'`);
  const name = channel as RequestName;
  // Iterative and bounded: a payload nested 100,000 levels deep is refused here, never overflows the stack.
  const problem = untrustedDataProblem(payload);
  if (problem) return refuse(`request '${name}' refused: ${problem}`);
  const parsed = requests[name].request.safeParse(payload);
  if (!parsed.success) return refuse(`request '${name}' refused:\n${z.prettifyError(parsed.error)}`);
  try {
    const handler = handlers[name] as (request: unknown) => unknown;
    const value = await handler(parsed.data);
    const checked = requests[name].response.safeParse(value);
    if (!checked.success) {
      return refuse(
        `the answer to '${name}' is malformed (a bug in Convas):\n${z.prettifyError(checked.error)}`,
        'InternalError',
      );
    }
    return { ok: true, value: checked.data };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error: { name: err.name, message: err.message } };
  }
}

/** Checks an event's payload against its schema; throws (a host bug) when it does not match. */
export function checkEvent<E extends EventName>(event: E, payload: EventOf<E>): EventOf<E> {
  const r = events[event].safeParse(payload);
  if (!r.success) throw new Error(`event '${event}' has a malformed payload:\n${z.prettifyError(r.error)}`);
  return r.data as EventOf<E>;
}
