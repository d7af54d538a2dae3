/**
 * Scores two simple classifiers on the real PneumoniaMNIST and RetinaMNIST test sets the way a
 * medical paper reports them: ROC AUC with a DeLong 95% interval, a paired DeLong test between
 * the two, and quadratic weighted kappa with a stratified bootstrap interval.
 *
 * The "classifiers" are deliberately crude pixel statistics (not trained models): the point is
 * the reporting. Train real ones with the probes and backbones of later examples.
 *
 *   npx tsx examples/metrics-report.ts [path/to/data/folder]
 *
 * The folder must hold pneumoniamnist.npz and retinamnist.npz (MedMNIST v2, CC BY 4.0); it
 * defaults to ../shared/data. Download them from https://zenodo.org/records/10519652.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type NdArray, readNpz } from 'dvme';
// Pure TypeScript, no tfjs: an app that only scores predictions needs just this subpath.
import { bootstrapCi, cohenKappaScore, delongCi, delongTest } from 'dvme/metrics';

const dataDir = process.argv[2] ?? join(import.meta.dirname, '../../shared/data');

async function load(name: string): Promise<{ images: NdArray; labels: Float64Array }> {
  const arrays = await readNpz(new Uint8Array(await readFile(join(dataDir, `${name}.npz`))));
  const images = arrays.get('test_images');
  const labels = arrays.get('test_labels');
  if (!images || !labels) throw new Error(`${name}.npz lacks test_images / test_labels`);
  return { images, labels: Float64Array.from(labels.data) };
}

/** Mean intensity of each image, optionally of its central square only. */
function meanIntensity(images: NdArray, centre: boolean): Float64Array {
  const [n, h, w] = images.shape as [number, number, number];
  const c = images.shape[3] ?? 1;
  const out = new Float64Array(n);
  const lo = centre ? Math.floor(h / 4) : 0;
  const hi = centre ? h - lo : h;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let count = 0;
    for (let y = lo; y < hi; y++) {
      for (let x = lo; x < hi; x++) {
        for (let k = 0; k < c; k++) {
          sum += images.data[((i * h + y) * w + x) * c + k] as number;
          count++;
        }
      }
    }
    out[i] = sum / count;
  }
  return out;
}

const fmt = (v: number) => v.toFixed(4);

const pneumonia = await load('pneumoniamnist');
const whole = meanIntensity(pneumonia.images, false);
const centre = meanIntensity(pneumonia.images, true);
console.log(`PneumoniaMNIST test set: ${pneumonia.labels.length} images`);
for (const [name, score] of [['whole-image mean', whole], ['centre mean', centre]] as const) {
  const ci = delongCi(pneumonia.labels, score);
  console.log(`  ${name.padEnd(17)} AUC ${fmt(ci.auc)} (95% CI ${fmt(ci.lower)} to ${fmt(ci.upper)})`);
}
const test = delongTest(pneumonia.labels, whole, centre);
console.log(`  paired DeLong test: difference ${fmt(test.difference)}, z ${test.z.toFixed(2)}, p ${test.pValue.toExponential(2)}`);

const retina = await load('retinamnist');
const brightness = meanIntensity(retina.images, true);
// Grade by brightness quintiles of the test set itself: a crude rule, for the report's sake
// (its kappa comes out negative: brighter fundus images tend to have lower grades here).
const sorted = Float64Array.from(brightness).sort();
const cuts = [1, 2, 3, 4].map((q) => sorted[Math.floor((q * sorted.length) / 5)] as number);
const grades = Array.from(brightness, (b) => cuts.filter((c) => b >= c).length);
const qwk = (t: ArrayLike<number>, p: ArrayLike<number>) => cohenKappaScore(t, p, { weights: 'quadratic' });
const boot = bootstrapCi(qwk, retina.labels, grades, { nResamples: 2000, seed: 1, stratified: true });
console.log(`RetinaMNIST test set: ${retina.labels.length} images`);
console.log(
  `  brightness-quintile grades: quadratic kappa ${fmt(boot.estimate)} ` +
    `(95% bootstrap CI ${fmt(boot.lower)} to ${fmt(boot.upper)}, ${boot.nResamples} resamples)`,
);
