import { CheckpointFormatError } from '../errors/index.js';
import { describeValue, keyString } from '../validation/describe-value.js';
import { ByteReader } from './byte-reader.js';
import { PickleGlobal } from './pickle-globals.js';
import { unpickleAt } from './pickle.js';
import { RAW_DTYPE_ITEMSIZE, type RawDtype } from './raw-tensor.js';
import { TorchStorage } from './torch-tensor.js';
import { listZipEntries, readZipEntry, readZipEntrySync, type ZipEntry } from './zip.js';

/** The number torch's legacy (pre-1.6, or `_use_new_zipfile_serialization=False`) format opens with. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid torch checkpoint: ${detail}. The file is damaged or was not written by torch.save; ` +
      'download it again or re-save it with torch.save(model.state_dict(), path).',
  );
}

/** A storage's element type and size from the fields of a persistent id. */
interface StorageInfo {
  type: RawDtype;
  key: string;
  numel: number;
  /** Fields after numel: the legacy format's view metadata. */
  rest: readonly unknown[];
}

function storageInfo(pid: unknown, length: number): StorageInfo {
  if (!Array.isArray(pid) || pid.length < length || pid[0] !== 'storage') {
    fail(`persistent id is not a ('storage', type, key, location, numel${length > 5 ? ', view' : ''}) tuple`);
  }
  const [, type, key, , numel] = pid as unknown[];
  if (!(type instanceof PickleGlobal) || type.behaviour.storageDtype === undefined) {
    const name = type instanceof PickleGlobal ? type.qualifiedName : describeValue(type);
    fail(`persistent id names storage type ${name}`);
  }
  if (typeof key !== 'string' && typeof key !== 'number') fail(`storage key is ${typeof key}`);
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) {
    fail(`storage size ${describeValue(numel)} is not a count`);
  }
  return { type: type.behaviour.storageDtype, key: String(key), numel: numel as number, rest: pid.slice(5) };
}

/**
 * The torch >= 1.6 format: a zip whose one top folder (named after the file, so it varies)
 * holds `data.pkl` and one entry per storage in `data/<key>`.
 */
async function readZipCheckpoint(bytes: Uint8Array): Promise<unknown> {
  const entries = listZipEntries(bytes);
  const pkl = entries.find((e) => /^[^/]*\/?data\.pkl$/.test(e.name));
  if (pkl === undefined) {
    const npz = entries.length > 0 && entries.every((e) => e.name.endsWith('.npy'));
    fail(`the zip archive has no <archive>/data.pkl entry${npz ? ' (it is a NumPy .npz: read it with readNpz)' : ''}`);
  }
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e): [string, ZipEntry] => [e.name, e]));
  const byteorder = byName.get(`${prefix}byteorder`);
  if (byteorder !== undefined) {
    const order = new TextDecoder().decode(await readZipEntry(bytes, byteorder)).trim();
    if (order !== 'little') fail(`the checkpoint is ${order}-endian; only little-endian is supported`);
  }
  // The unpickler is synchronous; inflate any compressed storages (torch never writes them,
  // but re-zipped files exist) up front. Stored ones stay zero-copy views read on demand.
  const inflated = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.method !== 0 && e.name.startsWith(`${prefix}data/`)) inflated.set(e.name, await readZipEntry(bytes, e));
  }
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown): TorchStorage => {
    const { type, key, numel } = storageInfo(pid, 5);
    const cached = storages.get(key);
    if (cached !== undefined) return cached;
    const name = `${prefix}data/${key}`;
    const entry = byName.get(name);
    if (entry === undefined) fail(`storage "${key}" has no ${name} entry`);
    const data = inflated.get(name) ?? readZipEntrySync(bytes, entry);
    const length = numel * RAW_DTYPE_ITEMSIZE[type];
    if (data.length < length) {
      fail(`storage "${key}" holds ${data.length} bytes but ${numel} ${type} elements need ${length}`);
    }
    const storage = new TorchStorage(type, numel, data.subarray(0, length));
    storages.set(key, storage);
    return storage;
  };
  const pickle = await readZipEntry(bytes, pkl);
  return unpickleAt(pickle, { persistentLoad, materialiseBudget: 2 * bytes.length + 2 ** 26 }).value;
}

/**
 * True when `bytes` opens with the legacy torch magic number pickle.
 *
 * @internal
 */
export function isLegacyTorch(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x80) return false;
  try {
    return unpickleAt(bytes.subarray(0, 64)).value === LEGACY_MAGIC;
  } catch {
    return false;
  }
}

