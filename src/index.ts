/**
 * dvme: the platform-neutral core. Import a platform entrypoint (`dvme/node`, `dvme/node-gpu`,
 * `dvme/browser`) in an app to get a registered tfjs backend and platform helpers; import this
 * one from code that must run anywhere.
 *
 * @remarks The public surface, listed by name and grouped by concept. Everything not listed
 * here is internal and may change in any release; docs/api-surface.md says why each group is
 * public and what was left out. test/unit/exports.test.ts pins these names.
 * @packageDocumentation
 */

// Backbones and loading: a frozen image model that turns images into embeddings, built from a
// tfjs model, a PyTorch checkpoint, an ONNX file or a registry name.
export { Backbone } from './backbone/backbone.js';
export type { BackboneModel, EmbedOptions, EmbeddingModel, PredictingModel } from './backbone/backbone.js';
export type { BackboneConfig, BackboneConfigInit } from './backbone/config.js';
export type { FromTfjsOptions } from './backbone/from-tfjs.js';
export type { TfjsModelSource } from './backbone/tfjs-artifacts.js';
export type { CheckpointLoadReport, CheckpointSource, FromCheckpointOptions } from './backbone/from-checkpoint.js';
export { CHECKPOINT_HEAD_KEYS, type KeyLayout, type KeyLayoutId } from './backbone/key-layouts.js';
export { BACKBONE_ARCHITECTURES, listArchitectures } from './backbone/architectures.js';
export type {
  BackboneArchitecture,
  BackboneArchitectureId,
  CheckpointEmbedding,
  CustomArchitecture,
  ResNetArchitecture,
  ViTArchitecture,
} from './backbone/architectures.js';
// The architectures' default configs, which a CustomArchitecture overrides.
export { RESNET50_CONFIG, type ResNetConfig } from './backbone/arch/resnet.js';
export { VIT_BASE_CONFIG, VIT_SMALL_CONFIG, type ViTConfig, type ViTEmbedding } from './backbone/arch/vit.js';
export {
  getBackboneEntry,
  listBackbones,
  loadBackbone,
  type BackboneEntry,
  type BackboneFilter,
  type BackbonePaper,
  type BackbonePretrainedConfig,
  type LoadBackboneOptions,
  type TfjsBackboneEntry,
  type TfjsShard,
  type TorchBackboneEntry,
} from './backbone/registry/index.js';

// The ONNX engine: options of Backbone.fromOnnx / `engine: 'onnx'`, and a way to supply your
// own onnxruntime module.
export type { EngineChoice, EngineDecision } from './backbone/engines/engine-select.js';
// What Backbone.engine returns; built by Backbone.fromOnnx, never by hand.
export type { OnnxEmbeddingEngine } from './backbone/engines/onnx-engine.js';
export type { FromOnnxOptions, OnnxModelSource } from './backbone/engines/from-onnx.js';
export type { OnnxEngineOptions, OnnxEngineReport } from './backbone/engines/backbone-engine.js';
export type { OnnxCacheOptions } from './backbone/engines/onnx-cache.js';
export {
  registerOnnxRuntime,
  type OnnxRuntime,
  type OnnxRuntimeProvider,
  type OnnxSessionOptions,
  type OrtModuleLike,
  type OrtSessionLike,
  type OrtTensorLike,
} from './backbone/engines/onnx-runtime.js';

// Images and preprocessing: the image forms embed accepts, and the resize / crop / normalise
// step on its own.
export { IMAGENET_MEAN, IMAGENET_STD } from './image/preprocess-spec.js';
export type { Interpolation, PreprocessSpec, PreprocessSpecInit, ResizeMode } from './image/preprocess-spec.js';
export { preprocessImages, type PreprocessOptions } from './image/preprocess.js';
export type { BrowserImage, DecodedImage, ImageArray, ImageInput, ImagePixels, PixelRange, SingleImage } from './image/images.js';
export type { DecodedImageFile, DecodeImageOptions, ImageFileFormat, ReadImagesOptions } from './image/image-file.js';

// Augmentation: seeded, composable image transforms equal to torchvision's functional ones, for
// FineTuner's `augment` option (none is applied unless given).
export type { AugmentImage, Augmentation } from './augment/augmentation.js';
export { seededRandom } from './augment/seeded-random.js';
export { compose } from './augment/compose.js';
export { resize, type ResizeOptions } from './augment/resize.js';
export type { AugmentInterpolation } from './augment/resample.js';
export { centerCrop, randomResizedCrop, type RandomResizedCropOptions } from './augment/crop.js';
export { randomHorizontalFlip, randomRotate90, randomVerticalFlip } from './augment/flip.js';
export { randomRotation, type RandomRotationOptions } from './augment/rotate.js';
export { colorJitter, type ColorJitterOptions } from './augment/color-jitter.js';

