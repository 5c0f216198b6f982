/**
 * Untrusted JSON (project files, graph files, request payloads, checkpoint and model metadata) goes through one
 * bounded walk. Nothing here recurses: a payload nested 100,000 levels deep used to overflow the stack of a
 * recursive walk, ending the server and answering the command line with a bare "Maximum call stack size
 * exceeded". JSON.parse itself is iterative in V8, but on deep text it is slow and large (30 million levels of
 * `[` take 45 s and 3 GB), so text is measured before it is parsed.
 */

/**
 * Keys that could reach an object's prototype if some later code copied them with plain assignment.
 * Schema libraries drop or ignore them quietly; a hostile file is refused outright instead, naming where.
 */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * How deep untrusted JSON may nest. Convas's own files nest about 8 levels (project → graph → nodes → node →
 * params → value); 256 leaves room for any honest file and bounds every later walk (zod, JSON.stringify,
 * structured clone) far below the stack's limit.
 */
export const MAX_JSON_DEPTH = 256;

/** Untrusted JSON refused before or after parsing: invalid, nested too deep, or holding a forbidden key. */
export class UntrustedJsonError extends Error {
  override name = 'UntrustedJsonError';
}

/**
 * Why `text` nests deeper than `maxDepth`, or null. One pass over the characters, brackets inside strings
 * ignored; it says nothing else about validity (JSON.parse does that).
 */
export function jsonTextDepthProblem(text: string, maxDepth = MAX_JSON_DEPTH): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return `it nests deeper than ${maxDepth} levels (at character ${i})`;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/** One value on the walk's own stack; the path is rebuilt from the parents only when something is found. */
interface Step {
  value: unknown;
  key: string | number | null;
  parent: Step | null;
  depth: number;
}

/** The JSON path of a step, shortened in the middle when it is very deep (a path 100,000 levels long helps no one). */
function pathOf(step: Step): string {
  const keys: (string | number)[] = [];
  for (let s: Step | null = step; s && s.key !== null; s = s.parent) keys.push(s.key);
  keys.reverse();
  const part = (k: string | number) => (typeof k === 'number' ? `[${k}]` : `.${k}`);
  if (keys.length <= 24) return '$' + keys.map(part).join('');
  return `$${keys.slice(0, 12).map(part).join('')}…(${keys.length - 24} more)…${keys.slice(-12).map(part).join('')}`;
}

type Found = { kind: 'key' | 'deep'; path: string };

/** The first forbidden key or too-deep value in document order, walking with a stack of its own. */
function walk(data: unknown, maxDepth: number): Found | null {
  const stack: Step[] = [{ value: data, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { value, depth } = step;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) return { kind: 'deep', path: pathOf(step) };
    // Pushed in reverse, so that the first problem in document order is the one reported.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], key: i, parent: step, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (FORBIDDEN.has(key)) return { kind: 'key', path: pathOf({ value: null, key, parent: step, depth }) };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      stack.push({ value: (value as Record<string, unknown>)[keys[i]], key: keys[i], parent: step, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Why untrusted JSON-shaped data is refused (a forbidden key, or nesting deeper than `maxDepth`), or null.
 * Any depth is safe to ask about.
 */
export function untrustedDataProblem(data: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const found = walk(data, maxDepth);
  if (!found) return null;
  return found.kind === 'key'
    ? `the key ${found.path} is not allowed`
    : `it nests deeper than ${maxDepth} levels (at ${found.path})`;
}

/** The JSON path of the first forbidden key in `data`, or null. Iterative: any depth is safe. */
export function findForbiddenKey(data: unknown): string | null {
  return walk(data, Infinity)?.path ?? null;
}

/**
 * Parses untrusted JSON text: its depth is checked before parsing, then the parsed value is walked for
 * forbidden keys. Every failure is an UntrustedJsonError that starts with `source` (a file name, or what the
 * text is), so that the user learns which file is at fault.
 */
export function parseUntrustedJson(text: string, source: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const deep = jsonTextDepthProblem(text, maxDepth);
  if (deep) throw new UntrustedJsonError(`${source} is refused: ${deep}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UntrustedJsonError(`${source} is not valid JSON (${(e as Error).message})`);
  }
  const problem = untrustedDataProblem(data, maxDepth);
  if (problem) throw new UntrustedJsonError(`${source} is refused: ${problem}`);
  return data;
}
