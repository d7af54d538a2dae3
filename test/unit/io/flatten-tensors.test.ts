import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { flattenTensors } from '../../../src/io/flatten-tensors.js';
import type { RawTensor } from '../../../src/io/raw-tensor.js';

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
