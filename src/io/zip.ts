import { CheckpointFormatError } from '../errors/index.js';
import { ByteReader, checkRange } from './byte-reader.js';

/**
 * One file inside a zip archive, as its central directory describes it.
 *
 * @remarks Since 0.1.0. `offset` is where the entry's (possibly compressed) data starts, past
 * its local header; it has been checked to lie inside the archive.
 * @internal
 */
export interface ZipEntry {
  name: string;
  offset: number;
  compressedSize: number;
  size: number;
  /** 0 = stored, 8 = deflate; nothing else is supported. */
  method: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const U32_MAX = 0xffffffff;
/** Deflate cannot expand data more than about 1032:1, so a larger claimed size is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** The largest typed array V8 (Node, Chrome) allocates: an entry is inflated into one. */
const MAX_INFLATED_BYTES = 2 ** 32;

const utf8 = new TextDecoder('utf-8');

/** Offset of the End Of Central Directory record; it sits in the last 22 + 65535 bytes. */
function findEocd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - 0xffff);
  for (let i = bytes.length - EOCD_SIZE; i >= lowest; i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) return i;
  }
  throw new CheckpointFormatError(
    `Not a zip archive: no End Of Central Directory record in the last ${bytes.length - lowest} ` +
      'bytes of the input. The file is truncated or not a zip (.pth from torch>=1.6, .npz); ' +
      'download it again.',
  );
}

/** Where the central directory starts and how many entries it has, ZIP64 aware. */
function readDirectoryLocation(bytes: Uint8Array): { start: number; size: number; count: number } {
  const eocd = findEocd(bytes);
  const r = new ByteReader(bytes, 'zip', eocd + 10);
  let count = r.u16('entry count');
  let size = r.u32('central directory size');
  let start = r.u32('central directory offset');
  const locator = eocd - 20;
  if (locator >= 0 && new ByteReader(bytes, 'zip', locator).u32('locator') === ZIP64_LOCATOR_SIGNATURE) {
    // torch.save and np.savez write ZIP64 records; their values win over the 16/32-bit ones.
    const z = new ByteReader(bytes, 'zip', locator + 8);
    z.pos = z.u64('ZIP64 end of central directory offset');
    if (z.u32('ZIP64 end of central directory signature') !== ZIP64_EOCD_SIGNATURE) {
      throw new CheckpointFormatError(
        'Corrupt zip: the ZIP64 locator points at bytes that are not a ZIP64 end of central ' +
          'directory record. The file is damaged; download it again.',
      );
    }
    z.pos += 8 + 2 + 2 + 4 + 4 + 8; // record size, versions, disk numbers, entries on this disk
    count = z.u64('ZIP64 entry count');
    size = z.u64('ZIP64 central directory size');
    start = z.u64('ZIP64 central directory offset');
  }
  checkRange(start, size, bytes.length, 'zip central directory');
  if (count * CENTRAL_HEADER_SIZE > size) {
    throw new CheckpointFormatError(
      `Corrupt zip: ${count} entries cannot fit in a ${size}-byte central directory ` +
        `(each needs at least ${CENTRAL_HEADER_SIZE}). The file is damaged; download it again.`,
    );
  }
  return { start, size, count };
}

/** Applies a ZIP64 extended-information extra field to the values saturated at 0xFFFFFFFF. */
function applyZip64Extra(
  extra: Uint8Array,
  values: { size: number; compressedSize: number; localOffset: number },
): void {
  const r = new ByteReader(extra, 'zip extra field');
  while (r.remaining >= 4) {
    const id = r.u16('extra id');
    const body = new ByteReader(r.take(r.u16('extra size'), 'extra field'), 'zip ZIP64 field');
    if (id !== 0x0001) continue;
    if (values.size === U32_MAX) values.size = body.u64('ZIP64 size');
    if (values.compressedSize === U32_MAX) values.compressedSize = body.u64('ZIP64 compressed size');
    if (values.localOffset === U32_MAX) values.localOffset = body.u64('ZIP64 local header offset');
  }
}

/**
 * Lists the files of a zip archive from its central directory (ZIP64 included).
 *
 * @param bytes - the whole archive; not copied.
 * @returns the entries in directory order.
 * @throws {@link CheckpointFormatError} when the bytes are not a readable zip, an entry is
 * encrypted, or any offset or size points outside the input.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  const { start, size, count } = readDirectoryLocation(bytes);
  const r = new ByteReader(bytes.subarray(start, start + size), 'zip central directory');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (r.u32('central header signature') !== CENTRAL_SIGNATURE) {
      throw new CheckpointFormatError(
        `Corrupt zip: central directory entry ${i} has a bad signature. The file is damaged; ` +
          'download it again.',
      );
    }
    r.pos += 4;
    const flags = r.u16('flags');
    const method = r.u16('method');
    r.pos += 8;
    const values = {
      compressedSize: r.u32('compressed size'),
      size: r.u32('size'),
      localOffset: 0,
    };
    const nameLength = r.u16('name length');
    const extraLength = r.u16('extra length');
    const commentLength = r.u16('comment length');
    r.pos += 8;
    values.localOffset = r.u32('local header offset');
    const name = utf8.decode(r.take(nameLength, 'file name'));
    applyZip64Extra(r.take(extraLength, 'extra field'), values);
    r.take(commentLength, 'file comment');
    if (flags & 1) {
      throw new CheckpointFormatError(
        `Zip entry "${name}" is encrypted; encrypted archives are not supported. Re-create the ` +
          'archive without a password.',
      );
    }
    const offset = dataOffset(bytes, values.localOffset, name);
    checkRange(offset, values.compressedSize, bytes.length, `zip entry "${name}"`);
    entries.push({ name, offset, compressedSize: values.compressedSize, size: values.size, method });
  }
  return entries;
}

/** Start of an entry's data: past its local header, whose extra field may differ in length. */
function dataOffset(bytes: Uint8Array, localOffset: number, name: string): number {
  const r = new ByteReader(bytes, 'zip', localOffset);
  if (r.u32('local header signature') !== LOCAL_SIGNATURE) {
    throw new CheckpointFormatError(
      `Corrupt zip: the local header of "${name}" at offset ${localOffset} has a bad ` +
        'signature. The file is damaged; download it again.',
    );
  }
  r.pos = localOffset + 26;
  const nameLength = r.u16('local name length');
  const extraLength = r.u16('local extra length');
  return localOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
}

