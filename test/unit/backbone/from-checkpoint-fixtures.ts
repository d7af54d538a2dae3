import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CustomArchitecture } from '../../../src/backbone/architectures.js';
import type { FromCheckpointOptions } from '../../../src/backbone/from-checkpoint.js';

/** The folder written by scripts/fixtures/checkpoint_layouts.py. */
export const CHECKPOINT_DIR = fileURLToPath(new URL('../../fixtures/backbone/checkpoints/', import.meta.url));

export type Family = 'resnet' | 'vit';

export interface CheckpointFixture {
  family: Family;
  format: string;
  layout: string;
  prefix: string;
  dtype: string;
  /** Embedding mode (`avgpool`, `lastBlocksCls4`, ...) -> torch's rows. */
  expected: Record<string, number[][]>;
  ignored?: string[];
  student?: { prefix: string; expected: Record<string, number[][]> };
}

interface Manifest {
  configs: Record<Family, Record<string, unknown>>;
  images: Record<Family, [number, number, number, number]>;
  files: Record<string, CheckpointFixture>;
}

export const manifest = JSON.parse(readFileSync(`${CHECKPOINT_DIR}checkpoints.json`, 'utf8')) as Manifest;

export function checkpointBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${CHECKPOINT_DIR}${name}`));
}

/** The fixture's architecture as a custom config, which is how these tiny models are loaded. */
export function customArch<F extends Family>(family: F): Extract<CustomArchitecture, { family: F }> {
  return { family, ...manifest.configs[family] } as Extract<CustomArchitecture, { family: F }>;
}

/** Fixture images are the model's size already; keep them as they are. */
export function sizeOptions(family: Family): FromCheckpointOptions {
  return { inputSize: manifest.images[family][1], resize: 'none' };
}

/** The fixture's uint8 NHWC batch, from the formula the Python script evaluates too. */
export function testImages(family: Family): { data: Uint8Array; shape: number[] } {
  const shape = manifest.images[family];
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Uint8Array.from({ length: n }, (_, i) => (i * 97 + Math.floor(i / 7) * 13) % 256), shape };
}

/** A float32 safetensors file, for checkpoints a test makes up. */
export function writeSafetensors(tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** max |actual - expected| / max |expected| over a row-major matrix. */
export function relativeError(actual: ArrayLike<number>, expected: readonly number[][]): number {
  const flat = expected.flat();
  if (actual.length !== flat.length) throw new Error(`length ${actual.length} != ${flat.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < flat.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - flat[i]));
    scale = Math.max(scale, Math.abs(flat[i]));
  }
  return err / scale;
}
