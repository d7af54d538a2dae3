import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

const DIR = fileURLToPath(new URL('../../fixtures/fusion/', import.meta.url));

export type Variant = 'feature' | 'source' | 'noattn';

interface Manifest {
  config: {
    sourceDims: number[];
    projectionDim: number;
    numClasses: number;
    batch: number;
    lr: number;
    variants: Record<Variant, { tokens: 'feature' | 'source'; heads: number; attention: boolean }>;
  };
  paramCounts: Record<Variant, number>;
  paperParamCounts: Record<Variant, number>;
  loss: Record<Variant, number>;
  float32StepVsFloat64: Record<Variant, Record<string, number>>;
  bin: string;
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** The fixture written by scripts/fixtures/dvme_reference.py. */
export interface DvmeFixture extends Omit<Manifest, 'bin' | 'tensors'> {
  get(name: string): { shape: number[]; data: Float32Array };
  /** Writes `<variant>/init/*` into a model's weights (matched by tfjs weight name). */
  loadInit(model: tfl.LayersModel, variant: Variant): void;
  /** The batch of inputs, one tensor per source. */
  inputs(): tf.Tensor2D[];
}

export function loadDvmeFixture(): DvmeFixture {
  const m = JSON.parse(readFileSync(`${DIR}dvme.json`, 'utf8')) as Manifest;
  const bytes = readFileSync(`${DIR}${m.bin}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map(
    m.tensors.map((t) => {
      const size = t.shape.reduce((a, b) => a * b, 1);
      return [t.name, { shape: t.shape, data: all.subarray(t.offset, t.offset + size) }];
    }),
  );
  const get = (name: string) => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`no fixture tensor ${name}`);
    return t;
  };
  return {
    config: m.config,
    paramCounts: m.paramCounts,
    paperParamCounts: m.paperParamCounts,
    loss: m.loss,
    float32StepVsFloat64: m.float32StepVsFloat64,
    get,
    loadInit(model, variant) {
      for (const w of model.weights) {
        const t = get(`${variant}/init/${w.originalName}`);
        tf.tidy(() => {
          w.write(tf.tensor(t.data, t.shape, 'float32'));
        });
      }
    },
    inputs: () =>
      m.config.sourceDims.map((_, j) => {
        const t = get(`input/${j}`);
        return tf.tensor2d(t.data, t.shape as [number, number]);
      }),
  };
}

/** max |a - b| */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
