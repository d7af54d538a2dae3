import { DatasetError } from '../errors/index.js';
import type { RawListing } from './dataset-source.js';
import type { ImageDatasetItem, ImageDatasetOptions, SkippedImage } from './image-dataset.js';

/** @internal A listing's items with class indices, the classes, and the items left out. */
export type Resolved = { items: ImageDatasetItem[]; classes: string[]; skipped: SkippedImage[] };

/**
 * @internal Resolves class names to indices: `classes` given (or the manifest's), else the names
 * found, sorted (numerically when all are integers). Labels outside them fail or are skipped.
 */
export function resolveLabels(listing: RawListing, options: ImageDatasetOptions, where: string): Resolved {
  const given = options.classes ?? listing.classes;
  let classes: string[];
  if (given) classes = [...given];
  else {
    const names = [...new Set(listing.items.flatMap((i) => i.names ?? []))];
    const numeric = names.length > 0 && names.every((n) => /^\d+$/.test(n));
    classes = numeric
      ? Array.from({ length: Math.max(...names.map(Number)) + 1 }, (_, i) => String(i))
      : names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const skipped: SkippedImage[] = [];
  const items: ImageDatasetItem[] = [];
  for (const raw of listing.items) {
    const unknown = (raw.names ?? []).filter((n) => !index.has(n));
    if (unknown.length > 0) {
      const reason =
        `label ${JSON.stringify(unknown[0])} of ${JSON.stringify(raw.id)} is not a class of ${where} ` +
        `(classes: ${classes.slice(0, 20).join(', ')}${classes.length > 20 ? ', ...' : ''}). Fix the label, add it to classes, or pass onError: 'skip'.`;
      if (options.onError === 'skip') {
        skipped.push({ id: raw.id, reason });
        continue;
      }
      throw new DatasetError(reason, { item: raw.id });
    }
    let label: number | number[] | undefined;
    if (raw.names !== undefined) {
      if (listing.multiLabel) {
        const v = new Array<number>(classes.length).fill(0);
        for (const n of raw.names) v[index.get(n) as number] = 1;
        label = v;
      } else label = index.get(raw.names[0] as string);
    }
    items.push({ id: raw.id, ...(raw.path !== undefined ? { path: raw.path } : {}), ...(label !== undefined ? { label } : {}), ...(raw.split ? { split: raw.split } : {}) });
  }
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new DatasetError(`${where} lists ${JSON.stringify(it.id)} twice; list each image once.`, { item: it.id });
    ids.add(it.id);
  }
  return { items, classes, skipped };
}

