import type { EmbeddingSet, EmbeddingSetManifest } from '../data/embedding-set.js';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { DatasetError, InvalidArgumentError, ProvenanceMismatchError } from '../errors/index.js';
import { readEmbeddingSet } from '../platform/node/embedding-set-files.js';
import type { ResultsSource } from '../report/results-document.js';
import type { ProbeTask } from '../training/labels.js';

/** @internal One `--embeddings` entry: a source name and its embedding-set folder. */
export interface EmbeddingSetSpec {
  readonly name: string;
  readonly dir: string;
}

/** @internal Parses `name=dir,name=dir` (a bare `dir` is named after its last path part). */
export function parseEmbeddingSetSpecs(text: string): EmbeddingSetSpec[] {
  const specs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((token) => {
      const eq = token.indexOf('=');
      const dir = eq < 0 ? token : token.slice(eq + 1).trim();
      const name = eq < 0 ? (dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? dir) : token.slice(0, eq).trim();
      if (!name || !dir) throw new InvalidArgumentError(`--embeddings: ${JSON.stringify(token)} is not name=<embedding-set folder>.`);
      return { name, dir };
    });
  if (specs.length === 0) throw new InvalidArgumentError('--embeddings lists no embedding set; e.g. --embeddings mobilenet=emb/mobilenet,inception=emb/inception');
  const names = specs.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InvalidArgumentError(`--embeddings names ${JSON.stringify(twice)} twice; give each set its own name (name=folder).`);
  return specs;
}

/** @internal Rows of one split: embeddings per source and labels. */
export interface SplitInputs {
  readonly sources: Record<string, EmbeddingMatrix>;
  readonly labels: number[] | number[][];
}

/** @internal What the evaluation commands need from saved embedding sets. */
export interface EmbeddingSetInputs {
  readonly task: ProbeTask;
  readonly classes: readonly string[] | undefined;
  readonly splits: Partial<Record<'train' | 'val' | 'test', SplitInputs>>;
  readonly sources: ResultsSource[];
  readonly datasetSource: string;
}

function rowsOf(m: EmbeddingMatrix, idx: readonly number[]): EmbeddingMatrix {
  const d = m.shape[1];
  const out = new Float32Array(idx.length * d);
  idx.forEach((r, i) => out.set(m.data.subarray(r * d, (r + 1) * d), i * d));
  return { data: out, shape: [idx.length, d] };
}

function taskOf(manifest: EmbeddingSetManifest): ProbeTask {
  if (manifest.dataset.task) return manifest.dataset.task;
  const labels = manifest.rows.map((r) => r.label);
  if (labels.some((l) => Array.isArray(l))) return 'multilabel';
  return new Set(labels).size <= 2 ? 'binary' : 'multiclass';
}

/**
 * @internal Reads the embedding sets and lines their rows up by image id (the first set's
 * order): every set must hold the same images with the same split and label, which the
 * evaluation's paired runs rely on. Sets with no `split` on their rows cannot be evaluated.
 */
export async function loadEmbeddingSetInputs(specs: readonly EmbeddingSetSpec[]): Promise<EmbeddingSetInputs> {
  const sets: EmbeddingSet[] = [];
  for (const spec of specs) sets.push(await readEmbeddingSet(spec.dir));
  const first = sets[0].manifest;
  const index = sets.map((s) => new Map(s.manifest.rows.map((r, i) => [r.id, i])));
  for (let j = 1; j < sets.length; j++) {
    const m = sets[j].manifest;
    if (m.rows.length !== first.rows.length || first.rows.some((r) => !index[j].has(r.id))) {
      const missing = first.rows.find((r) => !index[j].has(r.id));
      throw new ProvenanceMismatchError(
        `--embeddings: ${specs[j].name} (${specs[j].dir}) holds ${m.rows.length} images, ${specs[0].name} ${first.rows.length}` +
          `${missing ? `; ${JSON.stringify(missing.id)} is missing from it` : ''}. Embed the same dataset with every backbone (dvme embed).`,
        { field: 'rows' },
      );
    }
    for (const r of first.rows) {
      const other = m.rows[index[j].get(r.id) as number];
      if (other.split !== r.split || JSON.stringify(other.label) !== JSON.stringify(r.label)) {
        throw new ProvenanceMismatchError(
          `--embeddings: image ${JSON.stringify(r.id)} has split ${other.split} / label ${JSON.stringify(other.label)} in ${specs[j].name} ` +
            `but ${r.split} / ${JSON.stringify(r.label)} in ${specs[0].name}. Embed the same dataset manifest with every backbone.`,
          { field: 'rows' },
        );
      }
    }
  }
  const bySplit = new Map<string, number[]>();
  first.rows.forEach((r, i) => {
    if (r.label === undefined) throw new DatasetError(`--embeddings: image ${JSON.stringify(r.id)} of ${specs[0].name} has no label; evaluation needs labelled rows.`, { item: r.id });
    const split = r.split ?? 'none';
    bySplit.set(split, [...(bySplit.get(split) ?? []), i]);
  });
  if (!bySplit.has('train') || !bySplit.has('test')) {
    throw new DatasetError(
      `--embeddings: the sets need rows with split 'train' and 'test'; they have ${[...bySplit.keys()].join(', ')}. ` +
        'Embed a dataset with splits (a MedMNIST .npz, or a manifest with a split column).',
      { item: specs[0].dir },
    );
  }
  const splits: EmbeddingSetInputs['splits'] = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const rows = bySplit.get(split);
    if (!rows) continue;
    const sources: Record<string, EmbeddingMatrix> = {};
    sets.forEach((s, j) => {
      const own = rows.map((i) => index[j].get(first.rows[i].id) as number);
      sources[specs[j].name] = rowsOf(s.embeddings, own);
    });
    const labels = rows.map((i) => first.rows[i].label as number | number[]);
    splits[split] = { sources, labels: labels as number[] | number[][] };
  }
  return {
    task: taskOf(first),
    classes: first.dataset.classes,
    splits,
    datasetSource: first.dataset.source,
    sources: sets.map((s, j) => ({
      name: specs[j].name,
      kind: 'embedding-set',
      model: specs[j].dir,
      dim: s.manifest.backbone.dim,
      backbone: s.manifest.backbone.id,
      fingerprint: s.manifest.backbone.fingerprint,
      ...(s.manifest.backbone.weightsSha256 ? { weightsSha256: s.manifest.backbone.weightsSha256 } : {}),
    })),
  };
}
