import type { WebSocket } from 'ws';
import type { Envelope, EventName, EventOf } from '../../shared/api';
import { jsonTextDepthProblem, MAX_JSON_DEPTH } from '../../shared/safe-json';
import { RequestFrame, type ServerFrame } from '../../shared/ws-protocol';
import { ProjectSession } from '../project/session';
import type { HostServices } from '../project/services';
import { Workbench } from '../workbench';
import { checkInside } from './confine';
import { checkEvent, dispatch } from './dispatch';
import { createHandlers } from './handlers';
import { InPagePicker } from './picker';

/**
 * One browser tab: its own project session and in-page picker, confined to `root`. Requests are answered
 * as they complete (a slow dialog does not hold up a ping); a frame that is not a well-formed request closes
 * the socket, since only our own client talks to it. Resolves when the tab is gone and its unsaved work
 * has been backed up.
 */
export function serveConnection(
  ws: WebSocket,
  services: HostServices,
  root: string,
  log: (line: string) => void = (line) => console.error(line),
  workerScript?: URL,
): Promise<void> {
  const send = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) =>
    send({ type: 'event', event, payload: checkEvent(event, payload) });
  const picker = new InPagePicker(root, emit);
  const checkPath = (p: string) => checkInside(root, p);
  const session = new ProjectSession(services, picker, { checkPath });
  const workbench = new Workbench({
    session,
    dialogs: picker,
    emit,
    checkPath,
    root,
    checkpointDir: services.checkpointDir,
    ...(workerScript ? { workerScript } : {}),
  });
  const handlers = createHandlers(services, session, picker, workbench);

  // A protocol violation (a bad frame, invalid UTF-8, a message over maxPayload, a dropped socket): without this
  // listener ws's 'error' event would throw and end the server. Only this connection is closed, at once: a
  // peer that breaks the protocol is not waited for to answer a close frame.
  ws.on('error', (e) => {
    log(`convas serve: closed a connection that broke the WebSocket protocol: ${e.message}`);
    ws.terminate();
  });

  ws.on('message', (data, isBinary) => {
    let frame: RequestFrame;
    try {
      if (isBinary) throw new Error('binary frames are not part of the protocol');
      const text = String(data);
      // Measured before parsing: JSON.parse survives any depth but takes seconds and gigabytes on deep text.
      // The frame itself adds one level to its payload's.
      const deep = jsonTextDepthProblem(text, MAX_JSON_DEPTH + 1);
      if (deep) throw new Error(`the request frame is refused: ${deep}`);
      frame = RequestFrame.parse(JSON.parse(text));
    } catch (e) {
      log(`convas serve: closed a connection that sent a malformed frame: ${(e as Error).message.split('\n')[0]}`);
      ws.close(1008, 'malformed request frame');
      return;
    }
    // dispatch answers every failure with an envelope; the catch is the last guard, so that a bug in it can
    // never become an unhandled rejection that ends the server.
    void dispatch(handlers, frame.name, frame.payload)
      .catch((e: unknown): Envelope => {
        log(`convas serve: request '${frame.name}' failed inside dispatch: ${(e as Error).message}`);
        return {
          ok: false,
          error: { name: 'InternalError', message: `request '${frame.name}' failed: ${(e as Error).message}` },
        };
      })
      .then((result) => send({ type: 'response', id: frame.id, result }));
  });

  return new Promise((resolve) => {
    ws.on('close', () => {
      picker.cancel();
      // A run in progress stops first, so that its weights are in the project the session backs up.
      void workbench
        .close()
        .catch(() => undefined)
        .then(() => session.close())
        .then(resolve, resolve);
    });
  });
}
