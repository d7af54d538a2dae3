/** The messages between the page and its training worker. */

/** Embeddings of one source: rows x features, row after row. */
export interface Matrix {
  readonly data: Float32Array;
  readonly shape: readonly [number, number];
}

export interface TrainRequest {
  readonly type: 'train';
  /** Folder URL of tfjs-backend-wasm's .wasm files. */
  readonly wasmPaths: string;
  /** Source name -> training and test embeddings. */
  readonly train: Readonly<Record<string, Matrix>>;
  readonly test: Readonly<Record<string, Matrix>>;
  /** Class indices of the training rows. */
  readonly yTrain: readonly number[];
  readonly numClasses: number;
  /** The source the linear probe reads. */
  readonly probeSource: string;
}

export interface EpochMessage {
  readonly type: 'epoch';
  readonly model: 'dvme';
  readonly epoch: number;
  readonly maxEpochs: number;
  readonly loss: number;
}

export interface StageMessage {
  readonly type: 'stage';
  readonly text: string;
}

export interface DoneMessage {
  readonly type: 'done';
  readonly backend: string;
  /** Class probabilities of the test rows, one row per image. */
  readonly probe: { readonly proba: Float32Array[]; readonly seconds: number };
  readonly dvme: {
    readonly proba: Float32Array[];
    readonly seconds: number;
    /** Source x source attention, averaged over the test images. */
    readonly attention: number[][];
    readonly sources: string[];
    readonly history: Array<{ epoch: number; loss: number; value: number; improved: boolean }>;
    readonly bestEpoch: number;
  };
  /** Tensors alive in the worker before and after (a leak shows here). */
  readonly tensors: { readonly before: number; readonly after: number };
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly name: string;
  readonly message: string;
}

export type WorkerMessage = EpochMessage | StageMessage | DoneMessage | ErrorMessage;
