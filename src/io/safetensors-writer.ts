import { InvalidArgumentError } from '../errors/index.js';
import { isRawTensor, type RawDtype, type RawTensor } from './raw-tensor.js';

const CODES: Readonly<Record<RawDtype, string>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/**
 * @internal Encodes tensors as a `.safetensors` file (8-byte little-endian header length, JSON
 * header padded with spaces to a multiple of 8, then the tensors' bytes back to back), in the
 * layout of the reference writer (huggingface `safetensors.torch.save_file`): tensors ordered
 * by name, no gaps, so the same tensors always give the same bytes.
 *
 * @param tensors - name -> tensor; `__metadata__` is not a valid name.
 * @param metadata - strings stored under `__metadata__` (e.g. `{ format: 'pt' }`).
 * @throws {@link InvalidArgumentError} for a malformed tensor or the reserved name.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, RawTensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (name === '__metadata__' || !isRawTensor(t)) {
      throw new InvalidArgumentError(
        `encodeSafetensors: tensor "${name}" is ${name === '__metadata__' ? 'named after the reserved key' : 'not a well-formed RawTensor (dtype, shape, exactly numel * itemsize bytes)'}; rename or fix it.`,
      );
    }
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const name of names) {
    const { bytes } = tensors.get(name)!;
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}
