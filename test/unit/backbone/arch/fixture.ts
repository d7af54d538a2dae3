import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TorchTensor } from '../../../../src/backbone/arch/index.js';

const DIR = fileURLToPath(new URL('../../../fixtures/backbone/', import.meta.url));

interface Manifest {
  config: Record<string, unknown>;
  cases: string[];
  modes: string[];
  bin: string;
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** A parity fixture written by scripts/fixtures/backbone_parity.py. */
export interface ParityFixture {
  config: Record<string, unknown>;
  cases: string[];
  modes: string[];
  /** The PyTorch state dict, fresh arrays on every call. */
  state(): Map<string, TorchTensor>;
  get(name: string): TorchTensor;
}

export function loadParityFixture(stem: 'resnet-tiny' | 'vit-tiny'): ParityFixture {
  const manifest = JSON.parse(readFileSync(`${DIR}${stem}.json`, 'utf8')) as Manifest;
  const bytes = readFileSync(`${DIR}${manifest.bin}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, TorchTensor>();
  for (const t of manifest.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    tensors.set(t.name, { shape: t.shape, data: all.subarray(t.offset, t.offset + size) });
  }
  return {
    config: manifest.config,
    cases: manifest.cases,
    modes: manifest.modes,
    state: () =>
      new Map(
        [...tensors]
          .filter(([name]) => name.startsWith('state/'))
          .map(([name, t]) => [name.slice('state/'.length), { shape: t.shape, data: t.data.slice() }]),
      ),
    get(name) {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`no fixture tensor ${name}`);
      return t;
    },
  };
}

export interface BicubicCase {
  in: [number, number];
  scale?: [number, number];
  size?: [number, number];
  channels: number;
  outShape: [number, number];
  input: number[];
  output: number[];
}

export function loadBicubicCases(): BicubicCase[] {
  return (JSON.parse(readFileSync(`${DIR}bicubic.json`, 'utf8')) as { cases: BicubicCase[] }).cases;
}

/** max |actual - expected| / max |expected|: the parity criterion. */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}
