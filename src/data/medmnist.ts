import type { ImageArray } from '../image/images.js';
import { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { download } from '../io/download.js';
import { describe } from '../validation/describe.js';
import { readLocalFile } from '../host/platform.js';
import { localPathErrorCode } from './local-path.js';
import type { NdArray } from './npy.js';
import { readNpz } from './npz.js';
import { MEDMNIST_INFO, type MedMnistInfo, type MedMnistName } from './medmnist-info.js';

// The catalogue lives beside the loader; importers of the loader see it here too.
export { MEDMNIST_INFO, type MedMnistInfo, type MedMnistName } from './medmnist-info.js';

/**
 * Image side lengths MedMNIST is published in (MedMNIST+ adds 64, 128 and 224 to the 28 of v2).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MedMnistSize } from 'dvme';
 * const size: MedMnistSize = 224;
 * ```
 */
export type MedMnistSize = 28 | 64 | 128 | 224;

/**
 * Labels of a MedMNIST split: class indices for single-label datasets, one row of 0/1
 * findings per image for ChestMNIST (views into one buffer).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MedMnistLabels } from 'dvme';
 * const grades: MedMnistLabels<'retinamnist'> = Int32Array.of(0, 2, 4);
 * ```
 */
export type MedMnistLabels<N extends MedMnistName> = N extends 'chestmnist' ? Int32Array[] : Int32Array;

/**
 * One split of a MedMNIST dataset.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MedMnistSplit } from 'dvme';
 * const count = (s: MedMnistSplit) => s.images.shape[0];
 * ```
 */
export interface MedMnistSplit<L = Int32Array | Int32Array[]> {
  /** 8-bit pixels, `[n, h, w]` (grayscale) or `[n, h, w, 3]`: an {@link ImageArray} backbones embed as they are. */
  readonly images: ImageArray & { readonly data: Uint8Array };
  /** One label (ChestMNIST: one row of 14) per image. */
  readonly labels: L;
}

/**
 * A loaded MedMNIST dataset: its three official splits and what it is.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { loadMedMnist } from 'dvme/node';
 * const retina = await loadMedMnist('retinamnist', { path: 'data/' });
 * retina.train.images.shape; // [1080, 28, 28, 3]
 * ```
 */
export interface MedMnist<N extends MedMnistName = MedMnistName> {
  readonly train: MedMnistSplit<MedMnistLabels<N>>;
  readonly val: MedMnistSplit<MedMnistLabels<N>>;
  readonly test: MedMnistSplit<MedMnistLabels<N>>;
  readonly info: MedMnistInfo;
  /** Image side length. */
  readonly size: MedMnistSize;
}

/**
 * Options of {@link loadMedMnist}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LoadMedMnistOptions } from 'dvme';
 * const o: LoadMedMnistOptions = { size: 64, onProgress: (loaded, total) => console.log(loaded, total) };
 * ```
 */
export interface LoadMedMnistOptions {
  /**
   * A local `.npz` file, or a folder holding `<name>.npz` (`<name>_<size>.npz` for sizes above
   * 28): a path ending in `.npz` is a file, anything else a folder. Read through the platform
   * (`dvme/node`).
   * @defaultValue none: the file is downloaded from Zenodo (record 10519652) into the cache
   */
  readonly path?: string;
  /**
   * Image side length.
   * @defaultValue `28`, or for a `.npz` path whatever the file holds
   */
  readonly size?: MedMnistSize;
  /** Use the download cache only (see {@link download}). @defaultValue `false` */
  readonly offline?: boolean;
  /** Download progress in bytes; `total` is `undefined` when the server does not say. */
  readonly onProgress?: (loaded: number, total: number | undefined) => void;
  /** Aborts the download. */
  readonly signal?: AbortSignal;
  /** `fetch` for the download. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** Download cache folder under `dvme/node`. @defaultValue `$DVME_CACHE_DIR`, else `~/.cache/dvme` */
  readonly cacheDir?: string;
}

const SIZES: readonly MedMnistSize[] = [28, 64, 128, 224];
const SPLITS = ['train', 'val', 'test'] as const;
/** Only the one published checksum dvme has verified itself; other files are checked by shape. */
const SHA256: Readonly<Record<string, string>> = {
  'retinamnist.npz': '254915f5f0a2074665c4676356824cf4ef4a3bcab233894b4bafcaf48962bd69',
};

/**
 * The official download URL of a MedMNIST file (Zenodo record 10519652, MedMNIST+).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { medMnistUrl } from 'dvme';
 * medMnistUrl('retinamnist', 224); // 'https://zenodo.org/records/10519652/files/retinamnist_224.npz'
 * ```
 */
export function medMnistUrl(name: MedMnistName, size: MedMnistSize = 28): string {
  return `https://zenodo.org/records/10519652/files/${fileName(checkName(name), checkSize(size))}`;
}

function fileName(name: MedMnistName, size: MedMnistSize): string {
  return size === 28 ? `${name}.npz` : `${name}_${size}.npz`;
}

function checkName(name: unknown): MedMnistName {
  if (typeof name !== 'string' || !Object.hasOwn(MEDMNIST_INFO, name)) {
    throw new InvalidArgumentError(
      `Unknown MedMNIST dataset ${describe(name)}; known: ${Object.keys(MEDMNIST_INFO).join(', ')}. ` +
        'The 3D datasets (organmnist3d, ...) are not supported.',
    );
  }
  return name as MedMnistName;
}

function checkSize(size: unknown): MedMnistSize {
  if (!SIZES.includes(size as MedMnistSize)) {
    throw new InvalidArgumentError(`MedMNIST size must be one of ${SIZES.join(', ')}; received ${describe(size)}.`);
  }
  return size as MedMnistSize;
}

/**
 * Reads `path`: the `.npz` itself, or the folder holding `file`; a path not ending in `.npz` that
 * turns out to be a file is read as the file. A wrong path names itself and the fix.
 */
async function readNpzAt(path: string, file: string): Promise<{ bytes: Uint8Array; where: string }> {
  const fix = `Pass the path of ${file}, or of the folder holding it; or leave path out to download it.`;
  const read = async (where: string) => ({ bytes: await readLocalFile(where), where });
  try {
    if (/\.npz$/i.test(path)) return await read(path);
    try {
      return await read(`${path.replace(/[\\/]+$/, '')}/${file}`);
    } catch (e) {
      if (localPathErrorCode(e) !== 'ENOTDIR') throw e;
      return await read(path);
    }
  } catch (e) {
    if (localPathErrorCode(e) === undefined) throw e;
    throw new InvalidArgumentError(`loadMedMnist: ${(e as Error).message} ${fix}`, { cause: e });
  }
}

/**
 * Loads a MedMNIST v2 dataset (2D) from a local `.npz` or from the official Zenodo record
 * (cached), and checks that it is what it claims: the six arrays, 8-bit square images of the
 * dataset's channels, one label per image, labels in range.
 *
 * @remarks
 * Since 0.1.0. The data is CC BY 4.0 (DermaMNIST CC BY-NC 4.0): cite `info.citation`. Only
 * `retinamnist.npz` (28 px) has a recorded SHA-256; other downloads are checked by size and
 * content only.
 * @throws {@link InvalidArgumentError} for an unknown name or size; {@link CheckpointFormatError}
 *   when the file is not a MedMNIST `.npz` (missing arrays, wrong dtype, labels out of range);
 *   {@link ShapeError} when shapes disagree (images vs labels, channels, size); what
 *   {@link download} throws (`DownloadError`, `IntegrityError`, `OfflineError`).
 * @example
 * ```ts
 * import { loadMedMnist } from 'dvme/node';
 * const retina = await loadMedMnist('retinamnist', { path: '../shared/data' });
 * retina.info.task; // 'multiclass' (ordinal: true)
 * retina.test.labels.length; // 400
 * const chest = await loadMedMnist('chestmnist', { size: 64 }); // downloads once, then cached
 * ```
 */
export async function loadMedMnist<N extends MedMnistName>(name: N, options: LoadMedMnistOptions = {}): Promise<MedMnist<N>> {
  checkName(name);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`loadMedMnist options must be an object; received ${describe(options)}.`);
  }
  const size = options.size === undefined ? undefined : checkSize(options.size);
  const { path } = options;
  let bytes: Uint8Array;
  let where: string;
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new InvalidArgumentError(`path must be a file or folder path; received ${describe(path)}.`);
    }
    ({ bytes, where } = await readNpzAt(path, fileName(name, size ?? 28)));
  } else {
    const file = fileName(name, size ?? 28);
    where = medMnistUrl(name, size ?? 28);
    bytes = await download(where, {
      ...(SHA256[file] ? { sha256: SHA256[file] } : {}),
      ...(options.offline !== undefined ? { offline: options.offline } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    });
  }
  return parseMedMnist(name, await readNpz(bytes), where, size);
}

