import { InvalidArgumentError } from '../errors/index.js';
import { resolvePreprocessSpec, type PreprocessSpec, type PreprocessSpecInit } from '../image/preprocess-spec.js';
import { checkPositiveInteger } from '../validation/checks.js';

/**
 * The frozen, fully resolved description of a backbone: how images are prepared for it and
 * what its embedding is.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BackboneConfig } from 'dvme';
 * const describe = (c: BackboneConfig) => `${c.id}: ${c.inputSize.join('x')} -> ${c.embeddingDim}`;
 * ```
 */
export interface BackboneConfig extends PreprocessSpec {
  /** Name of the backbone, shown in messages (`'mobilenet_v2'`, `'resnet50.swav'`). */
  readonly id: string;
  /** How the embedding is taken from the model (`'layer:flatten_1'`, `'avgpool'`, `'cls-last4'`). */
  readonly embedding: string;
  /** Length of one embedding. */
  readonly embeddingDim: number;
}

/**
 * What a caller states about a backbone; everything else takes its default.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD, type BackboneConfigInit } from 'dvme';
 * const init: BackboneConfigInit = {
 *   id: 'resnet50.swav', inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD,
 *   resize: 'shorter-then-crop', embedding: 'avgpool', embeddingDim: 2048,
 * };
 * ```
 */
export interface BackboneConfigInit extends PreprocessSpecInit {
  /** @defaultValue `'custom'` */
  readonly id?: string;
  /** @defaultValue `'output'` */
  readonly embedding?: string;
  /** Omit to let the loader determine it from the model. */
  readonly embeddingDim?: number;
}

/** @internal Validates a backbone init and fills the defaults; `embeddingDim` must be known by now. */
export function resolveBackboneConfig(owner: string, init: BackboneConfigInit, embeddingDim: number): BackboneConfig {
  const spec = resolvePreprocessSpec(owner, init);
  const id = init.id ?? 'custom';
  const embedding = init.embedding ?? 'output';
  if (typeof id !== 'string' || typeof embedding !== 'string') {
    throw new InvalidArgumentError(
      `${owner}: id and embedding must be strings; received ${JSON.stringify({ id, embedding })}.`,
    );
  }
  return Object.freeze({
    id,
    ...spec,
    embedding,
    embeddingDim: checkPositiveInteger(owner, 'embeddingDim', embeddingDim),
  });
}
