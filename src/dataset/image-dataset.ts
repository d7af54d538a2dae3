import type { EmbeddingSetSplit } from '../data/embedding-set.js';
import { shardRange } from '../data/embedding-set-merge.js';
import { readNpz } from '../data/npz.js';
import { MEDMNIST_INFO, parseMedMnist, type MedMnist, type MedMnistName } from '../data/medmnist.js';
import { DatasetError, DvmeError, InvalidArgumentError } from '../errors/index.js';
import { listLocalFiles, readLocalFile } from '../host/platform.js';
import type { DecodedImage } from '../image/images.js';
import { textSha256 } from '../backbone/text-sha256.js';
import { checkWindow, type IntensityWindow } from '../medical-image/window.js';
import { decodeMedicalImage } from './decode-dataset-image.js';
import { listCsv, listFolder, listJson } from './dataset-source.js';
import { resolveLabels, type Resolved } from './resolve-labels.js';
import { assignSplits, type SplitFractions } from './dataset-splits.js';

/**
 * One image of an {@link ImageDataset}: its id (path relative to the dataset, or
 * `<split>/<index>` for `.npz`), its file, its label and its split.
 *
 * @remarks Since 0.1.0. `label` is a class index, or a 0/1 vector of `classes.length` for
 * multi-label datasets; absent for unlabelled images.
 * @example
 * ```ts
 * import type { ImageDatasetItem } from 'dvme';
 * const item: ImageDatasetItem = { id: 'pneumonia/im1.png', path: 'xrays/pneumonia/im1.png', label: 1 };
 * ```
 */
export interface ImageDatasetItem {
  readonly id: string;
  readonly path?: string;
  readonly label?: number | readonly number[];
  readonly split?: EmbeddingSetSplit;
}

/**
 * An image an {@link ImageDataset} left out, and why.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SkippedImage } from 'dvme';
 * const s: SkippedImage = { id: 'a/broken.png', reason: 'Cannot decode ...' };
 * ```
 */
export interface SkippedImage {
  readonly id: string;
  readonly reason: string;
}

/**
 * Options of the {@link ImageDataset} constructors.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ImageDatasetOptions } from 'dvme';
 * const options: ImageDatasetOptions = { onError: 'skip', window: 'minmax', classes: ['normal', 'pneumonia'] };
 * ```
 */
export interface ImageDatasetOptions {
  /**
   * What a bad image does (a missing or unreadable file, a label not in `classes`): `'fail'`
   * throws a `DatasetError` (or the decoder's `ImageDecodeError`); `'skip'` leaves it out and
   * lists it in `skipped` (labels, at once) or in what {@link ImageDataset.load} returns (files).
   * @defaultValue `'fail'`
   */
  readonly onError?: 'skip' | 'fail';
  /**
   * Class names in index order. Labels not among them are errors. Default: the names found,
   * sorted (numerically when all are integers, so label `3` is class 3).
   */
  readonly classes?: readonly string[];
  /**
   * How 16-bit PNG and DICOM values become 0-1 (8-bit images are read as they are).
   * @defaultValue `'file'`: a DICOM file's own window, else each image's min-max
   */
  readonly window?: IntensityWindow;
}

/**
 * What {@link ImageDataset.load} returns: the images read, their item indices, what was skipped.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LoadedImages } from 'dvme';
 * declare const loaded: LoadedImages;
 * loaded.images.length + loaded.skipped.length; // the number of indices asked for
 * ```
 */
export interface LoadedImages {
  readonly images: DecodedImage[];
  readonly indices: number[];
  readonly skipped: SkippedImage[];
}

/**
 * Images with labels, as users keep them: a folder per class, a CSV or JSON manifest, or a
 * MedMNIST `.npz`. Listing is immediate; images are read and decoded only when
 * {@link ImageDataset.load} asks for them, so datasets larger than memory work.
 *
 * @remarks Since 0.1.0. Files are read through the registered platform (`dvme/node`). PNG and
 * JPEG decode as the platform does; 16-bit PNG and DICOM keep their full depth and are windowed
 * to 0-1 (see {@link ImageDatasetOptions.window}).
 * @example
 * ```ts
 * import { ImageDataset } from 'dvme/node';
 * const data = await ImageDataset.fromFolder('xrays/', { onError: 'skip' });
 * data.classes; // ['normal', 'pneumonia']
 * data.classCounts(); // { normal: 1341, pneumonia: 3875 }
 * const split = data.withSplits({ val: 0.1, test: 0.2, seed: 0 });
 * const { images, skipped } = await split.load([0, 1, 2]);
 * ```
 */
export class ImageDataset {
  /** Where the dataset came from (folder, manifest or `.npz` path). */
  readonly source: string;
  /** Class names in label-index order. */
  readonly classes: readonly string[];
  /** The task the labels describe. */
  readonly task: 'binary' | 'multiclass' | 'multilabel';
  /** The images, in a stable order (sorted paths for folders, file order for manifests). */
  readonly items: readonly ImageDatasetItem[];
  /** Images left out when the dataset was listed (labels not in `classes`, with `onError: 'skip'`). */
  readonly skipped: readonly SkippedImage[];
  readonly #options: ImageDatasetOptions;
  readonly #pixels: ((index: number) => DecodedImage) | undefined;

