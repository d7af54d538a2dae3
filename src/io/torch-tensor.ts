import { CheckpointFormatError } from '../errors/index.js';
import { describeValue } from '../validation/describe-value.js';
import { gatherStrided } from './strided-gather.js';
import { RAW_DTYPE_ITEMSIZE, type RawDtype, type RawTensor } from './raw-tensor.js';

/**
 * One torch storage: a flat run of elements that one or more tensors view.
 *
 * @internal
 */
export class TorchStorage {
  constructor(
    readonly dtype: RawDtype,
    readonly numel: number,
    /**
     * Exactly `numel * itemsize` bytes, usually a view into the checkpoint file; `null` while
     * the legacy reader's first pass learns which storages exist before their bytes are found.
     */
    readonly bytes: Uint8Array | null,
  ) {}
}

/**
 * Bytes that non-contiguous tensors may still copy into fresh memory. A hostile pickle can
 * describe a huge tensor over a one-element storage with stride 0; the budget (about twice the
 * file size) stops that from becoming a huge allocation.
 *
 * @internal
 */
export interface MaterialiseBudget {
  remaining: number;
}

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid tensor in torch checkpoint: ${detail}. The file is damaged or hostile; ` +
      'download it again or re-save it with torch.save(model.state_dict(), path).',
  );
}

function intList(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(`${what} is ${describeValue(value)}, not a tuple of non-negative integers`);
  }
  return [...(value as number[])];
}

/**
 * The tensor `torch._utils._rebuild_tensor_v2(storage, offset, size, stride)` would return, as
 * a C-contiguous {@link RawTensor}: a view into the storage when the layout already is
 * C-contiguous, a gathered copy otherwise (transposes, expands, strided slices).
 *
 * @internal
 */
export function rebuildTensor(
  storage: unknown,
  storageOffset: unknown,
  sizeArg: unknown,
  strideArg: unknown,
  budget: MaterialiseBudget,
): RawTensor {
  if (!(storage instanceof TorchStorage)) fail(`the storage argument is ${describeValue(storage)}`);
  if (!Number.isSafeInteger(storageOffset) || (storageOffset as number) < 0) {
    fail(`storage offset ${describeValue(storageOffset)} is not a non-negative integer`);
  }
  const offset = storageOffset as number;
  const size = intList(sizeArg, 'size');
  const stride = intList(strideArg, 'stride');
  if (stride.length !== size.length) {
    fail(`size has ${size.length} dimensions but stride has ${stride.length}`);
  }
  const itemsize = RAW_DTYPE_ITEMSIZE[storage.dtype];
  let numel = 1;
  let last = offset;
  for (let d = 0; d < size.length; d++) {
    numel *= size[d];
    last += (size[d] - 1) * stride[d];
  }
  if (numel === 0) return { dtype: storage.dtype, shape: size, bytes: new Uint8Array(0) };
  if (last >= storage.numel) {
    fail(
      `a ${storage.dtype} tensor of size [${size.join(', ')}], stride [${stride.join(', ')}] ` +
        `at offset ${offset} reaches element ${last} of a ${storage.numel}-element storage`,
    );
  }
  // First legacy pass: the result is thrown away, so an empty stand-in is enough.
  if (storage.bytes === null) return { dtype: storage.dtype, shape: [0], bytes: new Uint8Array(0) };
  if (isContiguous(size, stride)) {
    const begin = offset * itemsize;
    return { dtype: storage.dtype, shape: size, bytes: storage.bytes.subarray(begin, begin + numel * itemsize) };
  }
  const outBytes = numel * itemsize;
  if (outBytes > budget.remaining) {
    fail(
      `copying a non-contiguous tensor of size [${size.join(', ')}] needs ${outBytes} bytes, ` +
        `more than the ${budget.remaining} left for such copies in this file`,
    );
  }
  budget.remaining -= outBytes;
  return { dtype: storage.dtype, shape: size, bytes: gatherStrided(storage.bytes, itemsize, offset, size, stride) };
}

/** C-contiguous up to the strides of size-1 dimensions, which torch leaves arbitrary. */
function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}
