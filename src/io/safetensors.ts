import { CheckpointFormatError } from '../errors/index.js';
import { ByteReader } from './byte-reader.js';
import { RAW_DTYPE_ITEMSIZE, type RawDtype, type RawTensor } from './raw-tensor.js';

/**
 * The contents of a `.safetensors` file.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { parseSafetensors, type SafetensorsFile } from 'dvme';
 * declare const bytes: Uint8Array;
 * const file: SafetensorsFile = parseSafetensors(bytes);
 * file.metadata.format; // 'pt', typically
 * ```
 */
export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Real headers are kilobytes; anything past this is a corrupt or hostile length field. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPES: Readonly<Record<string, RawDtype>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid safetensors file: ${detail}. The file is damaged or not a .safetensors file; ` +
      'download or export it again.',
  );
}

/**
 * Parses a `.safetensors` file (8-byte little-endian header length, JSON header, raw data).
 *
 * @param bytes - the whole file.
 * @returns every tensor, as views into `bytes` (no copy), and the `__metadata__` strings.
 * @throws {@link CheckpointFormatError} for a header length beyond the input (checked before
 * anything is decoded or allocated), JSON that is not an object, unknown dtypes (allowed: F32,
 * F16, BF16, F64, I64, I32, I16, I8, U8, BOOL), non-integer shapes, or data offsets outside
 * the data region or not matching the shape.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { parseSafetensors, toFloat32 } from 'dvme';
 * declare const bytes: Uint8Array;
 * const { tensors } = parseSafetensors(bytes);
 * const w = toFloat32(tensors.get('head.weight')!);
 * ```
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const r = new ByteReader(bytes, 'safetensors file');
  const headerLength = bytes.length >= 8 ? r.u64('header length') : fail(`only ${bytes.length} bytes`);
  if (headerLength > bytes.length - 8 || headerLength > MAX_HEADER_BYTES) {
    fail(
      `header length ${headerLength} exceeds the ${bytes.length - 8} bytes after it ` +
        `(and must be at most ${MAX_HEADER_BYTES})`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.take(headerLength, 'header')));
  } catch (e) {
    if (CheckpointFormatError.is(e)) throw e;
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('the header JSON is not an object');
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') metadata = readMetadata(info);
    else tensors.set(name, readTensor(name, info, data));
  }
  return { tensors, metadata };
}

function readMetadata(info: unknown): Record<string, string> {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    fail('__metadata__ is not an object of strings');
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') fail(`__metadata__["${k}"] is ${typeof v}, not a string`);
    out[k] = v;
  }
  return out;
}

function readTensor(name: string, info: unknown, data: Uint8Array): RawTensor {
  if (typeof info !== 'object' || info === null) fail(`entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const rawDtype = typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
  if (rawDtype === undefined) {
    fail(
      `tensor "${name}" has dtype ${JSON.stringify(dtype)}; supported dtypes are ` +
        Object.keys(DTYPES).join(', '),
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1] ||
    offsets[1] > data.length
  ) {
    fail(
      `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; they must be ` +
        `[begin, end] with 0 <= begin <= end <= ${data.length} (the data region's size)`,
    );
  }
  const [begin, end] = offsets as [number, number];
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const expected = numel * RAW_DTYPE_ITEMSIZE[rawDtype];
  if (end - begin !== expected) {
    fail(
      `tensor "${name}" spans ${end - begin} bytes but dtype ${dtype as string} and shape ` +
        `[${(shape as number[]).join(', ')}] need ${expected}`,
    );
  }
  return { dtype: rawDtype, shape: [...(shape as number[])], bytes: data.subarray(begin, end) };
}