  private constructor(source: string, resolved: Resolved, multiLabel: boolean, options: ImageDatasetOptions, pixels?: (index: number) => DecodedImage) {
    this.source = source;
    this.classes = resolved.classes;
    this.task = multiLabel ? 'multilabel' : resolved.classes.length === 2 ? 'binary' : 'multiclass';
    this.items = resolved.items;
    this.skipped = resolved.skipped;
    this.#options = options;
    this.#pixels = pixels;
  }

  static #check(owner: string, options: ImageDatasetOptions): ImageDatasetOptions {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${owner}: options must be an object.`);
    if (options.onError !== undefined && options.onError !== 'skip' && options.onError !== 'fail') {
      throw new InvalidArgumentError(`${owner}: onError must be 'skip' or 'fail'; received ${JSON.stringify(options.onError)}.`);
    }
    if (options.window !== undefined) checkWindow(owner, options.window);
    return options;
  }

  /**
   * A dataset from an ImageFolder layout: `<dir>/<class>/.../<image>` (or
   * `<dir>/<train|val|test>/<class>/...`), images ending in .png, .jpg, .jpeg, .dcm or .dicom.
   *
   * @throws {@link DatasetError} when the folder holds no images in class folders.
   * @remarks Since 0.1.0. Classes are the folder names, sorted, as torchvision's ImageFolder.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = await ImageDataset.fromFolder('retina/'); // retina/0/a.png, retina/1/b.png, ...
   * ```
   */
  static async fromFolder(dir: string, options: ImageDatasetOptions = {}): Promise<ImageDataset> {
    const o = ImageDataset.#check('ImageDataset.fromFolder', options);
    const listing = listFolder(dir, await listLocalFiles(dir));
    return new ImageDataset(dir, resolveLabels(listing, o, dir), false, o);
  }

  /**
   * A dataset from a manifest: a CSV with a header (`path,label[,split]`, or `labels` with
   * `|`-separated names for multi-label) or a JSON array of `{ path, label?, labels?, split? }`
   * (or `{ classes, items }`). Paths are relative to the manifest's folder.
   *
   * @throws {@link DatasetError} for a manifest without a path column, a bad line or split,
   * a duplicate path, or (with `onError: 'fail'`) a label not in `classes`.
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = await ImageDataset.fromManifest('xrays/labels.csv', { classes: ['normal', 'pneumonia'] });
   * ```
   */
  static async fromManifest(path: string, options: ImageDatasetOptions = {}): Promise<ImageDataset> {
    const o = ImageDataset.#check('ImageDataset.fromManifest', options);
    const text = new TextDecoder().decode(await readLocalFile(path));
    const listing = path.toLowerCase().endsWith('.json') ? listJson(path, text) : listCsv(path, text);
    return new ImageDataset(path, resolveLabels(listing, o, path), listing.multiLabel, o);
  }

  /**
   * A dataset from a MedMNIST `.npz` (its train, val and test splits, in that order; ids
   * `train/0`, ...), or from a {@link MedMnist} already loaded.
   *
   * @param source - a `.npz` path (its name gives the dataset: `retinamnist_64.npz`), or a
   * loaded MedMNIST.
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const retina = await ImageDataset.fromMedMnist('data/retinamnist.npz');
   * retina.items.length; // 1600
   * ```
   */
  static async fromMedMnist(source: string | MedMnist, options: Pick<ImageDatasetOptions, 'onError'> & { readonly name?: MedMnistName } = {}): Promise<ImageDataset> {
    let data: MedMnist;
    let where: string;
    if (typeof source === 'string') {
      where = source;
      const base = source.split(/[\\/]/).pop()!.replace(/(_\d+)?\.npz$/i, '');
      const name = options.name ?? (base as MedMnistName);
      if (!Object.hasOwn(MEDMNIST_INFO, name)) {
        throw new InvalidArgumentError(
          `ImageDataset.fromMedMnist: cannot tell which MedMNIST dataset ${JSON.stringify(source)} is; name the file <dataset>.npz ` +
            `or pass { name } (one of ${Object.keys(MEDMNIST_INFO).join(', ')}).`,
        );
      }
      data = parseMedMnist(name, await readNpz(await readLocalFile(source)), source);
    } else {
      data = source;
      where = source.info.title;
    }
    const multi = data.info.task === 'multilabel';
    const items: ImageDatasetItem[] = [];
    const at: [ImageArrayLike, number][] = [];
    for (const split of ['train', 'val', 'test'] as const) {
      const s = data[split];
      const n = s.images.shape[0] as number;
      for (let i = 0; i < n; i++) {
        const l = s.labels[i] as number | Int32Array;
        items.push({ id: `${split}/${i}`, label: multi ? [...(l as Int32Array)] : (l as number), split });
        at.push([s.images, i]);
      }
    }
    const classes = data.info.classes.map(String);
    const pixels = (index: number): DecodedImage => {
      const [images, i] = at[index] as [ImageArrayLike, number];
      const [, h, w, c = 1] = images.shape as [number, number, number, number?];
      const per = h * w * c;
      return { data: images.data.subarray(i * per, (i + 1) * per), width: w, height: h, channels: c as 1 | 3 };
    };
    return new ImageDataset(where, { items, classes, skipped: [] }, multi, { onError: options.onError ?? 'fail' }, pixels);
  }

  /** Number of images. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Images per class (multi-label: images with each finding), optionally of one split.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = await ImageDataset.fromFolder('xrays/');
   * data.classCounts('train'); // { normal: 1000, pneumonia: 2900 }
   * ```
   */
  classCounts(split?: EmbeddingSetSplit): Record<string, number> {
    const counts = new Array<number>(this.classes.length).fill(0);
    for (const item of this.items) {
      if (split !== undefined && item.split !== split) continue;
      if (typeof item.label === 'number') counts[item.label]! += 1;
      else if (item.label) item.label.forEach((v, k) => (counts[k]! += v ? 1 : 0));
    }
    return Object.fromEntries(this.classes.map((c, i) => [c, counts[i] as number]));
  }

  /**
   * A copy whose images without a split get one: a seeded draw, stratified by label, of `val`
   * and `test` fractions (the rest train). Images that have a split keep it.
   *
   * @remarks Since 0.1.0. The same seed and items give the same splits on every platform.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = (await ImageDataset.fromFolder('xrays/')).withSplits({ val: 0.1, test: 0.2, seed: 0 });
   * ```
   */
  withSplits(fractions: SplitFractions): ImageDataset {
    const items = assignSplits(this.items, fractions);
    return new ImageDataset(this.source, { items, classes: [...this.classes], skipped: [...this.skipped] }, this.task === 'multilabel', this.#options, this.#pixels);
  }

  /**
   * The item indices of shard `index` of `count`: a contiguous slice, so shards joined in order
   * give the dataset's order (see `shardRange`).
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = await ImageDataset.fromFolder('xrays/');
   * data.shard(0, 4); // { start: 0, end: 1304 }
   * ```
   */
  shard(index: number, count: number): { start: number; end: number } {
    return shardRange(this.items.length, index, count);
  }

  /**
   * SHA-256 of what the dataset lists (ids, labels, splits and classes; not the pixels): equal
   * for every process that lists the same dataset, so shards can be matched.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * (await ImageDataset.fromFolder('xrays/')).listingSha256(); // '5e0c...'
   * ```
   */
  listingSha256(): string {
    return textSha256(JSON.stringify([this.classes, this.items.map((i) => [i.id, i.label ?? null, i.split ?? null])]));
  }

  /**
   * Reads and decodes the images at `indices`. With `onError: 'skip'`, images that cannot be
   * read are left out and listed in `skipped`; otherwise the first one throws.
   *
   * @throws {@link DatasetError} for a missing file; `ImageDecodeError` for an unreadable one
   * (both only with `onError: 'fail'`); {@link InvalidArgumentError} for a bad index.
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { ImageDataset } from 'dvme/node';
   * const data = await ImageDataset.fromFolder('xrays/', { onError: 'skip' });
   * const { images, indices, skipped } = await data.load([0, 1, 2, 3]);
   * ```
   */
  async load(indices: readonly number[]): Promise<LoadedImages> {
    const out: LoadedImages = { images: [], indices: [], skipped: [] };
    for (const i of indices) {
      const item = this.items[i];
      if (!Number.isInteger(i) || item === undefined) {
        throw new InvalidArgumentError(`ImageDataset.load: index ${i} is not an item index; pass integers in [0, ${this.items.length}).`);
      }
      try {
        out.images.push(this.#pixels ? this.#pixels(i) : await this.#decode(item));
        out.indices.push(i);
      } catch (e) {
        if (this.#options.onError !== 'skip' || !DvmeError.is(e)) throw e;
        out.skipped.push({ id: item.id, reason: e.message });
      }
    }
    return out;
  }

  async #decode(item: ImageDatasetItem): Promise<DecodedImage> {
    const path = item.path as string;
    let bytes: Uint8Array;
    try {
      bytes = await readLocalFile(path);
    } catch (e) {
      if (!InvalidArgumentError.is(e)) throw e;
      throw new DatasetError(`${this.source} lists ${JSON.stringify(item.id)}, which cannot be read: ${e.message} Fix the path or pass onError: 'skip'.`, { cause: e, item: item.id });
    }
    return decodeMedicalImage(bytes, path, this.#options.window ?? 'file');
  }
}

type ImageArrayLike = { readonly data: Uint8Array; readonly shape: readonly number[] };
