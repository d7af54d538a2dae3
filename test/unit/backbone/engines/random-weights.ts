/**
 * Seeded random full-size state dicts (ResNet-50, ViT-S/16) with the keys and shapes of the real
 * checkpoints (test/fixtures/backbone/full-size-keys.json), drawn with the scheme of
 * scripts/fixtures/backbone_parity.py's `randomise`: every weight random, BatchNorm statistics
 * included, so that a port that ignored one would be caught. Shared by the tests and
 * bench/backbone.bench.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TorchTensor } from '../../../../src/backbone/arch/load-weights.js';
import { Xoshiro128 } from '../../../../src/random/xoshiro.js';

const KEYS = fileURLToPath(new URL('../../../fixtures/backbone/full-size-keys.json', import.meta.url));

export type KeySpec = 'resnet50' | 'vit_small_patch16_224';

export function randomStateDict(model: KeySpec, seed = 20240607): Map<string, TorchTensor> {
  const specs = (JSON.parse(readFileSync(KEYS, 'utf8')) as Record<string, [string, number[]][]>)[model];
  const rng = new Xoshiro128(seed);
  const uniform = () => (rng.nextUint32() + 0.5) / 4294967296;
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const state = new Map<string, TorchTensor>();
  for (const [key, shape] of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (key.endsWith('running_var')) for (let i = 0; i < n; i++) data[i] = uniform() * 1.5 + 0.5;
    else if (key.endsWith('running_mean') || key.endsWith('.bias') || key === 'cls_token' || key === 'pos_embed') {
      for (let i = 0; i < n; i++) data[i] = normal() * 0.2;
    } else if (shape.length === 1) for (let i = 0; i < n; i++) data[i] = uniform() + 0.5;
    else {
      const std = Math.sqrt(2 / (n / shape[0]));
      for (let i = 0; i < n; i++) data[i] = normal() * std;
    }
    state.set(key, { shape, data });
  }
  return state;
}
