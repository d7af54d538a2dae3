/**
 * Charts as SVG strings: pure TypeScript (no tfjs, no DOM, no platform), deterministic, with
 * escaped labels and accessible titles, for a browser page or a self-contained HTML report.
 *
 * @packageDocumentation
 */
export { attentionMapSvg, type AttentionMapSvgOptions } from './attention-map-svg.js';
export { confusionMatrixSvg, type ConfusionMatrixSvgOptions } from './confusion-matrix-svg.js';
export { learningCurveSvg, type LearningCurveSvgOptions, type NumericKey } from './learning-curve-svg.js';
export { rocBand, type RocBand, type RocBandOptions } from './roc-band.js';
export { rocCurveSvg, type RocCurveSeries, type RocCurveSvgOptions } from './roc-curve-svg.js';
export { escapeXml } from './svg.js';
