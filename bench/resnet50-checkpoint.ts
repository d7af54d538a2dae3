/**
 * A ResNet-50 checkpoint of seeded random weights, for throughput benches (the speed of a
 * forward pass does not depend on the values): written once as `.safetensors` (about 100 MB)
 * under the gitignored `.cache/bench/`, reused afterwards.
 *
 *   npx tsx bench/resnet50-checkpoint.ts   # writes it, prints the path
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resnetStateDictSpec } from '../src/backbone/arch/state-dict-spec.js';
import { BACKBONE_ARCHITECTURES } from '../src/backbone/architectures.js';
import type { RawTensor } from '../src/io/raw-tensor.js';
import { encodeSafetensors } from '../src/io/safetensors-writer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESNET50_CHECKPOINT_DIR = join(ROOT, '.cache/bench');
export const RESNET50_CHECKPOINT_NAME = 'resnet50-random-seed1.safetensors';

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The checkpoint's path, written first when missing: convolutions Kaiming-uniform (so that
 * activations stay finite through 50 layers), batch norms the identity (weight 1, bias 0,
 * running mean 0, running variance 1).
 */
export function ensureResNet50Checkpoint(seed = 1): string {
  const path = join(RESNET50_CHECKPOINT_DIR, RESNET50_CHECKPOINT_NAME.replace('seed1', `seed${seed}`));
  if (existsSync(path)) return path;
  const next = uniform(seed);
  const tensors = new Map<string, RawTensor>();
  for (const { key, shape } of resnetStateDictSpec(BACKBONE_ARCHITECTURES.resnet50.config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 4) {
      const bound = Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!));
      for (let i = 0; i < data.length; i += 1) data[i] = (2 * next() - 1) * bound;
    } else if (key.endsWith('.weight') || key.endsWith('.running_var')) data.fill(1);
    tensors.set(key, { dtype: 'float32', shape, bytes: new Uint8Array(data.buffer) });
  }
  mkdirSync(RESNET50_CHECKPOINT_DIR, { recursive: true });
  writeFileSync(path, encodeSafetensors(tensors, { format: 'pt', note: `dvme bench: random ResNet-50, seed ${seed}` }));
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(ensureResNet50Checkpoint());