/**
 * The bytes of a stored (uncompressed, method 0) entry, as a view into `bytes` (no copy).
 *
 * @throws {@link CheckpointFormatError} when the entry is compressed (use {@link readZipEntry})
 * or its sizes disagree.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function readZipEntrySync(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method !== 0) {
    throw new CheckpointFormatError(
      `Zip entry "${entry.name}" is compressed (method ${entry.method}); readZipEntrySync reads ` +
        'only stored entries (method 0). Use the async readZipEntry instead.',
    );
  }
  if (entry.size !== entry.compressedSize) {
    throw new CheckpointFormatError(
      `Corrupt zip: stored entry "${entry.name}" claims ${entry.size} bytes but occupies ` +
        `${entry.compressedSize}. The file is damaged; download it again.`,
    );
  }
  checkRange(entry.offset, entry.size, bytes.length, `zip entry "${entry.name}"`);
  return bytes.subarray(entry.offset, entry.offset + entry.size);
}

/**
 * The bytes of an entry, stored (a view, no copy) or deflated (decompressed with the web
 * standard `DecompressionStream`, available in Node >= 20 and browsers).
 *
 * @throws {@link CheckpointFormatError} for other methods, corrupt deflate data, output that
 * is not exactly the size the directory promised (the output is capped at that size, so a
 * decompression bomb stops early), or a declared size over 4 GiB or more than the runtime can
 * allocate (checked before inflating).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export async function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.method === 0) return readZipEntrySync(bytes, entry);
  if (entry.method !== 8) {
    throw new CheckpointFormatError(
      `Zip entry "${entry.name}" uses compression method ${entry.method}; only 0 (stored) and 8 ` +
        '(deflate) are supported. Re-create the archive with standard deflate compression.',
    );
  }
  checkRange(entry.offset, entry.compressedSize, bytes.length, `zip entry "${entry.name}"`);
  if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
    throw new CheckpointFormatError(
      `Corrupt zip: entry "${entry.name}" claims to inflate from ${entry.compressedSize} to ` +
        `${entry.size} bytes, beyond deflate's maximum ratio of ${MAX_DEFLATE_RATIO}:1. The ` +
        'header is damaged or hostile; download the file again.',
    );
  }
  return inflateRaw(bytes.subarray(entry.offset, entry.offset + entry.compressedSize), entry);
}

/**
 * The buffer an entry inflates into, refused with a typed error (not the runtime's
 * `RangeError`) past the largest typed array or what this runtime can allocate.
 */
function allocateOutput(entry: ZipEntry): Uint8Array {
  const refuse = (cause?: unknown): CheckpointFormatError =>
    new CheckpointFormatError(
      `Zip entry "${entry.name}" inflates to ${entry.size} bytes (${(entry.size / 2 ** 30).toFixed(1)} GiB); dvme ` +
        `inflates an entry into one buffer of at most ${MAX_INFLATED_BYTES} bytes (4 GiB)` +
        (cause === undefined ? '' : ', and this runtime could not allocate it') +
        '. If the file is genuine, split the data into smaller arrays or files (several arrays in one ' +
        'np.savez, or sharded checkpoints); otherwise the header is damaged or hostile.',
      { cause },
    );
  if (entry.size > MAX_INFLATED_BYTES) throw refuse();
  try {
    return new Uint8Array(entry.size);
  } catch (e) {
    throw refuse(e);
  }
}

async function inflateRaw(input: Uint8Array, entry: ZipEntry): Promise<Uint8Array> {
  const corrupt = (detail: string, cause?: unknown): CheckpointFormatError =>
    new CheckpointFormatError(
      `Corrupt zip: deflated entry "${entry.name}" ${detail}. The file is damaged; download it again.`,
      { cause },
    );
  const out = allocateOutput(entry);
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // Errors surface through the reader; these catches only stop unhandled-rejection noise.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  let filled = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > out.length) {
        throw corrupt(`inflates past its declared size of ${entry.size} bytes`);
      }
      out.set(value, filled);
      filled += value.length;
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    if (CheckpointFormatError.is(e)) throw e;
    throw corrupt('is not valid deflate data', e);
  }
  if (filled !== out.length) {
    throw corrupt(`inflates to ${filled} bytes, not the declared ${entry.size}`);
  }
  return out;
}