/**
 * Checks the arrays of a MedMNIST `.npz` you read yourself (bytes from a `File`, your own
 * download or a mirror, through {@link readNpz}) and shapes them into splits, as
 * {@link loadMedMnist} does for the files it reads.
 *
 * @param name - the dataset the arrays claim to be.
 * @param arrays - the `.npz` arrays (`train_images`, `train_labels`, `val_*`, `test_*`).
 * @param where - where the bytes came from, for error messages.
 * @param size - the expected image side length; any MedMNIST size when absent.
 * @throws {@link CheckpointFormatError} when arrays are missing or of the wrong dtype, or
 *   labels out of range; {@link ShapeError} when shapes disagree.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { download, parseMedMnist, readNpz } from 'dvme/node';
 * const url = 'https://example.org/mirror/retinamnist.npz';
 * const retina = parseMedMnist('retinamnist', await readNpz(await download(url)), url);
 * ```
 */
export function parseMedMnist<N extends MedMnistName>(
  name: N,
  arrays: ReadonlyMap<string, NdArray>,
  where: string,
  size?: MedMnistSize,
): MedMnist<N> {
  const info = MEDMNIST_INFO[name];
  const missing = SPLITS.flatMap((s) => [`${s}_images`, `${s}_labels`]).filter((k) => !arrays.has(k));
  if (missing.length > 0) {
    throw new CheckpointFormatError(
      `${where} is not a MedMNIST .npz: it lacks ${missing.join(', ')} (it holds ${[...arrays.keys()].join(', ') || 'no arrays'}). ` +
        `Download ${medMnistUrl(name, size ?? 28)} again.`,
    );
  }
  let side: MedMnistSize | undefined = size;
  const split = (s: (typeof SPLITS)[number]): MedMnistSplit<MedMnistLabels<N>> => {
    const images = arrays.get(`${s}_images`) as NdArray;
    const labels = arrays.get(`${s}_labels`) as NdArray;
    if (!(images.data instanceof Uint8Array) || images.dtype !== 'uint8') {
      throw new CheckpointFormatError(`${where}: ${s}_images must be uint8 pixels; they are ${images.dtype}.`);
    }
    const [n, h, w, c] = images.shape;
    const channels = images.shape.length === 3 ? 1 : c;
    const wantShape = info.channels === 1 ? '[n, h, w]' : '[n, h, w, 3]';
    if (images.shape.length !== (info.channels === 1 ? 3 : 4) || channels !== info.channels) {
      throw new ShapeError(
        `${where}: ${s}_images of ${info.title} must be ${wantShape} (${info.channels === 1 ? 'grayscale' : 'RGB'}); ` +
          `received [${images.shape.join(', ')}]. Is this the file of another dataset?`,
      );
    }
    side ??= h as MedMnistSize;
    if (h !== w || h !== side || !SIZES.includes(h as MedMnistSize)) {
      throw new ShapeError(
        `${where}: ${s}_images are ${h} x ${w}; expected ${side} x ${side}${size === undefined ? ' like the other splits' : ' (the size asked for)'}, ` +
          `one of ${SIZES.join(', ')}.`,
      );
    }
    return { images: images as MedMnistSplit['images'], labels: toLabels(info, s, labels, n as number, where) as MedMnistLabels<N> };
  };
  const [train, val, test] = SPLITS.map(split);
  return { train, val, test, info, size: side as MedMnistSize };
}

function toLabels(info: MedMnistInfo, s: string, labels: NdArray, n: number, where: string): Int32Array | Int32Array[] {
  const width = info.task === 'multilabel' ? info.classes.length : 1;
  const [rows, cols = 1] = labels.shape;
  if (rows !== n || cols !== width || labels.shape.length > 2) {
    throw new ShapeError(
      `${where}: ${s}_labels must be [${n}, ${width}] (one ${width === 1 ? 'label' : `row of ${width} findings`} per image); ` +
        `received [${labels.shape.join(', ')}].`,
    );
  }
  const max = info.task === 'multilabel' ? 1 : info.classes.length - 1;
  const out = new Int32Array(labels.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = labels.data[i];
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new CheckpointFormatError(`${where}: ${s}_labels[${Math.floor(i / width)}] is ${v}; ${info.title} labels are integers 0..${max}.`);
    }
    out[i] = v;
  }
  if (width === 1) return out;
  return Array.from({ length: n }, (_, i) => out.subarray(i * width, (i + 1) * width));
}
