/** The images of the demo: the bundled RetinaMNIST sample, or labelled files a user drops. */

/** Side of the thumbnails that make the DVME's "pixels" source (28 x 28 RGB: 2,352 values). */
export const THUMB = 28;

export interface Dataset {
  readonly name: string;
  /** Class names, index = label. */
  readonly classes: readonly string[];
  /** What the backbone embeds. */
  readonly images: ReadonlyArray<ImageData | ImageBitmap>;
  /** THUMB x THUMB copies, for the pixels source and the gallery. */
  readonly thumbs: readonly ImageData[];
  readonly labels: readonly number[];
  readonly split: ReadonlyArray<'train' | 'test'>;
  /** The binary question of the ROC curve: these classes against the rest. */
  readonly positive: { readonly name: string; readonly classes: readonly number[] };
  readonly credit?: string;
}

interface Manifest {
  name: string;
  source: string;
  license: string;
  credit: string;
  tile: number;
  columns: number;
  classes: string[];
  labels: number[];
  splits: Array<'train' | 'test'>;
}

function context(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser has no 2D canvas.');
  return ctx;
}

function thumbnail(image: CanvasImageSource, width: number, height: number): ImageData {
  const ctx = context(THUMB, THUMB);
  ctx.drawImage(image, 0, 0, width, height, 0, 0, THUMB, THUMB);
  return ctx.getImageData(0, 0, THUMB, THUMB);
}

/** The RetinaMNIST sample: a sprite sheet of 28 x 28 tiles and its manifest (scripts/fixtures/browser-demo-sample.py). */
export async function loadSample(base: string): Promise<Dataset> {
  const manifest = (await (await fetch(new URL('sample/retinamnist-sample.json', base))).json()) as Manifest;
  const blob = await (await fetch(new URL('sample/retinamnist-sample.png', base))).blob();
  // No colour conversion: the tiles keep the dataset's exact pixels.
  const sheet = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const ctx = context(sheet.width, sheet.height);
  ctx.drawImage(sheet, 0, 0);
  const t = manifest.tile;
  const images = manifest.labels.map((_, i) => ctx.getImageData((i % manifest.columns) * t, Math.floor(i / manifest.columns) * t, t, t));
  return {
    name: manifest.name,
    classes: manifest.classes,
    images,
    thumbs: images,
    labels: manifest.labels,
    split: manifest.splits,
    positive: { name: 'referable DR (grade 2 or more)', classes: [2, 3, 4] },
    credit: `${manifest.name}: ${manifest.source}. ${manifest.credit}. Licence ${manifest.license}.`,
  };
}

/** A file's label: the number its name starts with, else its folder's name. */
export function labelOf(file: File): string | undefined {
  const lead = /^(\d+)[_\-. ]/.exec(file.name);
  if (lead) return lead[1];
  const parts = (file.webkitRelativePath || '').split('/');
  return parts.length > 1 ? parts[parts.length - 2] : undefined;
}

/** A seeded shuffle (mulberry32), so the same files always split the same way. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Labelled image files as a dataset: 60% of each class trains, 40% tests. */
export async function loadFiles(files: readonly File[]): Promise<Dataset> {
  const usable = files.filter((f) => f.type.startsWith('image/'));
  const named = usable.map((f) => ({ file: f, label: labelOf(f) }));
  const unlabelled = named.filter((n) => n.label === undefined);
  if (unlabelled.length > 0) {
    throw new Error(
      `${unlabelled.length} of ${usable.length} images have no label (e.g. ${unlabelled[0]?.file.name}): start each file name with its class number (2_left.png) or drop folders named by class.`,
    );
  }
  const classes = [...new Set(named.map((n) => n.label as string))].sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b));
  if (classes.length < 2) throw new Error(`The images hold ${classes.length} class (${classes.join(', ')}); a classifier needs at least two.`);
  const bitmaps = await Promise.all(named.map((n) => createImageBitmap(n.file)));
  const labels = named.map((n) => classes.indexOf(n.label as string));
  const split: Array<'train' | 'test'> = labels.map(() => 'train');
  classes.forEach((_, c) => {
    const members = shuffled(labels.flatMap((l, i) => (l === c ? [i] : [])), 7 + c);
    const nTest = Math.max(1, Math.round(members.length * 0.4));
    if (members.length < 2) throw new Error(`Class ${classes[c]} has ${members.length} image; each class needs at least two (one to train, one to test).`);
    for (const i of members.slice(0, nTest)) split[i] = 'test';
  });
  const last = classes.length - 1;
  return {
    name: `${usable.length} images`,
    classes,
    images: bitmaps,
    thumbs: bitmaps.map((b) => thumbnail(b, b.width, b.height)),
    labels,
    split,
    positive: { name: classes.length === 2 ? `class ${classes[1]}` : `class ${classes[last]} vs the rest`, classes: [last] },
  };
}
