/**
 * The backbone registry: named, frozen entries with the weights' URL, checksums, licence,
 * paper and pretrained config, and {@link loadBackbone} to download and build one.
 *
 * @packageDocumentation
 */
export type {
  BackboneEntry,
  BackbonePaper,
  BackbonePretrainedConfig,
  TfjsBackboneEntry,
  TfjsShard,
  TorchBackboneEntry,
} from './entry.js';
export { loadBackbone, type LoadBackboneOptions } from './load-backbone.js';
export { getBackboneEntry, listBackbones, type BackboneFilter } from './registry.js';
