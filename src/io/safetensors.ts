import { CheckpointFormatError } from '../errors/index.js';
import { ByteReader } from './byte-reader.js';
import { duplicateTopLevelKey } from './json-keys.js';
import { RAW_DTYPE_ITEMSIZE, type RawDtype, type RawTensor } from './raw-tensor.js';

/**
 * The contents of a `.safetensors` file.
 *
 * @remarks Since 0.1.0.
 * @internal
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
 * the data region or not matching the shape, tensors that overlap or leave gaps or bytes over in
 * the data region, and a name that appears twice (all refused by the reference implementation).
 *
 * @remarks Since 0.1.0.
 * @internal
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
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(r.take(headerLength, 'header'));
    header = JSON.parse(text);
  } catch (e) {
    if (CheckpointFormatError.is(e)) throw e;
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('the header JSON is not an object');
  }
  const twice = duplicateTopLevelKey(text);
  if (twice !== undefined) {
    fail(`${twice === '__metadata__' ? 'key' : 'tensor'} "${twice}" appears twice in the header (JSON readers would keep the last silently)`);
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  const spans: Span[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = readMetadata(info);
      continue;
    }
    const tensor = readTensor(name, info, data);
    tensors.set(name, tensor);
    spans.push({ name, begin: tensor.bytes.byteOffset - data.byteOffset, end: tensor.bytes.byteOffset - data.byteOffset + tensor.bytes.length });
  }
  checkLayout(spans, data.length);
  return { tensors, metadata };
}

interface Span {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
}

/**
 * The reference reader (huggingface safetensors) requires the tensors to tile the data region
 * exactly: overlapping tensors alias each other's bytes and gaps hide data, so both are refused.
 */
function checkLayout(spans: Span[], dataLength: number): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: Span | undefined;
  for (const span of spans) {
    const expected = previous?.end ?? 0;
    const offsets = `has data_offsets [${span.begin},${span.end}]`;
    if (span.begin < expected) {
      fail(`tensor "${span.name}" ${offsets}, which overlap those of tensor "${previous?.name}" [${previous?.begin},${previous?.end}]; each tensor needs bytes of its own`);
    }
    if (span.begin > expected) {
      const before = previous ? `the previous tensor "${previous.name}" ends at ${expected}` : 'the data region starts at 0';
      fail(`tensor "${span.name}" ${offsets}: it starts at ${span.begin} but ${before}; tensors must fill the data region without gaps`);
    }
    previous = span;
  }
  const end = previous?.end ?? 0;
  if (end !== dataLength) {
    fail(`the data region has ${dataLength - end} bytes after the last tensor${previous ? ` "${previous.name}"` : ''}; tensors must fill it exactly`);
  }
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
