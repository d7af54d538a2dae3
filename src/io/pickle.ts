import { CheckpointFormatError } from '../errors/index.js';
import { ByteReader } from './byte-reader.js';
import { ARGUMENT_KIND, OP } from './pickle-opcodes.js';
import { PickleGlobal, applyBuild, narrow, resolveGlobal } from './pickle-globals.js';
import type { MaterialiseBudget } from './torch-tensor.js';

/**
 * Options of {@link unpickle}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface UnpickleOptions {
  /** Where the pickle starts in `bytes`. @defaultValue 0 */
  offset?: number;
  /** Resolves PERSID / BINPERSID ids (torch storages); without it those opcodes are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Bytes that non-contiguous tensors may copy in total.
   * @defaultValue twice the input length plus 64 MiB
   */
  materialiseBudget?: number;
}

/**
 * What {@link unpickleAt} returns: the value and the offset just past the STOP opcode.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface UnpickleResult {
  value: unknown;
  end: number;
}

/** Python ints this long (in bytes) are not in any checkpoint; refusing them bounds BigInt work. */
const MAX_LONG_BYTES = 1024;

const utf8 = new TextDecoder('utf-8');

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid pickle: ${detail}. The file is damaged, truncated, or was not written by torch.save ` +
      'or numpy; download or export it again.',
  );
}

/** Bytes as a string of the same code units (Python's latin-1), for text opcode arguments. */
function latin1(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) out += String.fromCharCode(...b.subarray(i, i + 8192));
  return out;
}

/** Python's two's-complement little-endian LONG1/LONG4 payload. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  if (b.length > MAX_LONG_BYTES) fail(`a ${b.length}-byte integer (at most ${MAX_LONG_BYTES} allowed)`);
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) n -= 1n << BigInt(8 * b.length);
  return narrow(n);
}

function decimal(text: string, what: string): number | bigint {
  const t = text.trim().replace(/L$/, '');
  if (!/^[+-]?\d+$/.test(t) || t.length > MAX_LONG_BYTES) fail(`${what} "${text.slice(0, 40)}" is not an integer`);
  return narrow(BigInt(t));
}

/** Protocol 0 FLOAT: Python's `repr` of a float, including inf and nan. */
function parseFloatArg(text: string): number {
  const t = text.trim();
  const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
  if (Object.hasOwn(special, t)) return special[t];
  const value = Number(t);
  return t !== '' && !Number.isNaN(value) ? value : fail(`FLOAT "${t.slice(0, 40)}" is not a number`);
}

function memoKey(n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`memo index ${String(n)}`);
  return n;
}

/** Python `repr` of a byte string (protocol 0 STRING), quotes and escapes included. */
function unquote(raw: string): string {
  const q = raw[0];
  if (raw.length < 2 || (q !== "'" && q !== '"') || raw[raw.length - 1] !== q) fail('STRING argument is not quoted');
  // The escapes spell bytes; torch.load decodes Python 2 byte strings as UTF-8, and so do we.
  const text = unescape(raw.slice(1, -1), false);
  return utf8.decode(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
}

/** Undoes Python's backslash escapes; `unicode` also accepts \u and \U (raw-unicode-escape). */
function unescape(s: string, unicode: boolean): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (m, e: string) => {
    if (e[0] === 'x' && !unicode) return String.fromCharCode(parseInt(e.slice(1), 16));
    if ((e[0] === 'u' || e[0] === 'U') && unicode && e.length > 1) {
      const cp = parseInt(e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : fail(`escape \\${e} is not a code point`);
    }
    if (unicode) return m;
    return simple[e] ?? m;
  });
}

/** Reads the argument that follows opcode `op`, refusing opcodes outside the supported set. */
function readArgument(r: ByteReader, op: number): unknown {
  const kind = ARGUMENT_KIND.get(op);
  if (kind === undefined) {
    fail(`unsupported opcode 0x${op.toString(16)} at offset ${r.pos - 1}`);
  }
  switch (kind) {
    case 'u8': return r.u8('argument');
    case 'u16': return r.u16('argument');
    case 'i32': return r.i32('argument');
    case 'u32': return r.u32('argument');
    case 'f64': return r.f64be('argument');
    case 'u64': return r.u64('frame length');
    case 'b8': return r.take(r.u8('length'), 'data');
    case 'b32': return r.take(r.i32('length'), 'data');
    case 'b64': return r.take(r.u64('length'), 'data');
    case 'line': return latin1(r.line('text argument'));
    case 'line2': return [latin1(r.line('module name')), latin1(r.line('global name'))];
    case 'none': return undefined;
  }
}

/**
 * Unpickles the value that starts at `options.offset`, with no code execution: only the
 * opcodes torch.save and numpy produce (protocols 0 to 5) and only allow-listed globals.
 *
 * @remarks
 * Since 0.1.0. Python values map to: None -> `null`, bool, int -> `number` (a `bigint` beyond
 * 2^53), float -> `number`, str -> `string`, bytes -> `Uint8Array`, tuple -> frozen array,
 * list -> array, dict and OrderedDict -> `Map`, set -> `Set`, torch tensors and parameters ->
 * {@link RawTensor}, `argparse.Namespace` -> a prototype-less object, numpy scalars ->
 * `number`, `torch.Size` -> frozen array. Any other global throws.
 *
 * @throws {@link CheckpointFormatError} for a refused global, an unsupported opcode, or bytes
 * that are not a well-formed pickle.
 * @internal
 */
export function unpickleAt(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const r = new ByteReader(bytes, 'pickle', options.offset ?? 0);
  const budget: MaterialiseBudget = { remaining: options.materialiseBudget ?? 2 * bytes.length + 2 ** 26 };
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  // Items below the innermost MARK are out of reach, as with Python's metastack.
  const floor = (): number => marks.at(-1) ?? 0;
  const pop = (): unknown => (stack.length > floor() ? stack.pop() : fail('pop from an empty stack'));
  const top = (): unknown => (stack.length > floor() ? stack[stack.length - 1] : fail('read from an empty stack'));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK before a multi-item opcode');
    return stack.splice(m);
  };
  const listTarget = (): unknown[] => {
    const list = top();
    return Array.isArray(list) && !Object.isFrozen(list) ? list : fail('APPEND to something that is not a list');
  };
  const setItems = (items: unknown[]): void => {
    const dict = top();
    if (!(dict instanceof Map) || items.length % 2 !== 0) fail('SETITEM(S) to something that is not a dict');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const addItems = (items: unknown[]): void => {
    const set = top();
    if (!(set instanceof Set) || Object.isFrozen(set)) fail('ADDITEMS to something that is not a set');
    for (const v of items) set.add(v);
  };
  const callable = (f: unknown, args: unknown, opcode: string): PickleGlobal => {
    if (!(f instanceof PickleGlobal) || !Array.isArray(args)) fail(`${opcode} of a non-callable (${typeof f})`);
    return f;
  };
  const reduce = (f: unknown, args: unknown): unknown => {
    const call = callable(f, args, 'REDUCE').behaviour.call;
    return call ? call(args as unknown[], budget) : fail(`${(f as PickleGlobal).qualifiedName} cannot be called`);
  };
  const newObject = (cls: unknown, args: unknown, kwargs: unknown = new Map()): unknown => {
    const construct = callable(cls, args, 'NEWOBJ').behaviour.construct;
    if (!construct) fail(`${(cls as PickleGlobal).qualifiedName} cannot be instantiated`);
    if (!(kwargs instanceof Map)) fail('NEWOBJ_EX keyword arguments are not a dict');
    return construct(args as unknown[], kwargs);
  };
  const persistent = (pid: unknown): unknown =>
    options.persistentLoad ? options.persistentLoad(pid) : fail('persistent id found but no storages to resolve it');

  for (;;) {
    const op = r.u8('opcode');
    const arg = readArgument(r, op);
    switch (op) {
      case OP.PROTO: if ((arg as number) > 5) fail(`protocol ${String(arg)} (at most 5 supported)`); break;
      case OP.FRAME: break; // Framing only groups bytes; the opcodes inside read as usual.
      case OP.STOP:
        if (stack.length !== 1 || marks.length > 0) fail('STOP with a malformed stack');
        return { value: stack[0], end: r.pos };
      case OP.MARK: marks.push(stack.length); break;
      case OP.POP: if (stack.length > floor()) stack.pop(); else popMark(); break;
      case OP.POP_MARK: popMark(); break;
      case OP.DUP: stack.push(top()); break;
      case OP.NONE: stack.push(null); break;
      case OP.NEWTRUE: stack.push(true); break;
      case OP.NEWFALSE: stack.push(false); break;
      case OP.INT: stack.push(arg === '01' ? true : arg === '00' ? false : decimal(arg as string, 'INT')); break;
      case OP.BININT: case OP.BININT1: case OP.BININT2: stack.push(arg); break;
      case OP.LONG: stack.push(decimal(arg as string, 'LONG')); break;
      case OP.LONG1: case OP.LONG4: stack.push(decodeLong(arg as Uint8Array)); break;
      case OP.FLOAT: stack.push(parseFloatArg(arg as string)); break;
      case OP.BINFLOAT: stack.push(arg); break;
      case OP.STRING: stack.push(unquote((arg as string).trim())); break;
      case OP.UNICODE: stack.push(unescape(arg as string, true)); break;
      case OP.BINSTRING: case OP.SHORT_BINSTRING: // Python 2 byte strings: decoded as torch.load does
      case OP.BINUNICODE: case OP.SHORT_BINUNICODE: case OP.BINUNICODE8:
        stack.push(utf8.decode(arg as Uint8Array));
        break;
      case OP.BINBYTES: case OP.SHORT_BINBYTES: case OP.BINBYTES8: case OP.BYTEARRAY8:
        stack.push(new Uint8Array(arg as Uint8Array)); // a copy, so the result outlives the input
        break;
      case OP.EMPTY_TUPLE: stack.push(Object.freeze([])); break;
      case OP.TUPLE: stack.push(Object.freeze(popMark())); break;
      case OP.TUPLE1: stack.push(Object.freeze([pop()])); break;
      case OP.TUPLE2: { const b = pop(); stack.push(Object.freeze([pop(), b])); break; }
      case OP.TUPLE3: { const c = pop(); const b = pop(); stack.push(Object.freeze([pop(), b, c])); break; }
      case OP.EMPTY_LIST: stack.push([]); break;
      case OP.LIST: stack.push(popMark()); break;
      case OP.APPEND: { const v = pop(); listTarget().push(v); break; }
      case OP.APPENDS: {
        const items = popMark();
        const list = listTarget();
        for (const v of items) list.push(v); // not push(...items): a long list would overflow the stack
        break;
      }
      case OP.EMPTY_DICT: stack.push(new Map()); break;
      case OP.DICT: { const items = popMark(); stack.push(new Map()); setItems(items); break; }
      case OP.SETITEM: { const v = pop(); const k = pop(); setItems([k, v]); break; }
      case OP.SETITEMS: setItems(popMark()); break;
      case OP.EMPTY_SET: stack.push(new Set()); break;
      case OP.ADDITEMS: addItems(popMark()); break;
      case OP.FROZENSET: stack.push(Object.freeze(new Set(popMark()))); break;
      case OP.GET: case OP.BINGET: case OP.LONG_BINGET: {
        const key = op === OP.GET ? memoKey(decimal(arg as string, 'GET')) : (arg as number);
        if (!memo.has(key)) fail(`memo entry ${key} read before it was written`);
        stack.push(memo.get(key));
        break;
      }
      case OP.PUT: case OP.BINPUT: case OP.LONG_BINPUT: {
        const key = op === OP.PUT ? memoKey(decimal(arg as string, 'PUT')) : (arg as number);
        memo.set(key, top());
        break;
      }
      case OP.MEMOIZE: memo.set(memo.size, top()); break;
      case OP.GLOBAL: { const [m, n] = arg as [string, string]; stack.push(resolveGlobal(m, n)); break; }
      case OP.STACK_GLOBAL: {
        const n = pop(); const m = pop();
        if (typeof m !== 'string' || typeof n !== 'string') fail('STACK_GLOBAL names are not strings');
        stack.push(resolveGlobal(m, n));
        break;
      }
      case OP.REDUCE: { const args = pop(); stack.push(reduce(pop(), args)); break; }
      case OP.NEWOBJ: { const args = pop(); stack.push(newObject(pop(), args)); break; }
      case OP.NEWOBJ_EX: { const kw = pop(); const args = pop(); stack.push(newObject(pop(), args, kw)); break; }
      case OP.BUILD: { const state = pop(); applyBuild(top(), state); break; }
      case OP.PERSID: stack.push(persistent(arg)); break;
      case OP.BINPERSID: stack.push(persistent(pop())); break;
      default: fail(`unsupported opcode 0x${op.toString(16)}`);
    }
  }
}

/**
 * Unpickles one value; shorthand for `unpickleAt(bytes, options).value`.
 *
 * @remarks Since 0.1.0. See {@link unpickleAt} for the value mapping and the allow-list.
 * @internal
 */
export function unpickle(bytes: Uint8Array, options?: UnpickleOptions): unknown {
  return unpickleAt(bytes, options).value;
}
