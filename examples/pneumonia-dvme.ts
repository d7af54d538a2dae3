/**
 * The paper's fusion comparison on PneumoniaMNIST (chest X-rays, normal vs pneumonia, ROC AUC
 * on the 624 test images; the paper's Kermany pneumonia task): single-source linear probes,
 * concatenation, DME and the DVME variants on S / M / F = 50 / 500 / all, 5 paired repeats.
 *
 *   npx tsx examples/pneumonia-dvme.ts [data .npz path or URL] [--out file.md] [--repeats n] [--cache dir] [--pool n] [--models dvme,concat,...] [--fuse-pixels]
 *
 * The training pool: PneumoniaMNIST has 4,708 training images; embedding all of them with
 * InceptionV3 on tfjs-wasm takes about 4 minutes at 75 px (over an hour at the native 299 px),
 * and every full-data DVME run trains on all of them. By default a seeded stratified draw of
 * 1,500 training images (class mix kept, seed 2021) is the pool, so F means those 1,500; the
 * output says so. `--pool 4708` uses every image. Grayscale images are repeated to 3 channels.
 * Every DVME variant runs by default (about an hour on 2 cores); `--models` picks a subset.
 */
import { join } from 'node:path';
import { FAST_BACKBONES, runDemo } from './shared.js';

await runDemo(
  {
    dataset: 'pneumoniamnist',
    task: 'binary',
    metric: 'auc',
    backbones: FAST_BACKBONES,
    sizes: { S: 50, M: 500, F: 'all' },
    repeats: 5,
    models: ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn'],
    training: {},
    trainPool: 1500, // --pool overrides it
    reductions: [
      'Input size: MobileNetV2 at 96 px and InceptionV3 at 75 px instead of 224 / 299 (the images are 28 px).',
      'Fusion of the two backbones; raw pixels are a single-source baseline.',
    ],
    title: 'PneumoniaMNIST: fusion of frozen backbones vs the best single backbone (ROC AUC)',
    defaultOut: join(import.meta.dirname, 'out/pneumonia-dvme.md'),
  },
  process.argv.slice(2),
);
