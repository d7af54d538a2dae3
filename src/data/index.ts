export { encodeNpy, parseNpy, type NdArray, type NdArrayData, type NpyDtype } from './npy.js';
export { readNpz } from './npz.js';
export type { EmbeddingMatrix } from './embedding-matrix.js';
