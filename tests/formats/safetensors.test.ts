import { describe, expect, it } from 'vitest';
import { Network, tensor } from '../../src/engine';
import {
  encodeSafetensors,
  exportNetwork,
  FormatError,
  graphFromSafetensors,
  importSafetensorsInto,
} from '../../src/engine/formats';
import { parseGraph } from '../../src/shared/graph';
import { GRAPHS, reference } from './fixtures';

/**
 * safetensors + graph JSON round trips bit for bit, and every way a weights file can lie (RELIABILITY
 * cases 20-21) is refused with its reason before any weight reaches a network.
 */

const graph = GRAPHS.lenet;

/** A safetensors file written by hand: the given header object, then `data`. */
function craft(header: Record<string, unknown>, data: Uint8Array, claimedLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(claimedLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors export', () => {
  for (const [key, g] of Object.entries(GRAPHS)) {
    it(`${key}: weights come back bit for bit and predictions are identical`, () => {
      const { weights, x, want } = reference(g, 50);
      const files = exportNetwork('safetensors', g, weights);
      expect(files.map((f) => f.name)).toEqual([`${g.name}.safetensors`, `${g.name}.json`]);
      const graphBack = parseGraph(JSON.parse(new TextDecoder().decode(files[1].bytes)));
      expect(graphBack).toEqual(g);
      const back = importSafetensorsInto(graphBack, files[0].bytes);
      expect(Object.keys(back).sort()).toEqual(Object.keys(weights).sort());
      for (const [name, t] of Object.entries(weights)) {
        expect(back[name].shape, name).toEqual(t.shape);
        expect(Buffer.from(back[name].data.buffer).equals(Buffer.from(t.data.buffer)), `${name} bit for bit`).toBe(
          true,
        );
      }
      const net = new Network(graphBack);
      net.setWeights(back);
      expect(Array.from(net.predict(x).data)).toEqual(Array.from(want.data));
    });
  }

  it('the weights file carries its graph in its metadata, so it describes itself', () => {
    const { weights } = reference(graph, 1);
    const [st] = exportNetwork('safetensors', graph, weights);
    expect(graphFromSafetensors(st.bytes)).toEqual(graph);
    expect(graphFromSafetensors(encodeSafetensors(weights))).toBeNull();
  });

  it('uses the safetensors layout: 8-byte little-endian header length, JSON header, aligned raw float32 data', () => {
    const { weights } = reference(graph, 1);
    const st = exportNetwork('safetensors', graph, weights)[0].bytes;
    const n = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + n)));
    expect(header['conv1.kernel']).toMatchObject({ dtype: 'F32', shape: [6, 1, 3, 3] });
    const [begin] = header['conv1.kernel'].data_offsets as [number, number];
    expect(new DataView(st.buffer, st.byteOffset + 8 + n + begin).getFloat32(0, true)).toBe(
      weights['conv1.kernel'].data[0],
    );
  });
});

describe('safetensors import refuses hostile files with the reason', () => {
  const { weights } = reference(graph, 1);
  const good = exportNetwork('safetensors', graph, weights)[0].bytes;

  it('a truncated file', () => {
    expect(() => importSafetensorsInto(graph, good.subarray(0, good.length - 100))).toThrow(
      /run past the end of the data/,
    );
    expect(() => importSafetensorsInto(graph, good.subarray(0, 5))).toThrow(/too short for the 8-byte header length/);
  });

  it('a header longer than the file', () => {
    const lying = craft(
      { 'conv1.kernel': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      new Uint8Array(4),
      1_000_000,
    );
    expect(() => importSafetensorsInto(graph, lying)).toThrow(/header claims 1000000 bytes but the file has only/);
  });

  it('overlapping offsets', () => {
    const bytes = craft(
      {
        'bn1.gamma': { dtype: 'F32', shape: [6], data_offsets: [0, 24] },
        'bn1.beta': { dtype: 'F32', shape: [6], data_offsets: [16, 40] },
      },
      new Uint8Array(40),
    );
    expect(() => importSafetensorsInto(graph, bytes)).toThrow(
      /tensors 'bn1\.gamma' and 'bn1\.beta' overlap in the data/,
    );
  });

  it('a shape that disagrees with the graph', () => {
    const wrong = { ...weights, 'fc1.kernel': tensor([24, 391]) };
    expect(() => importSafetensorsInto(graph, encodeSafetensors(wrong))).toThrow(
      /tensor 'fc1\.kernel' has shape \[24×391\], the graph needs \[24×392\]/,
    );
  });

  it('a dtype other than float32', () => {
    const bytes = craft({ 'bn1.gamma': { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }, new Uint8Array(12));
    expect(() => importSafetensorsInto(graph, bytes)).toThrow(
      /tensor 'bn1\.gamma': dtype "F16" is not supported \(F32 only\)/,
    );
  });

  it('NaN weights', () => {
    const bad = { ...weights, 'fc2.kernel': tensor(weights['fc2.kernel'].shape, weights['fc2.kernel'].data.slice()) };
    bad['fc2.kernel'].data[3] = NaN;
    expect(() => importSafetensorsInto(graph, encodeSafetensors(bad))).toThrow(
      /tensor 'fc2\.kernel': value 3 is NaN; weights must be finite numbers/,
    );
  });

  it('a missing weight, and weights of another network', () => {
    const missing = { ...weights };
    delete missing['conv2.bias'];
    expect(() => importSafetensorsInto(graph, encodeSafetensors(missing))).toThrow(
      /has no tensor 'conv2\.bias', which the graph needs with shape \[8\]/,
    );
    const extra = { ...weights, 'conv9.kernel': tensor([1]) };
    expect(() => importSafetensorsInto(graph, encodeSafetensors(extra))).toThrow(
      /tensors the graph has no place for: 'conv9\.kernel'/,
    );
  });

  it('a header that is not JSON, or that names a prototype key; the header is parsed as data, never run', () => {
    const raw = (header: string, dataBytes: number) => {
      const text = new TextEncoder().encode(header);
      const bytes = new Uint8Array(8 + text.length + dataBytes);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
      bytes.set(text, 8);
      return bytes;
    };
    expect(() => importSafetensorsInto(graph, raw('{x}', 0))).toThrow(/header is not valid UTF-8 JSON/);
    const proto = raw('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4);
    expect(() => importSafetensorsInto(graph, proto)).toThrow(/tensor name '__proto__' is not allowed/);
  });

  it('every refusal is a FormatError naming the file', () => {
    expect(() => importSafetensorsInto(graph, good.subarray(0, 5), 'weights.safetensors')).toThrow(FormatError);
    expect(() => importSafetensorsInto(graph, good.subarray(0, 5), 'weights.safetensors')).toThrow(
      /^weights\.safetensors: /,
    );
  });
});
