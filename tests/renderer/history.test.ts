import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addNode } from '../../src/renderer/commands';
import { COALESCE_MS, HISTORY_DEPTH } from '../../src/renderer/stores/history';
import { emptyGraph, type Graph } from '../../src/shared/graph';
import { freshStores } from './setup';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const named = (name: string): Graph => ({ ...emptyGraph(), name });

describe('the history store', () => {
  it('steps back and forth through snapshots', () => {
    const { history } = freshStores();
    history.record(named('a'), null);
    history.record(named('b'), null);
    expect(history.undo(named('c'))?.name).toBe('b');
    expect(history.undo(named('b'))?.name).toBe('a');
    expect(history.undo(named('a'))).toBeNull();
    expect(history.redo(named('a'))?.name).toBe('b');
    expect(history.redo(named('b'))?.name).toBe('c');
    expect(history.redo(named('c'))).toBeNull();
  });

  it('merges edits with the same key while they follow closely, and not after a pause or a seal', () => {
    const { history } = freshStores();
    history.record(named('a'), 'k');
    vi.advanceTimersByTime(COALESCE_MS - 1);
    history.record(named('b'), 'k');
    expect(history.depth).toBe(1);
    vi.advanceTimersByTime(COALESCE_MS + 1);
    history.record(named('c'), 'k');
    expect(history.depth).toBe(2);
    history.seal();
    history.record(named('d'), 'k');
    expect(history.depth).toBe(3);
    history.record(named('e'), 'other');
    expect(history.depth).toBe(4);
  });

  it('never merges edits without a key', () => {
    const { history } = freshStores();
    history.record(named('a'), null);
    history.record(named('b'), null);
    expect(history.depth).toBe(2);
  });

  it('forgets the redo steps when a new edit is made', () => {
    const { history } = freshStores();
    history.record(named('a'), null);
    history.undo(named('b'));
    expect(history.canRedo).toBe(true);
    history.record(named('a'), null);
    expect(history.canRedo).toBe(false);
  });

  it(`keeps at most ${HISTORY_DEPTH} steps, dropping the oldest`, () => {
    const { history } = freshStores();
    for (let i = 0; i < HISTORY_DEPTH + 5; i++) history.record(named(`g${i}`), null);
    expect(history.depth).toBe(HISTORY_DEPTH);
    let last: Graph | null = null;
    let current = named('now');
    for (let g = history.undo(current); g; g = history.undo(current)) {
      last = g;
      current = g;
    }
    expect(last?.name).toBe('g5');
  });

  it('holds copies, so a later change to a graph object cannot alter a snapshot', () => {
    const { history } = freshStores();
    const g = named('a');
    history.record(g, null);
    g.name = 'changed';
    expect(history.undo(named('b'))?.name).toBe('a');
  });

  it('starts over when a graph is loaded', () => {
    const s = freshStores();
    s.graph.run(addNode, { type: 'relu', position: { x: 0, y: 0 } });
    expect(s.history.canUndo).toBe(true);
    s.graph.load(emptyGraph());
    expect(s.history.canUndo).toBe(false);
  });
});