// Embedding cache: embeddings kept by image, weights and preprocessing.
export { EmbeddingCache } from './embedding-cache/embedding-cache.js';
export type {
  EmbedCacheOptions,
  EmbeddingCacheLookup,
  EmbeddingCacheOptions,
  EmbeddingCacheStats,
} from './embedding-cache/embedding-cache.js';
export type { EmbeddingStore } from './embedding-cache/embedding-store.js';

// Probe: a linear classifier on frozen embeddings, and ordinal thresholds for graded tasks.
export { Probe } from './probe/probe.js';
export type { EvaluationFor, PredictionFor, ProbaFor, ProbeFitOptions } from './probe/probe.js';
export type { PaperTrainingOptions, ProbeHyperparameters, ProbeOptions, ProbeSolver } from './probe/options.js';
export type { ProbeJSON, ProbeProvenance } from './probe/probe-json.js';
export type { EpochLog } from './training/train-loop.js';
// The estimator base that Probe and every fusion model extend, and what fit reports.
export { Estimator, type FitCallbacks } from './training/estimator.js';
export type { TrainingWarning } from './training/fit-warnings.js';
export type { LabelsFor, ProbeTask } from './training/labels.js';
export type { ClassWeight } from './training/class-weight.js';
export type { EmbeddingInput } from './training/embedding-input.js';
export type { Standardization } from './training/standardize.js';
export type {
  BinaryEvaluation,
  ClassAgreement,
  MulticlassEvaluation,
  MultilabelEvaluation,
  ProbeMonitor,
} from './training/evaluation.js';
export { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from './probe/ordinal-thresholds.js';
export type { FitOrdinalThresholdsOptions, OrdinalThresholds } from './probe/ordinal-thresholds.js';

// Finetuning: a backbone's layers and a linear head trained end to end on images (its
// `augment` option takes the Augmentation transforms above).
export { FineTuner, type FineTunerFitOptions, type FineTunerProvenance } from './finetune/finetuner.js';
export type { FineTunerHyperparameters, FineTunerOptions, FineTunerTrainable } from './finetune/options.js';

// Fusion: several backbones' embeddings combined (DVME, DME, concatenation).
export { DynamicVisualMetaEmbedding } from './fusion/dynamic-visual-meta-embedding.js';
export type { DvmeHyperparameters, DynamicVisualMetaEmbeddingOptions } from './fusion/dynamic-visual-meta-embedding.js';
export { DynamicMetaEmbedding } from './fusion/dynamic-meta-embedding.js';
export type { DmeHyperparameters, DynamicMetaEmbeddingOptions } from './fusion/dynamic-meta-embedding.js';
export { ConcatProbe } from './fusion/concat-probe.js';
export { FusionEstimator, type FusionProvenance } from './fusion/fusion-estimator.js';
export type { FusionFitOptions, FusionHyperparameters, FusionOptions } from './fusion/fusion-options.js';
export type { SourceEmbeddings } from './fusion/fusion-data.js';
export type { FusionJSON, FusionWeightsJSON } from './fusion/fusion-json.js';
export type { DvmeTokens } from './fusion/dvme-model.js';
export type { DmeGating } from './fusion/meta-embedding-gate.js';
export { RobustFusion } from './fusion/robust-fusion.js';
export type { RobustFusionJSON, RobustFusionProvenance } from './fusion/robust-fusion.js';
export type { RobustFusionHyperparameters, RobustFusionOptions } from './fusion/robust-options.js';
export type { RobustCandidate, RobustCandidateScore, RobustChoice } from './fusion/robust-selection.js';

// The paper's protocol: class-balanced subsets, repeated seeded runs, tables.
export {
  bestSingleSource,
  formatFusionMarkdown,
  formatMarkdown,
  pairedDifference,
  validatedDifference,
  pixelFeatures,
  runFinetuneEvaluation,
  runFusionEvaluation,
  runLinearEvaluation,
  sampleSubset,
  toCsv,
  type EmbeddingSources,
  type EvaluationMetric,
  type FormatFusionMarkdownOptions,
  type FinetuneEvaluationOptions,
  type FinetuneEvaluationResult,
  type FinetuneEvaluationRun,
  type FormatMarkdownOptions,
  type FusionEvaluationOptions,
  type FusionEvaluationResult,
  type FusionEvaluationRun,
  type FusionModelName,
  type FusionTrainingOptions,
  type LabelledEmbeddings,
  type LabelledImages,
  type LinearEvaluationCell,
  type LinearEvaluationOptions,
  type LinearEvaluationResult,
  type LinearEvaluationRun,
  type PairedDifference,
  type RunDetails,
  type SampleSubsetOptions,
  type Subset,
  type SubsetSize,
  type ToCsvOptions,
} from './protocol/index.js';

// Results files and the self-contained HTML report (`dvme report`).
export {
  createResultsDocument,
  parseResultsDocument,
  type ResultsDocument,
  type ResultsRun,
  type ResultsSource,
} from './report/results-document.js';
export { reportHtml, type ReportHtmlOptions } from './report/report-html.js';
export { perClassMetrics, type ClassMetrics } from './report/per-class-metrics.js';

// Data: embeddings as plain arrays, .npy / .npz, MedMNIST.
export type { EmbeddingMatrix } from './data/embedding-matrix.js';
export { encodeNpy, parseNpy, type NdArray, type NdArrayData, type NpyDtype } from './data/npy.js';
export { readNpz } from './data/npz.js';
// Embedding sets: a folder of embeddings.npy + manifest.json with provenance (dvme embed's output).
export {
  decodeEmbeddingSet,
  encodeEmbeddingSet,
  parseEmbeddingSetManifest,
  type EmbeddingSet,
  type EmbeddingSetBackbone,
  type EmbeddingSetDataset,
  type EmbeddingSetManifest,
  type EmbeddingSetRow,
  type EmbeddingSetShard,
  type EmbeddingSetSplit,
} from './data/embedding-set.js';
export { mergeEmbeddingSets, shardRange } from './data/embedding-set-merge.js';

// Datasets: images with labels from a folder per class, a CSV / JSON manifest or a MedMNIST
// .npz, read lazily through the platform; seeded splits; skip-and-report for bad images.
export { ImageDataset } from './dataset/image-dataset.js';
export type { ImageDatasetItem, ImageDatasetOptions, LoadedImages, SkippedImage } from './dataset/image-dataset.js';
export type { SplitFractions } from './dataset/dataset-splits.js';

// Medical images: 16-bit PNG at full depth and DICOM (dicom-parser), windowed to 0-1.
export { decodeMedicalImage } from './dataset/decode-dataset-image.js';
export { decodeDicom, isDicom, type DicomImage } from './medical-image/dicom.js';
export { applyWindow, type IntensityWindow } from './medical-image/window.js';
export { loadMedMnist, medMnistUrl, MEDMNIST_INFO, parseMedMnist } from './data/medmnist.js';
export type {
  LoadMedMnistOptions,
  MedMnist,
  MedMnistInfo,
  MedMnistLabels,
  MedMnistName,
  MedMnistSize,
  MedMnistSplit,
} from './data/medmnist.js';

// Checkpoint files and downloads: inspect a checkpoint before loading it; fetch with a cache,
// resuming and SHA-256 checks.
export { readCheckpoint, type Checkpoint, type CheckpointFormat } from './io/checkpoint.js';
export { flattenTensors } from './io/flatten-tensors.js';
export { toFloat32, type RawDtype, type RawTensor } from './io/raw-tensor.js';
export { download, type DownloadOptions } from './io/download.js';

// Metrics: the same functions as `dvme/metrics` (pure TypeScript, no tfjs).
export {
  accuracyScore,
  bootstrapCi,
  bootstrapCiAsync,
  cohenKappaScore,
  confusionMatrix,
  delongCi,
  delongTest,
  rocAucScore,
  rocCurve,
  type AccuracyOptions,
  type BootstrapCiAsyncOptions,
  type BootstrapCiOptions,
  type BootstrapCiResult,
  type BootstrapMetric,
  type CohenKappaOptions,
  type ConfusionMatrixOptions,
  type DelongCiOptions,
  type DelongCiResult,
  type DelongTestOptions,
  type DelongTestResult,
  type OnUndefined,
  type RocAucAverage,
  type RocAucMultiClass,
  type RocAucOptions,
  type RocCurve,
  type RocCurveOptions,
  type Rows,
} from './metrics/index.js';

// Charts: ROC curves (with a bootstrap band), confusion matrices, learning curves and DVME
// attention maps as self-contained SVG strings (pure TypeScript, no DOM), for pages and reports.
export { attentionMapSvg, type AttentionMapSvgOptions } from './charts/attention-map-svg.js';
export { confusionMatrixSvg, type ConfusionMatrixSvgOptions } from './charts/confusion-matrix-svg.js';
export { learningCurveSvg, type LearningCurveSvgOptions, type NumericKey } from './charts/learning-curve-svg.js';
export { rocBand, type RocBand, type RocBandOptions } from './charts/roc-band.js';
export { rocCurveSvg, type RocCurveSeries, type RocCurveSvgOptions } from './charts/roc-curve-svg.js';
export { escapeXml } from './charts/svg.js';

// Errors: one branded class per failure, each with a `static is(e)` that survives two copies.
export {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DatasetError,
  DisposedError,
  DownloadError,
  DvmeError,
  EmbeddingSetFormatError,
  ImageDecodeError,
  IntegrityError,
  InvalidArgumentError,
  NonFiniteError,
  NotFittedError,
  OfflineError,
  OutOfMemoryError,
  ProvenanceMismatchError,
  ShapeError,
  UndefinedMetricError,
  UnknownBackboneError,
} from './errors/index.js';

// Platform and backend: what the entrypoints register, for reporting and for custom platforms.
export { backendInfo, selectBackend } from './host/backend.js';
export type { BackendCandidate, BackendInfo, BackendPreparation } from './host/backend.js';
export { currentPlatform, registerPlatform } from './host/platform.js';
export type { CacheWriter, DownloadCache, DownloadCacheOptions, Platform, PlatformImage } from './host/platform.js';
