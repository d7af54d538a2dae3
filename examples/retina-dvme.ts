/**
 * The paper's fusion comparison (its Table 4) on RetinaMNIST, full protocol: single-source
 * linear probes, concatenation, DME and all three DVME variants (feature tokens as in the
 * paper's listing, source tokens as in its figure, and without attention), S / M / F = 50 /
 * 500 / all (1,080) training images, 5 paired repeats, the paper's 30-50 epochs, quadratic
 * weighted kappa on the 400 test images.
 *
 *   npx tsx examples/retina-dvme.ts [data .npz path or URL] [--out file.md] [--repeats n] [--cache dir] [--models dvme,concat,...] [--fuse-pixels]
 *
 * Measured on 2 cores (tfjs-wasm, one process per core): about 35 minutes for concatenation,
 * DME and the source-token / no-attention DVME, and 25 minutes for the feature-token DVME
 * (1024 one-dimensional tokens; 2.5 minutes per full-data run with dvme's attention kernel);
 * `--models` runs a subset, and examples/merge-fusion-results.ts joins paired runs into one
 * table. Inputs run at the demo's sizes (MobileNetV2 96 px, InceptionV3 75 px: MedMNIST images
 * are 28 px). Writes examples/out/retina-dvme.md (and .json). `npm run demo` is the
 * ten-minute version.
 */
import { join } from 'node:path';
import { FAST_BACKBONES, runDemo } from './shared.js';

await runDemo(
  {
    dataset: 'retinamnist',
    task: 'multiclass',
    metric: 'quadraticKappa',
    backbones: FAST_BACKBONES,
    sizes: { S: 50, M: 500, F: 'all' },
    repeats: 5,
    models: ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn'],
    training: {},
    reductions: [
      'Input size: MobileNetV2 at 96 px and InceptionV3 at 75 px instead of 224 / 299 (the images are 28 px; 8-20x faster to embed on tfjs-wasm).',
      'Fusion of the two backbones; raw pixels are a single-source baseline.',
    ],
    title: 'RetinaMNIST: fusion of frozen backbones vs the best single backbone (quadratic weighted kappa), full protocol',
    defaultOut: join(import.meta.dirname, 'out/retina-dvme.md'),
  },
  process.argv.slice(2),
);
