import type { ImageArray } from '../image/images.js';
import { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { download } from '../io/download.js';
import { describe } from '../validation/describe.js';
import { readLocalFile } from '../host/platform.js';
import { localPathErrorCode } from './local-path.js';
import type { ProbeTask } from '../training/labels.js';
import type { NdArray } from './npy.js';
import { readNpz } from './npz.js';
/**
 * The 2D MedMNIST v2 datasets (Yang et al., Scientific Data 2023), by their file names.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MedMnistName } from 'dvme';
 * const name: MedMnistName = 'retinamnist';
 * ```
 */
export type MedMnistName =
  | 'pathmnist'
  | 'chestmnist'
  | 'dermamnist'
  | 'octmnist'
  | 'pneumoniamnist'
  | 'retinamnist'
  | 'breastmnist'
  | 'bloodmnist'
  | 'tissuemnist'
  | 'organamnist'
  | 'organcmnist'
  | 'organsmnist';

/**
 * What dvme knows about a MedMNIST dataset: its task in {@link Probe} terms, class names,
 * channels, official split sizes, licence and what to cite.
 *
 * @remarks Since 0.1.0. From MedMNIST's own `INFO` table (medmnist 2.x/3.x).
 * @example
 * ```ts
 * import { MEDMNIST_INFO } from 'dvme';
 * const { task, ordinal, classes } = MEDMNIST_INFO.retinamnist;
 * // 'multiclass', true, ['0', '1', '2', '3', '4']
 * ```
 */
export interface MedMnistInfo {
  /** File name without `.npz`. */
  readonly name: MedMnistName;
  /** Display name (`'RetinaMNIST'`). */
  readonly title: string;
  /** The probe task: `'binary'`, `'multiclass'` or `'multilabel'` (ChestMNIST's 14 findings). */
  readonly task: ProbeTask;
  /** Whether the classes are ordered grades (RetinaMNIST's diabetic retinopathy 0-4). */
  readonly ordinal: boolean;
  /** Class (or, for multilabel, finding) names by label index. */
  readonly classes: readonly string[];
  /** 1 (grayscale, images `[n, h, w]`) or 3 (RGB, `[n, h, w, 3]`). */
  readonly channels: 1 | 3;
  /** Official split sizes. */
  readonly samples: { readonly train: number; readonly val: number; readonly test: number };
  /** Licence of the data (DermaMNIST is non-commercial, after HAM10000). */
  readonly license: 'CC BY 4.0' | 'CC BY-NC 4.0';
  /** Cite MedMNIST and the source data set. */
  readonly citation: string;
}

const MEDMNIST_V2 =
  'Yang J, Shi R, Wei D, Liu Z, Zhao L, Ke B, Pfister H, Ni B. MedMNIST v2 - A large-scale lightweight benchmark ' +
  'for 2D and 3D biomedical image classification. Scientific Data 10, 41 (2023).';

const ORGANS = ['bladder', 'femur-left', 'femur-right', 'heart', 'kidney-left', 'kidney-right', 'liver', 'lung-left', 'lung-right', 'pancreas', 'spleen'];
const LITS = 'Bilic P et al. The Liver Tumor Segmentation Benchmark (LiTS). Medical Image Analysis 84 (2023); Xu X et al. Efficient multiple organ localization in CT image using 3D region proposal network. IEEE TMI 38(8) (2019).';

function entry(
  name: MedMnistName,
  title: string,
  task: ProbeTask,
  classes: readonly string[],
  channels: 1 | 3,
  samples: [number, number, number],
  source: string,
  extra: { ordinal?: boolean; license?: MedMnistInfo['license'] } = {},
): MedMnistInfo {
  return Object.freeze({
    name,
    title,
    task,
    ordinal: extra.ordinal ?? false,
    classes: Object.freeze([...classes]),
    channels,
    samples: Object.freeze({ train: samples[0], val: samples[1], test: samples[2] }),
    license: extra.license ?? 'CC BY 4.0',
    citation: `${MEDMNIST_V2} Source data: ${source}`,
  });
}

/**
 * The MedMNIST v2 2D datasets dvme can load with {@link loadMedMnist}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { MEDMNIST_INFO } from 'dvme';
 * MEDMNIST_INFO.pneumoniamnist.samples; // { train: 4708, val: 524, test: 624 }
 * ```
 */
export const MEDMNIST_INFO: Readonly<Record<MedMnistName, MedMnistInfo>> = Object.freeze({
  pathmnist: entry('pathmnist', 'PathMNIST', 'multiclass', ['adipose', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium'], 3, [89996, 10004, 7180], 'Kather JN et al. Predicting survival from colorectal cancer histology slides using deep learning. PLOS Medicine 16(1) (2019).'),
  chestmnist: entry('chestmnist', 'ChestMNIST', 'multilabel', ['atelectasis', 'cardiomegaly', 'effusion', 'infiltration', 'mass', 'nodule', 'pneumonia', 'pneumothorax', 'consolidation', 'edema', 'emphysema', 'fibrosis', 'pleural', 'hernia'], 1, [78468, 11219, 22433], 'Wang X et al. ChestX-ray8: Hospital-scale chest X-ray database and benchmarks. CVPR 2017.'),
  dermamnist: entry('dermamnist', 'DermaMNIST', 'multiclass', ['actinic keratoses and intraepithelial carcinoma', 'basal cell carcinoma', 'benign keratosis-like lesions', 'dermatofibroma', 'melanoma', 'melanocytic nevi', 'vascular lesions'], 3, [7007, 1003, 2005], 'Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset. Scientific Data 5 (2018); Codella N et al. arXiv:1902.03368 (2019).', { license: 'CC BY-NC 4.0' }),
  octmnist: entry('octmnist', 'OCTMNIST', 'multiclass', ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal'], 1, [97477, 10832, 1000], 'Kermany DS et al. Identifying medical diagnoses and treatable diseases by image-based deep learning. Cell 172(5) (2018).'),
  pneumoniamnist: entry('pneumoniamnist', 'PneumoniaMNIST', 'binary', ['normal', 'pneumonia'], 1, [4708, 524, 624], 'Kermany DS et al. Identifying medical diagnoses and treatable diseases by image-based deep learning. Cell 172(5) (2018).'),
  retinamnist: entry('retinamnist', 'RetinaMNIST', 'multiclass', ['0', '1', '2', '3', '4'], 3, [1080, 120, 400], 'Liu R et al. DeepDRiD: Diabetic Retinopathy - Grading and Image Quality Estimation Challenge. Patterns 3(6) (2022).', { ordinal: true }),
  breastmnist: entry('breastmnist', 'BreastMNIST', 'binary', ['malignant', 'normal, benign'], 1, [546, 78, 156], 'Al-Dhabyani W et al. Dataset of breast ultrasound images. Data in Brief 28 (2020).'),
  bloodmnist: entry('bloodmnist', 'BloodMNIST', 'multiclass', ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes (myelocytes, metamyelocytes and promyelocytes)', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'], 3, [11959, 1712, 3421], 'Acevedo A et al. A dataset of microscopic peripheral blood cell images for development of automatic recognition systems. Data in Brief 30 (2020).'),
  tissuemnist: entry('tissuemnist', 'TissueMNIST', 'multiclass', ['Collecting Duct, Connecting Tubule', 'Distal Convoluted Tubule', 'Glomerular endothelial cells', 'Interstitial endothelial cells', 'Leukocytes', 'Podocytes', 'Proximal Tubule Segments', 'Thick Ascending Limb'], 1, [165466, 23640, 47280], 'Ljosa V, Sokolnicki KL, Carpenter AE. Annotated high-throughput microscopy image sets for validation. Nature Methods 9 (2012) (BBBC051).'),
  organamnist: entry('organamnist', 'OrganAMNIST', 'multiclass', ORGANS, 1, [34581, 6491, 17778], LITS),
  organcmnist: entry('organcmnist', 'OrganCMNIST', 'multiclass', ORGANS, 1, [13000, 2392, 8268], LITS),
  organsmnist: entry('organsmnist', 'OrganSMNIST', 'multiclass', ORGANS, 1, [13940, 2452, 8829], LITS),
});

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
