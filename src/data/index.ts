export { encodeNpy, parseNpy, type NdArray, type NdArrayData, type NpyDtype } from './npy.js';
export { readNpz } from './npz.js';
export type { EmbeddingMatrix } from './embedding-matrix.js';
export { loadMedMnist, medMnistUrl, MEDMNIST_INFO } from './medmnist.js';
export type {
  LoadMedMnistOptions,
  MedMnist,
  MedMnistInfo,
  MedMnistLabels,
  MedMnistName,
  MedMnistSize,
  MedMnistSplit,
} from './medmnist.js';
export type { DecodedImageFile, DecodeImageOptions, ImageFileFormat, ReadImagesOptions } from '../image/image-file.js';