/**
 * The legacy format: pickles of the magic number, protocol version and system info, the main
 * pickle, a pickled list of storage keys, then each storage as a u64 element count and raw
 * bytes. Storage sizes are only known from the main pickle's persistent ids, so it is read
 * twice: once to learn the storages, once more to rebuild tensors from their bytes.
 */
function readLegacyCheckpoint(bytes: Uint8Array): unknown {
  let pos = 0;
  const next = (options = {}): unknown => {
    const { value, end } = unpickleAt(bytes, { ...options, offset: pos });
    pos = end;
    return value;
  };
  if (next() !== LEGACY_MAGIC) fail('the file does not start with the torch magic number');
  const version = next();
  if (version !== LEGACY_PROTOCOL_VERSION) {
    fail(`protocol version ${describeValue(version)} (expected ${LEGACY_PROTOCOL_VERSION})`);
  }
  const sysInfo = next();
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) {
    fail('the checkpoint was saved on a big-endian machine; only little-endian is supported');
  }
  const mainStart = pos;
  const declared = new Map<string, { type: RawDtype; numel: number }>();
  next({
    persistentLoad: (pid: unknown) => {
      const { type, key, numel } = storageInfo(pid, 6);
      declared.set(key, { type, numel });
      return new TorchStorage(type, numel, null);
    },
  });
  const keys = next();
  if (!Array.isArray(keys)) fail('the storage key list is not a list');
  const roots = new Map<string, TorchStorage>();
  const r = new ByteReader(bytes, 'torch checkpoint', pos);
  for (const k of keys) {
    const info = typeof k === 'string' || typeof k === 'number' ? declared.get(String(k)) : undefined;
    if (info === undefined) fail(`storage key ${describeValue(k)} is not used by the main pickle`);
    const count = r.u64('storage element count');
    const itemsize = RAW_DTYPE_ITEMSIZE[info.type];
    roots.set(String(k), new TorchStorage(info.type, count, r.take(count * itemsize, 'storage bytes')));
  }
  const views = new Map<string, TorchStorage>();
  pos = mainStart;
  return next({
    materialiseBudget: 2 * bytes.length + 2 ** 26,
    persistentLoad: (pid: unknown) => {
      const { type, key, numel, rest } = storageInfo(pid, 6);
      const root = roots.get(key);
      if (root === undefined || root.dtype !== type || root.numel < numel) {
        fail(`storage "${key}" is missing from the file or smaller than its ${numel} declared elements`);
      }
      return rest[0] === null || rest[0] === undefined ? root : storageView(root, rest[0], views);
    },
  });
}

/**
 * A pre-1.0 storage view, `(view_key, offset, size)` in elements of its root storage; every
 * persistent id naming the same view key gets the same storage.
 */
function storageView(root: TorchStorage, view: unknown, views: Map<string, TorchStorage>): TorchStorage {
  if (!Array.isArray(view) || view.length !== 3) fail('storage view metadata is not (key, offset, size)');
  const [viewKey, offset, size] = view as [unknown, number, number];
  const cached = views.get(keyString(viewKey));
  if (cached !== undefined) return cached;
  const inside = Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 0 && size >= 0;
  if (!inside || offset + size > root.numel) {
    const range = `[${describeValue(offset)}, +${describeValue(size)})`;
    fail(`storage view ${range} lies outside its ${root.numel}-element storage`);
  }
  const itemsize = RAW_DTYPE_ITEMSIZE[root.dtype];
  const bytes = root.bytes!.subarray(offset * itemsize, (offset + size) * itemsize);
  const storage = new TorchStorage(root.dtype, size, bytes);
  views.set(keyString(viewKey), storage);
  return storage;
}

/**
 * Reads a `torch.save` file: the zip format (torch >= 1.6) or the legacy one, without running
 * any code from it.
 *
 * @param bytes - the whole file; tensors are views into it where their layout allows.
 * @returns the saved object; see {@link unpickleAt} for how Python values map to JS values
 * (dicts are `Map`s, tensors are {@link RawTensor}s).
 * @throws {@link CheckpointFormatError} for anything but a well-formed torch checkpoint of
 * allow-listed types (a whole pickled `nn.Module` is refused, for instance).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export async function readTorchCheckpoint(bytes: Uint8Array): Promise<unknown> {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return readZipCheckpoint(bytes);
  }
  if (isLegacyTorch(bytes)) return readLegacyCheckpoint(bytes);
  return fail('the bytes start with neither a zip header (PK\\x03\\x04) nor the legacy torch magic number');
}
