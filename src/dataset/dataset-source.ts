import type { EmbeddingSetSplit } from '../data/embedding-set.js';
import { DatasetError } from '../errors/index.js';
import { parseCsv } from './csv.js';

/** @internal One image as a source lists it, before its labels are resolved to classes. */
export interface RawItem {
  readonly id: string;
  /** The file to read; absent for images held in memory (`.npz`). */
  readonly path?: string;
  /** Class names (one for single-label rows, any number for multi-label); absent: unlabelled. */
  readonly names?: readonly string[];
  readonly split?: EmbeddingSetSplit;
}

/** @internal What a source lists: its items, and whether its labels are multi-label. */
export interface RawListing {
  readonly items: RawItem[];
  readonly multiLabel: boolean;
  /** Class names in index order when the source fixes them (a JSON manifest's `classes`). */
  readonly classes?: readonly string[];
}

/** File name endings an image folder's images have (lower-cased). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.dcm', '.dicom'] as const;
const SPLITS: readonly EmbeddingSetSplit[] = ['train', 'val', 'test'];

/** @internal `dir` and `rel` joined with `/` (which Node accepts on every OS), `rel` unchanged when absolute. */
export function joinPath(dir: string, rel: string): string {
  if (rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel) || dir === '') return rel;
  return `${dir.replace(/[\\/]+$/, '')}/${rel}`;
}

/** @internal The folder part of a file path (`''` for a bare name). */
export function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '' : path.slice(0, cut);
}

function split(where: string, value: string): EmbeddingSetSplit | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  const alias: Record<string, EmbeddingSetSplit> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
  const s = alias[v];
  if (s === undefined) throw new DatasetError(`${where}: split ${JSON.stringify(value)} is not one of train, val (validation) or test; fix the split column.`);
  return s;
}

/**
 * @internal The images of an ImageFolder layout: `<dir>/<class>/<...>/<image>`, or with split
 * folders above the classes (`<dir>/train/<class>/...`) when every top folder is train, val or
 * test. Files of other types are ignored.
 */
export function listFolder(dir: string, files: readonly string[]): RawListing {
  const images = files.filter((f) => IMAGE_EXTENSIONS.some((e) => f.toLowerCase().endsWith(e)) && f.includes('/'));
  if (images.length === 0) {
    throw new DatasetError(
      `${JSON.stringify(dir)} holds no images in class folders (${files.length} files in all). An image folder is ` +
        `<dir>/<class>/<image>, the images ending in ${IMAGE_EXTENSIONS.join(', ')}; use a CSV manifest for other layouts.`,
    );
  }
  const tops = new Set(images.map((f) => f.slice(0, f.indexOf('/'))));
  const bySplit = [...tops].every((t) => (SPLITS as readonly string[]).includes(t)) && images.every((f) => f.split('/').length >= 3);
  return {
    multiLabel: false,
    items: images.map((id) => {
      const parts = id.split('/');
      return bySplit
        ? { id, path: joinPath(dir, id), names: [parts[1] as string], split: parts[0] as EmbeddingSetSplit }
        : { id, path: joinPath(dir, id), names: [parts[0] as string] };
    }),
  };
}

const PATH_COLUMNS = ['path', 'image', 'file', 'filename'];

/**
 * @internal The images of a CSV manifest: a header naming a path column (`path`, `image`,
 * `file` or `filename`), a `label` column (one class per image) or a `labels` column (any
 * number, separated by `|` or `;`), and optionally `split`. Paths are relative to the CSV's folder.
 */
export function listCsv(where: string, text: string): RawListing {
  const rows = parseCsv(text, where);
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = (names: readonly string[]) => header.findIndex((h) => names.includes(h));
  const pathCol = col(PATH_COLUMNS);
  if (pathCol < 0) {
    throw new DatasetError(
      `${where}: the header ${JSON.stringify(header.join(','))} has no path column; name it one of ${PATH_COLUMNS.join(', ')} ` +
        '(e.g. path,label,split).',
    );
  }
  const labelCol = col(['label', 'class']);
  const labelsCol = col(['labels']);
  const splitCol = col(['split']);
  const base = folderOf(where);
  return {
    multiLabel: labelsCol >= 0,
    items: rows.map((r, i) => {
      if (r.length !== header.length) {
        throw new DatasetError(`${where}: line ${i + 2} has ${r.length} fields, the header ${header.length}; quote fields that contain commas.`);
      }
      const id = (r[pathCol] as string).trim();
      if (id === '') throw new DatasetError(`${where}: line ${i + 2} has an empty path.`);
      const text = labelsCol >= 0 ? (r[labelsCol] as string) : labelCol >= 0 ? (r[labelCol] as string) : '';
      const names = labelsCol >= 0 ? text.split(/[|;]/).map((s) => s.trim()).filter(Boolean) : text.trim() === '' ? undefined : [text.trim()];
      const s = splitCol >= 0 ? split(`${where} line ${i + 2}`, r[splitCol] as string) : undefined;
      return { id, path: joinPath(base, id), ...(names ? { names } : {}), ...(s ? { split: s } : {}) };
    }),
  };
}

/**
 * @internal The images of a JSON manifest: an array of `{ path, label?, labels?, split? }`, or
 * `{ classes?, items: [...] }`; `label` a class name or index, `labels` an array of them.
 */
export function listJson(where: string, text: string): RawListing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(`${where} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  const root = Array.isArray(json) ? { items: json } : (json as { items?: unknown; classes?: unknown });
  if (typeof root !== 'object' || root === null || !Array.isArray(root.items)) {
    throw new DatasetError(`${where}: a JSON manifest is an array of { path, label?, labels?, split? } or { classes?, items: [...] }.`);
  }
  const classes = root.classes;
  if (classes !== undefined && !(Array.isArray(classes) && classes.every((c) => typeof c === 'string'))) {
    throw new DatasetError(`${where}: classes must be an array of strings; received ${JSON.stringify(classes)}.`);
  }
  const base = folderOf(where);
  let multiLabel = false;
  const items = (root.items as unknown[]).map((v, i): RawItem => {
    const o = v as { path?: unknown; label?: unknown; labels?: unknown; split?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.path !== 'string' || o.path === '') {
      throw new DatasetError(`${where}: items[${i}] has no path; each item is { path: string, label?, labels?, split? }.`);
    }
    const name = (x: unknown): string => {
      if (typeof x === 'string') return x;
      // An index into the manifest's own classes names that class.
      if (typeof x === 'number' && Number.isInteger(x)) return classes && x >= 0 && x < (classes as string[]).length ? (classes as string[])[x]! : String(x);
      throw new DatasetError(`${where}: items[${i}] has label ${JSON.stringify(x)}; labels are class names or integer indices.`);
    };
    let names: string[] | undefined;
    if (o.labels !== undefined) {
      multiLabel = true;
      if (!Array.isArray(o.labels)) throw new DatasetError(`${where}: items[${i}].labels must be an array of class names.`);
      names = o.labels.map(name);
    } else if (o.label !== undefined && o.label !== null) names = [name(o.label)];
    const s = typeof o.split === 'string' ? split(`${where} items[${i}]`, o.split) : undefined;
    return { id: o.path, path: joinPath(base, o.path), ...(names ? { names } : {}), ...(s ? { split: s } : {}) };
  });
  return { items, multiLabel, ...(classes ? { classes: classes as string[] } : {}) };
}
