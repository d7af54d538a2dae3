import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { flattenTensors } from '../../../src/io/flatten-tensors.js';
import type { RawTensor } from '../../../src/io/raw-tensor.js';
import { readCheckpoint } from '../../../src/io/checkpoint.js';
import { unpickle } from '../../../src/io/pickle.js';
import { sharedDictChainPickle } from './hostile-pickle.js';
import { writeZip } from './zip-writer.js';

const t = (v: number): RawTensor => ({ dtype: 'uint8', shape: [1], bytes: new Uint8Array([v]) });

describe('flattenTensors', () => {
  it('joins Map, plain-object and list keys with dots, in insertion order', () => {
    const root = new Map<unknown, unknown>([
      ['model', new Map([['fc.weight', t(1)], ['fc.bias', t(2)]])],
      ['blocks', [t(3), { norm: t(4) }]],
      [0, t(5)],
      ['epoch', 3],
    ]);
    expect([...flattenTensors(root).keys()]).toEqual(['model.fc.weight', 'model.fc.bias', 'blocks.0', 'blocks.1.norm', '0']);
  });

  it('starts below a dotted prefix and drops it from the keys', () => {
    const root = new Map([['module', new Map([['encoder', new Map([['w', t(1)]])]])]]);
    expect([...flattenTensors(root, 'module.encoder').keys()]).toEqual(['w']);
  });

  it('reports a wrong prefix with the keys that exist there', () => {
    const root = new Map([['teacher', new Map([['w', t(1)]])], ['student', new Map()]]);
    expect(() => flattenTensors(root, 'model')).toThrow(CheckpointFormatError);
    expect(() => flattenTensors(root, 'model')).toThrow(/no "model" there; keys seen: teacher, student/);
  });

  it('skips cycles and refuses absurd nesting', () => {
    const cyclic: unknown[] = [t(1)];
    cyclic.push(cyclic);
    expect([...flattenTensors(cyclic).keys()]).toEqual(['0']);
    let deep: unknown = t(1);
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => flattenTensors(deep)).toThrow(/deeper than 256/);
    // 2^40 paths through 40 shared levels: refused by the container budget, not walked.
    let dag: unknown = t(1);
    for (let i = 0; i < 40; i++) dag = [dag, dag];
    expect(() => flattenTensors(dag)).toThrow(CheckpointFormatError);
  });

  it('treats non-string dict keys safely', () => {
    const key = Object.create(null) as object;
    expect([...flattenTensors(new Map([[key, t(1)]])).keys()]).toEqual(['<an object>']);
  });
});

/** Dicts that each point twice at the next, `levels` deep, with a tensor at the bottom. */
function sharedChain(levels: number, keyLength: number): unknown {
  let d: unknown = t(1);
  for (let l = 1; l <= levels; l++) d = new Map([[`a${l}`.padEnd(keyLength, 'x'), d], [`b${l}`.padEnd(keyLength, 'x'), d]]);
  return d;
}

function timedError(fn: () => unknown): { ms: number; error: unknown } {
  const started = performance.now();
  try {
    fn();
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
  return { ms: performance.now() - started, error: undefined };
}

describe('flattenTensors on a hostile graph (issue #14)', () => {
  it('refuses 16 shared levels of 1000-character keys within a second (it took seconds, then minutes downstream)', () => {
    const { ms, error } = timedError(() => flattenTensors(sharedChain(16, 1000)));
    expect(ms).toBeLessThan(1000);
    expect(CheckpointFormatError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/key path of 2001 characters .* more than the 1024/);
  });

  it('refuses the crafted 35 KB torch zip (16 shared levels, 1000-character keys) read by readCheckpoint', async () => {
    const pkl = sharedDictChainPickle(16, 1000);
    expect(pkl.length).toBeLessThan(40_000);
    const pth = await writeZip([
      { name: 'archive/data.pkl', data: pkl },
      { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ]);
    const { root } = await readCheckpoint(pth);
    const { ms, error } = timedError(() => flattenTensors(root));
    expect(ms).toBeLessThan(1000);
    expect(CheckpointFormatError.is(error)).toBe(true);
  });

  it('bounds the total length of the paths it builds, not only their count and length', () => {
    // 16 levels of 60-character keys: paths under 1024 characters and 131 071 containers (under
    // the container limit), but 65 536 paths of 960 characters at the bottom alone.
    const { ms, error } = timedError(() => flattenTensors(sharedChain(16, 60)));
    expect(ms).toBeLessThan(1000);
    expect((error as Error | undefined)?.message).toMatch(/add up to more than 67108864 characters/);
  });

  it('refuses a single key path longer than any real parameter name', () => {
    const root = new Map([['k'.repeat(5000), t(1)]]);
    expect(() => flattenTensors(root)).toThrow(/5000 characters/);
    expect(flattenTensors(new Map([['k'.repeat(1024), t(1)]])).size).toBe(1);
  });
});
