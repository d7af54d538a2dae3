import { checkChoice } from '../validation/checks.js';
import { DVME_VERSION } from '../version.js';
import { RESIZE_MODES, type ResizeMode } from '../image/preprocess-spec.js';
import { RECORD_FORMAT } from '../embedding-cache/embedding-records.js';
import type { BackboneConfig } from './config.js';
import type { EmbeddingEngine } from './engines/embedding-engine.js';
import { textSha256 } from './text-sha256.js';

/** @internal What identifies the embeddings a backbone computes: a SHA-256 and what it covers. */
export interface BackboneFingerprint {
  /** 64 hex digits. */
  readonly key: string;
  /** The JSON the key hashes, kept in each segment's header for people reading the cache. */
  readonly description: Readonly<Record<string, unknown>>;
}

/**
 * @internal The fingerprint of what `embed` computes with these settings: backbone id and
 * embedding, weights, the fully resolved preprocessing (with the call's resize override),
 * engine and backend, dvme's version and the cache format. The pixel range is per image.
 * The JSON's key order is part of every user's cache keys: keep it.
 */
export async function backboneFingerprint(
  owner: string,
  config: BackboneConfig,
  resize: ResizeMode | undefined,
  engine: EmbeddingEngine,
): Promise<BackboneFingerprint> {
  const mode = checkChoice(owner, 'resize', resize ?? config.resize, RESIZE_MODES);
  const description = {
    format: RECORD_FORMAT,
    dvme: DVME_VERSION,
    id: config.id,
    embedding: config.embedding,
    embeddingDim: config.embeddingDim,
    inputSize: config.inputSize,
    mean: config.mean,
    std: config.std,
    resize: mode,
    cropFraction: config.cropFraction,
    interpolation: config.interpolation,
    weights: await engine.weightsKey(owner),
    ...(await engine.describe()),
  };
  return { key: textSha256(JSON.stringify(description)), description };
}
