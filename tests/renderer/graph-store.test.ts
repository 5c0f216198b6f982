import { describe, expect, it, vi } from 'vitest';
import { addNode, connect, moveNodes, remove, rename, setParam } from '../../src/renderer/commands';
import { defineEdit } from '../../src/renderer/commands/registry';
import { emptyGraph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';
import { freshStores, json, template } from './setup';

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

describe('the graph store', () => {
  it('runs an edit, records it for undo and counts the change', () => {
    const s = freshStores();
    const rev = s.graph.revision;
    expect(s.graph.run(addNode, { type: 'input', position: { x: 0, y: 0 } })).toBeNull();
    expect(s.graph.graph.nodes).toHaveLength(1);
    expect(s.graph.revision).toBe(rev + 1);
    expect(s.history.canUndo).toBe(true);
  });

  it('returns the reason of a refused edit and changes nothing', () => {
    const s = freshStores(chain([...img], ['r', 'relu']));
    const before = json(s.graph.graph);
    const rev = s.graph.revision;
    expect(s.graph.run(connect, { from: { node: 'r', port: 0 }, to: { node: 'x', port: 0 } })).toBe(
      "'x' (Input) takes no input",
    );
    expect(json(s.graph.graph)).toBe(before);
    expect(s.graph.revision).toBe(rev);
    expect(s.history.canUndo).toBe(false);
  });

  it('lets a bug in an edit through instead of hiding it as a refusal', () => {
    const s = freshStores();
    const broken = defineEdit<null>({
      name: 'test.broken',
      label: 'Broken',
      group: 'Edit',
      perform: () => {
        throw new TypeError('oops');
      },
    });
    expect(() => s.graph.run(broken, null)).toThrow('oops');
  });

  it('is dirty after an edit and clean again when undone back to what was loaded', () => {
    const s = freshStores(chain([...img]));
    expect(s.graph.dirty).toBe(false);
    s.graph.run(addNode, { type: 'relu', position: { x: 200, y: 0 } });
    expect(s.graph.dirty).toBe(true);
    s.graph.undo();
    expect(s.graph.dirty).toBe(false);
  });

  it('is clean after markSaved, and a load that is not saved starts dirty', () => {
    const s = freshStores();
    s.graph.run(addNode, { type: 'relu', position: { x: 0, y: 0 } });
    s.graph.markSaved();
    expect(s.graph.dirty).toBe(false);
    s.graph.load(chain([...img]), { saved: false });
    expect(s.graph.dirty).toBe(true);
  });

  it('drops deleted and undone nodes from the selection', () => {
    const s = freshStores(chain([...img], ['r', 'relu']));
    s.graph.run(addNode, { type: 'dense', position: { x: 0, y: 200 } });
    expect(s.selection.current.nodes).toEqual(['dense_1']);
    s.graph.undo();
    expect(s.selection.current.nodes).toEqual([]);
    s.selection.set({ nodes: ['x', 'r'], edges: ['x:0>r:0'] });
    s.graph.run(remove, { nodes: ['r'], edges: [] });
    expect(s.selection.current).toEqual({ nodes: [], edges: [] });
  });

  it('shows shapes along a finished chain even while another node is left unconnected', () => {
    const g = chain([...img], ['c', 'conv2d', { filters: 6, kernelH: 5, kernelW: 5, padding: 2 }]);
    g.nodes.push({ id: 'd', type: 'dense', params: {}, position: { x: 0, y: 300 } });
    const s = freshStores(g);
    expect(s.graph.analysis.shapes.get('c')).toEqual([6, 28, 28]);
    expect(s.graph.analysis.errors.get('c')).toBeUndefined();
    expect(s.graph.analysis.errors.get('d')).toBe("node 'd' (Dense): has no input; connect a layer to it or delete it");
    // The engine's own verdict on the whole graph is kept for the status bar and the trainer.
    expect(s.graph.analysis.full.compiled).toBeNull();
    expect(s.graph.metrics.valid).toBe(false);
  });

  it('counts parameters, MACs and activations of LeNet-5 as worked out by hand', () => {
    const s = freshStores(template('lenet5'));
    const m = s.graph.metrics;
    expect(m.valid).toBe(true);
    // conv1 6·(1·5·5)+6, conv2 16·(6·5·5)+16, fc1 400·120+120, fc2 120·84+84, fc3 84·10+10
    expect(m.totalParams).toBe(156 + 2416 + 48120 + 10164 + 850);
    // conv: out positions × in channels × kernel area; dense: in × out
    expect(m.totalMacs).toBe(6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10);
    // every output: input 784, conv1+relu1 2·4704, pool1 1176, conv2+relu2 2·1600, pool2+flatten 2·400, …
    expect(m.activationsPerExample).toBe(784 + 2 * 4704 + 1176 + 2 * 1600 + 2 * 400 + 2 * 120 + 2 * 84 + 2 * 10);
    expect(m.nodes.get('conv1')).toEqual({ shape: [6, 28, 28], error: null, notice: null, params: 156, macs: 117600 });
  });

  it('updates the shapes after an edit, through the same engine analysis', () => {
    const s = freshStores(template('lenet5'));
    s.graph.run(setParam, { node: 'conv1', key: 'padding', value: 0 });
    expect(s.graph.analysis.shapes.get('conv1')).toEqual([6, 24, 24]);
    expect(s.graph.analysis.shapes.get('flatten')).toEqual([256]);
    expect(s.graph.metrics.totalParams).toBe(156 + 2416 + 256 * 120 + 120 + 10164 + 850);
  });

  it('starts empty', () => {
    const s = freshStores();
    expect(json(s.graph.graph)).toBe(json(emptyGraph()));
    expect(s.graph.metrics.totalParams).toBe(0);
  });
});

describe('the analysis of a moving graph', () => {
  it('is not redone when only positions change, and is redone for any other change', () => {
    const s = freshStores(template('lenet5'));
    const first = s.graph.analysis;
    s.graph.run(moveNodes, { positions: { conv1: { x: 400, y: 400 } } });
    expect(s.graph.analysis).toBe(first);
    s.graph.run(rename, { node: 'conv1', name: 'c1' });
    expect(s.graph.analysis).not.toBe(first);
    const second = s.graph.analysis;
    s.graph.run(setParam, { node: 'conv1', key: 'filters', value: 4 });
    expect(s.graph.analysis).not.toBe(second);
    expect(s.graph.metrics.nodes.get('conv1')?.params).toBe(4 * 25 + 4);
    s.graph.undo(); // a snapshot comes back as new objects: analysed again, with the same answer
    expect(s.graph.metrics.nodes.get('conv1')?.params).toBe(156);
  });
});

describe('the editor store', () => {
  it('shows a notice for a few seconds, and takes it away when asked', () => {
    vi.useFakeTimers();
    const s = freshStores();
    s.editor.showNotice('refused', { x: 10, y: 20 }, 1000);
    expect(s.editor.notice).toEqual({ text: 'refused', at: { x: 10, y: 20 } });
    vi.advanceTimersByTime(1001);
    expect(s.editor.notice).toBeNull();
    s.editor.showNotice('again', { x: 0, y: 0 });
    s.editor.clearNotice();
    expect(s.editor.notice).toBeNull();
    vi.useRealTimers();
  });

  it('runs commands by name, and says when there is none or it does not apply', () => {
    const s = freshStores(chain([...img], ['r', 'relu']));
    expect(s.editor.runNamed('no.such')).toBe(false);
    expect(s.editor.runNamed('edit.delete')).toBe(false); // nothing selected
    s.selection.set({ nodes: ['r'], edges: [] });
    expect(s.editor.runNamed('edit.delete')).toBe(true);
    expect(s.graph.graph.nodes.map((n) => n.id)).toEqual(['x']);
  });
});
