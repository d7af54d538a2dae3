import { CheckpointFormatError } from '../errors/index.js';
import { describeValue } from '../validation/describe-value.js';
import { float16BitsToNumber } from './half-float.js';
import { isRawTensor, type RawDtype } from './raw-tensor.js';
import { rebuildTensor, type MaterialiseBudget } from './torch-tensor.js';

/**
 * A pickle global that passed the allow-list. It can only run the inert rebuilder written here
 * (never anything named by the file), and only when the pickle calls it.
 *
 * @internal
 */
export class PickleGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly behaviour: {
      /** REDUCE: `f(*args)`. */
      call?: (args: readonly unknown[], budget: MaterialiseBudget) => unknown;
      /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`. */
      construct?: (args: readonly unknown[], kwargs: Map<unknown, unknown>) => unknown;
      /** Element type, for torch storage classes named in persistent ids. */
      storageDtype?: RawDtype;
    },
  ) {}
}

/** What `numpy.dtype(...)` rebuilds to: enough to decode a numpy scalar. */
class NumpyDtype {
  byteorder = '=';
  constructor(readonly spec: string) {}
}

/** Objects made by `argparse.Namespace`, so BUILD may set their attributes and nothing else's. */
const namespaces = new WeakSet<object>();

function bad(what: string, detail: string): never {
  throw new CheckpointFormatError(
    `Invalid pickle: ${what} ${detail}. The checkpoint is damaged or was not written by ` +
      'torch.save; download or export it again.',
  );
}

/** An attribute bag with no prototype, so keys like `__proto__` stay plain data. */
function makeNamespace(attributes: Map<unknown, unknown>): Record<string, unknown> {
  const ns = Object.create(null) as Record<string, unknown>;
  namespaces.add(ns);
  setAttributes(ns, attributes);
  return ns;
}

function setAttributes(target: Record<string, unknown>, attributes: unknown): void {
  if (!(attributes instanceof Map)) bad('object state', 'is not a dict');
  for (const [k, v] of attributes) {
    if (typeof k !== 'string') bad('attribute name', `is ${typeof k}, not a string`);
    Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
}

function iterableArg(args: readonly unknown[], what: string): readonly unknown[] {
  const items = args[0] ?? [];
  if (Array.isArray(items)) return items;
  if (items instanceof Set) return [...items];
  return bad(`${what} argument`, 'is not a list, tuple or set');
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) bad('_codecs.encode latin1 input', `has character U+${c.toString(16)}`);
    out[i] = c;
  }
  return out;
}

/** Decodes the raw bytes of a numpy scalar (`numpy.core.multiarray.scalar(dtype, bytes)`). */
function numpyScalar(args: readonly unknown[]): number | bigint | boolean {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDtype) || !(raw instanceof Uint8Array)) {
    return bad('numpy scalar', 'does not have a (dtype, bytes) argument pair');
  }
  const kind = dtype.spec.replace(/^[<>=|]/, '');
  const little = dtype.byteorder !== '>';
  const sizes: Record<string, number> = {
    f8: 8, f4: 4, f2: 2, i8: 8, u8: 8, i4: 4, u4: 4, i2: 2, u2: 2, i1: 1, u1: 1, b1: 1,
  };
  if (!Object.hasOwn(sizes, kind) || raw.length !== sizes[kind]) {
    const supported = Object.keys(sizes).join(', ');
    return bad('numpy scalar', `has dtype "${dtype.spec}" with ${raw.length} bytes; supported: ${supported}`);
  }
  const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
  switch (kind) {
    case 'f8': return v.getFloat64(0, little);
    case 'f4': return v.getFloat32(0, little);
    case 'f2': return float16BitsToNumber(v.getUint16(0, little));
    case 'i8': return narrow(v.getBigInt64(0, little));
    case 'u8': return narrow(v.getBigUint64(0, little));
    case 'i4': return v.getInt32(0, little);
    case 'u4': return v.getUint32(0, little);
    case 'i2': return v.getInt16(0, little);
    case 'u2': return v.getUint16(0, little);
    case 'i1': return v.getInt8(0);
    case 'u1': return v.getUint8(0);
    default: return v.getUint8(0) !== 0;
  }
}

/**
 * A Python int as a number when exact, a bigint otherwise.
 *
 * @internal
 */
export function narrow(n: bigint): number | bigint {
  return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
}

/** `_codecs.encode(text, encoding)`: how protocols 0-2 carry Python 3 bytes. */
function encodeText([text, encoding]: readonly unknown[]): Uint8Array {
  if (typeof text !== 'string') return bad('_codecs.encode', 'was not given a string');
  if (encoding === 'latin1' || encoding === 'latin-1') return latin1Bytes(text);
  if (encoding === 'utf-8' || encoding === 'utf8') return new TextEncoder().encode(text);
  return bad('_codecs.encode', `names encoding ${describeValue(encoding)}; supported: latin1, utf-8`);
}

const STORAGE_DTYPES: Readonly<Record<string, RawDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

const tensorArg = (args: readonly unknown[], what: string): unknown =>
  isRawTensor(args[0]) ? args[0] : bad(what, 'was not given a tensor');

const rebuildV2 = new PickleGlobal('torch._utils._rebuild_tensor_v2', {
  call: (a, budget) => rebuildTensor(a[0], a[1], a[2], a[3], budget),
});
const toMap = (a: readonly unknown[]): Map<unknown, unknown> =>
  new Map(iterableArg(a, 'OrderedDict').map((pair) =>
    Array.isArray(pair) && pair.length === 2 ? [pair[0], pair[1]] : bad('OrderedDict item', 'is not a pair'),
  ));
const toSet = (a: readonly unknown[]): Set<unknown> => new Set(iterableArg(a, 'set'));
const namespace = new PickleGlobal('argparse.Namespace', { construct: (_a, kw) => makeNamespace(kw) });
/** A class that only ever appears as an argument (never called), such as a tensor subclass. */
const typeMarker = (name: string): PickleGlobal => new PickleGlobal(name, {});
const numpyScalarGlobal = new PickleGlobal('numpy.core.multiarray.scalar', { call: numpyScalar });

const ALLOWED = new Map<string, PickleGlobal>([
  ['collections.OrderedDict', new PickleGlobal('collections.OrderedDict', {
    call: toMap,
    construct: () => new Map(),
  })],
  ['builtins.set', new PickleGlobal('builtins.set', { call: toSet, construct: () => new Set() })],
  ['builtins.frozenset', new PickleGlobal('builtins.frozenset', { call: (a) => Object.freeze(toSet(a)) })],
  ['builtins.slice', new PickleGlobal('builtins.slice', {
    call: (a) => Object.freeze({ start: a[0] ?? null, stop: a[1] ?? null, step: a[2] ?? null }),
  })],
  ['torch._utils._rebuild_tensor_v2', rebuildV2],
  ['torch._utils._rebuild_tensor', new PickleGlobal('torch._utils._rebuild_tensor', {
    call: rebuildV2.behaviour.call,
  })],
  ['torch._utils._rebuild_parameter', new PickleGlobal('torch._utils._rebuild_parameter', {
    call: (a) => tensorArg(a, '_rebuild_parameter'),
  })],
  ['torch._utils._rebuild_parameter_with_state', new PickleGlobal('torch._utils._rebuild_parameter_with_state', {
    call: (a) => tensorArg(a, '_rebuild_parameter_with_state'),
  })],
  // Tensor subclasses pickle as _rebuild_from_type_v2(func, type, args, state): we rebuild the
  // plain tensor with `func` (itself allow-listed) and ignore the subclass.
  ['torch._tensor._rebuild_from_type_v2', new PickleGlobal('torch._tensor._rebuild_from_type_v2', {
    call: (a, budget) => {
      const [func, , args] = a;
      // Only the plain rebuilders: letting this one call itself would let a pickle recurse.
      if (
        !(func instanceof PickleGlobal) ||
        !func.qualifiedName.startsWith('torch._utils._rebuild_') ||
        !func.behaviour.call ||
        !Array.isArray(args)
      ) {
        return bad('_rebuild_from_type_v2', 'was not given an allowed rebuild function and its arguments');
      }
      return func.behaviour.call(args, budget);
    },
  })],
  ['torch.Tensor', typeMarker('torch.Tensor')],
  ['torch.nn.parameter.Parameter', typeMarker('torch.nn.parameter.Parameter')],
  ['torch.Size', new PickleGlobal('torch.Size', { call: (a) => Object.freeze([...iterableArg(a, 'torch.Size')]) })],
  ['argparse.Namespace', namespace],
  ['numpy.core.multiarray.scalar', numpyScalarGlobal],
  ['numpy._core.multiarray.scalar', numpyScalarGlobal],
  ['numpy.dtype', new PickleGlobal('numpy.dtype', {
    call: (a) => (typeof a[0] === 'string' ? new NumpyDtype(a[0]) : bad('numpy.dtype', 'was not given a type string')),
  })],
  ['_codecs.encode', new PickleGlobal('_codecs.encode', { call: encodeText })],
  // Protocols 0-2 pickle b'' as bytes() and, in Python 2 files, bytes as bytes(str, encoding).
  ['builtins.bytes', new PickleGlobal('builtins.bytes', {
    call: (a) => (a.length === 0 ? new Uint8Array(0) : encodeText(a)),
  })],
]);
// Storage classes appear in persistent ids; pre-0.4 GPU checkpoints name the torch.cuda ones.
for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
  for (const module of ['torch', 'torch.cuda']) {
    ALLOWED.set(`${module}.${name}`, new PickleGlobal(`${module}.${name}`, { storageDtype: dtype }));
  }
}
ALLOWED.set('torch.storage.UntypedStorage', ALLOWED.get('torch.UntypedStorage')!);

/**
 * The allow-listed global `module.name`, or a {@link CheckpointFormatError} that refuses it.
 *
 * @internal
 */
export function resolveGlobal(module: string, name: string): PickleGlobal {
  // Python 2 checkpoints spell the builtins module `__builtin__`.
  const qualified = `${module === '__builtin__' ? 'builtins' : module}.${name}`;
  const found = ALLOWED.get(qualified);
  if (found !== undefined) return found;
  throw new CheckpointFormatError(
    `Refused to load pickle global "${qualified.slice(0, 200)}": loading it could run code, and ` +
      'dvme only rebuilds tensors, dicts and a short allow-list of inert types ' +
      '(collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage, argparse.Namespace, ' +
      'numpy scalars, ...). If the file holds a whole pickled model (torch.save(model)), re-save ' +
      'its weights in Python with torch.save(model.state_dict(), path) or export .safetensors.',
  );
}

/**
 * Applies a pickle BUILD (`obj.__setstate__(state)`) to one of the objects the allow-list made.
 * Dict attributes such as torch's `_metadata` on a state dict are dropped on purpose: they are
 * not weights, and keeping them would mix them into the dict's keys.
 *
 * @internal
 */
export function applyBuild(target: unknown, state: unknown): void {
  if (target instanceof NumpyDtype) {
    if (Array.isArray(state) && typeof state[1] === 'string') target.byteorder = state[1];
    return;
  }
  if (typeof target === 'object' && target !== null && namespaces.has(target)) {
    // Python allows (dict_state, slot_state); both are attribute dicts.
    const parts = Array.isArray(state) ? state.filter((s) => s !== null) : [state];
    for (const part of parts) setAttributes(target as Record<string, unknown>, part);
    return;
  }
  if (target instanceof Map || isRawTensor(target)) return;
  bad('BUILD', `targets a ${target === null ? 'None' : typeof target} that takes no state`);
}
