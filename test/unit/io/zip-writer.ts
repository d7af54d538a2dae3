/**
 * A tiny zip writer for tests: stored or deflated entries, optionally with every size and
 * offset pushed into ZIP64 records (as torch.save does for files over 4 GiB), which Python's
 * zipfile cannot be made to write for small files.
 */
export interface WriteEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function writeZip(entries: WriteEntry[], options: { zip64?: boolean } = {}): Promise<Uint8Array> {
  const zip64 = options.zip64 ?? false;
  const parts: number[] = [];
  const central: number[] = [];
  const u16 = (a: number[], v: number): void => void a.push(v & 0xff, v >>> 8);
  const u32 = (a: number[], v: number): void => void a.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const u64 = (a: number[], v: number): void => (u32(a, v % 2 ** 32), u32(a, Math.floor(v / 2 ** 32)));
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const body = e.deflate ? await deflateRaw(e.data) : e.data;
    const offset = parts.length;
    u32(parts, 0x04034b50); u16(parts, 20); u16(parts, 0); u16(parts, e.deflate ? 8 : 0); u32(parts, 0); u32(parts, 0);
    u32(parts, body.length); u32(parts, e.data.length); u16(parts, name.length); u16(parts, 0);
    parts.push(...name, ...body);
    const extra: number[] = [];
    if (zip64) { u16(extra, 1); u16(extra, 24); u64(extra, e.data.length); u64(extra, body.length); u64(extra, offset); }
    const big = (v: number): number => (zip64 ? 0xffffffff : v);
    u32(central, 0x02014b50); u16(central, 45); u16(central, 45); u16(central, 0); u16(central, e.deflate ? 8 : 0);
    u32(central, 0); u32(central, 0); u32(central, big(body.length)); u32(central, big(e.data.length));
    u16(central, name.length); u16(central, extra.length); u16(central, 0); u16(central, 0); u16(central, 0); u32(central, 0);
    u32(central, big(offset));
    central.push(...name, ...extra);
  }
  const cdStart = parts.length;
  parts.push(...central);
  if (zip64) {
    const eocd64 = parts.length;
    u32(parts, 0x06064b50); u64(parts, 44); u16(parts, 45); u16(parts, 45); u32(parts, 0); u32(parts, 0);
    u64(parts, entries.length); u64(parts, entries.length); u64(parts, central.length); u64(parts, cdStart);
    u32(parts, 0x07064b50); u32(parts, 0); u64(parts, eocd64); u32(parts, 1);
  }
  const n = zip64 ? 0xffff : entries.length;
  u32(parts, 0x06054b50); u16(parts, 0); u16(parts, 0); u16(parts, n); u16(parts, n);
  u32(parts, zip64 ? 0xffffffff : central.length); u32(parts, zip64 ? 0xffffffff : cdStart); u16(parts, 0);
  return Uint8Array.from(parts);
}

/**
 * A ZIP64 archive with one entry that claims to be deflated and to inflate to `claimedSize`
 * bytes from `compressedSize` zero bytes (not real deflate data): a header within deflate's
 * ratio bound, built without pushing megabytes through `writeZip`'s number arrays.
 */
export function zipClaimingSize(name: string, compressedSize: number, claimedSize: number): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const local = 30 + nameBytes.length;
  const central = local + compressedSize;
  const centralSize = 46 + nameBytes.length + 28;
  const eocd64 = central + centralSize;
  const bytes = new Uint8Array(eocd64 + 56 + 20 + 22);
  const v = new DataView(bytes.buffer);
  const u64 = (at: number, value: number): void => v.setBigUint64(at, BigInt(value), true);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(8, 8, true);
  v.setUint32(18, 0xffffffff, true);
  v.setUint32(22, 0xffffffff, true);
  v.setUint16(26, nameBytes.length, true);
  bytes.set(nameBytes, 30);
  v.setUint32(central, 0x02014b50, true);
  v.setUint16(central + 10, 8, true);
  v.setUint32(central + 20, 0xffffffff, true);
  v.setUint32(central + 24, 0xffffffff, true);
  v.setUint16(central + 28, nameBytes.length, true);
  v.setUint16(central + 30, 28, true);
  v.setUint32(central + 42, 0xffffffff, true);
  bytes.set(nameBytes, central + 46);
  const extra = central + 46 + nameBytes.length;
  v.setUint16(extra, 1, true);
  v.setUint16(extra + 2, 24, true);
  u64(extra + 4, claimedSize);
  u64(extra + 12, compressedSize);
  u64(extra + 20, 0);
  v.setUint32(eocd64, 0x06064b50, true);
  u64(eocd64 + 4, 44);
  u64(eocd64 + 24, 1);
  u64(eocd64 + 32, 1);
  u64(eocd64 + 40, centralSize);
  u64(eocd64 + 48, central);
  const locator = eocd64 + 56;
  v.setUint32(locator, 0x07064b50, true);
  u64(locator + 8, eocd64);
  v.setUint32(locator + 16, 1, true);
  const eocd = locator + 20;
  v.setUint32(eocd, 0x06054b50, true);
  v.setUint16(eocd + 8, 0xffff, true);
  v.setUint16(eocd + 10, 0xffff, true);
  v.setUint32(eocd + 12, 0xffffffff, true);
  v.setUint32(eocd + 16, 0xffffffff, true);
  return bytes;
}
