import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/formats/safetensors';
import { graphFromSafetensors } from '../../src/engine/formats/safetensors-format';
import { readProjectFile } from '../../src/host/project/project-file';
import { dispatch, type Handlers } from '../../src/host/server/dispatch';
import { parseGraph } from '../../src/shared/graph';
import { PROJECT_METADATA_KEY } from '../../src/shared/project';
import {
  findForbiddenKey,
  jsonTextDepthProblem,
  MAX_JSON_DEPTH,
  parseUntrustedJson,
  untrustedDataProblem,
} from '../../src/shared/safe-json';
import { stop } from '../electron/child-process';
import { answersPing, startServeChild, type ServeChild } from '../helpers/hostile-server';

/**
 * Issue 15, item 2: a payload nested about 5,000 levels deep overflowed the recursive findForbiddenKey, ending
 * the server (the rejection in dispatch was never caught) and answering the command line and the app with a bare
 * "Maximum call stack size exceeded". One bounded, iterative walk now refuses deep JSON, naming the file.
 */

const DEEP = 100_000;
/** `[[[…]]]`, `depth` levels, built without recursion. */
function deepArray(depth: number, leaf: unknown = 0): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
const deepText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObjectText = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-hardening-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the one bounded walk over untrusted JSON', () => {
  it('walks 100,000 levels without recursion: a forbidden key at the bottom is found, the depth is refused', () => {
    const hostile = deepArray(DEEP, JSON.parse('{"__proto__": 1}'));
    expect(findForbiddenKey(hostile)).toMatch(/^\$\[0\]\[0\].*…\(99977 more\)….*\[0\]\.__proto__$/);
    expect(untrustedDataProblem(hostile)).toMatch(/^it nests deeper than 256 levels \(at \$\[0\]/);
    expect(untrustedDataProblem(deepArray(MAX_JSON_DEPTH))).toBeNull();
    expect(untrustedDataProblem(deepArray(MAX_JSON_DEPTH + 1))).toMatch(/nests deeper than 256/);
  });

  it('measures text before parsing it, ignoring brackets inside strings', () => {
    expect(jsonTextDepthProblem(deepText(DEEP))).toBe('it nests deeper than 256 levels (at character 256)');
    expect(jsonTextDepthProblem(`["${'['.repeat(1000)}"]`)).toBeNull();
    expect(jsonTextDepthProblem(`["\\"${'['.repeat(1000)}"]`)).toBeNull();
    expect(() => parseUntrustedJson(deepObjectText(DEEP), 'deep.json')).toThrow(
      'deep.json is refused: it nests deeper than 256 levels (at character 1280)',
    );
    expect(() => parseUntrustedJson('{"a": [1, ', 'cut.json')).toThrow(/^cut.json is not valid JSON/);
    expect(parseUntrustedJson('{"a":[{"b":2}]}', 'fine.json')).toEqual({ a: [{ b: 2 }] });
  });

  it('refuses a deep graph with a SchemaError, not a stack overflow', () => {
    expect(() => parseGraph(deepArray(DEEP), 'g.json')).toThrow(/g.json is not a valid Convas graph: it nests deeper/);
  });

  it('answers a 100,000-deep request payload with a refusal envelope', async () => {
    const handlers = { ping: () => ({ message: 'x' }) } as unknown as Handlers;
    const answer = await dispatch(handlers, 'ping', { message: deepArray(DEEP) });
    expect(answer).toMatchObject({ ok: false, error: { message: expect.stringMatching(/nests deeper than 256/) } });
  });

  it('refuses a project whose description is 100,000 levels deep, naming the file', async () => {
    const path = join(dir, 'deep.convas');
    await writeFile(path, encodeSafetensors({}, { [PROJECT_METADATA_KEY]: deepObjectText(DEEP) }));
    await expect(readProjectFile(path)).rejects.toThrow(
      new RegExp(`'${path}': the project description is refused: it nests deeper than 256 levels`),
    );
  });

  it('refuses a safetensors header and a graph in its metadata that nest 100,000 deep', () => {
    const header = new TextEncoder().encode(`{"__metadata__":${deepText(DEEP)}}`);
    const file = new Uint8Array(8 + header.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    expect(() => decodeSafetensors(file)).toThrow(/header is refused: it nests deeper than 256 levels/);
    const withGraph = encodeSafetensors({}, { 'convas.graph': deepText(DEEP) });
    expect(() => graphFromSafetensors(withGraph, 'm.safetensors')).toThrow(
      /m.safetensors: the graph in its metadata is refused: it nests deeper/,
    );
  });

  it('answers `convas train deep.json` with one line naming the file, exit code 2', async () => {
    const path = join(dir, 'deep.json');
    await writeFile(path, deepObjectText(DEEP));
    const bin = join(import.meta.dirname, '../../bin/convas.mjs');
    const r = spawnSync(process.execPath, [bin, 'train', path, '--out', join(dir, 'out.convas')], { encoding: 'utf8' });
    expect(r.stderr).toBe(`convas train: ${path} is refused: it nests deeper than 256 levels (at character 1280)\n`);
    expect(r.status).toBe(2);
  });
});

describe('the browser-mode server and a 100,000-deep payload', () => {
  let server: ServeChild;
  beforeAll(async () => {
    await mkdir(join(dir, 'home'));
    server = await startServeChild(join(dir, 'serve'), join(dir, 'home'));
  }, 60_000);
  afterAll(async () => {
    if (server) expect(await stop(server.child)).toBe(0);
  });

  it('closes the connection that sent it, and still answers on a new one', async () => {
    for (const payload of [deepText(DEEP), deepObjectText(DEEP), deepText(300)]) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
        headers: { origin: server.origin },
      });
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(`{"type":"request","id":1,"name":"ping","payload":${payload}}`);
      expect(await closed).toBe(1008);
      expect(await answersPing(server)).toBe(true);
    }
    expect(server.output()).toMatch(/malformed frame: the request frame is refused: it nests deeper than 257 levels/);
  });

  it('answers a payload nested within the frame limit but past the walk limit with a refusal', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      headers: { origin: server.origin },
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const answer = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send(`{"type":"request","id":7,"name":"ping","payload":{"message":${deepText(MAX_JSON_DEPTH - 1)}}}`);
    expect(JSON.parse(await answer)).toMatchObject({
      id: 7,
      result: { ok: false, error: { message: expect.stringMatching(/request 'ping' refused/) } },
    });
    ws.close();
    expect(await answersPing(server)).toBe(true);
  });
});
