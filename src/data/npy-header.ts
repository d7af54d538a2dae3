import { CheckpointFormatError } from '../errors/index.js';

/**
 * The `.npy` header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
 *
 * @internal
 */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid .npy header: ${detail}. The file is damaged or not written by numpy.save; ` +
      'save the array again with numpy.save.',
  );
}

type Literal = string | number | boolean | null | Literal[] | Map<string, Literal>;

/**
 * Parses the Python literal numpy writes (numpy itself uses `ast.literal_eval`): dicts,
 * tuples, lists, strings, integers, True/False/None. Nothing else is needed for a header, and
 * a depth limit keeps hostile nesting from exhausting the JS stack.
 */
function parseLiteral(text: string): Literal {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): Literal => {
    if (depth > 8) fail('the header nests too deeply');
    skip();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') return sequence(c, depth);
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('a string in the header is not closed');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^(?:[+-]?\d+L?|True|False|None)/.exec(text.slice(i, i + 32));
    if (word === null) fail(`unexpected text "${text.slice(i, i + 20)}"`);
    i += word[0].length;
    if (word[0] === 'True' || word[0] === 'False') return word[0] === 'True';
    if (word[0] === 'None') return null;
    const n = Number(word[0].replace('L', ''));
    return Number.isSafeInteger(n) ? n : fail(`integer ${word[0]} is too large`);
  };
  const sequence = (open: string, depth: number): Literal => {
    const close = open === '{' ? '}' : open === '(' ? ')' : ']';
    const items: Literal[] = [];
    const dict = new Map<string, Literal>();
    i++;
    for (;;) {
      skip();
      if (text[i] === close) break;
      const item = value(depth + 1);
      if (open === '{') {
        skip();
        if (text[i++] !== ':' || typeof item !== 'string') fail('a header dict entry is not "key: value"');
        dict.set(item, value(depth + 1));
      } else {
        items.push(item);
      }
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected "," or "${close}" at "${text.slice(i, i + 20)}"`);
    }
    i++;
    return open === '{' ? dict : items;
  };
  const result = value(0);
  skip();
  if (i !== text.length) fail('text follows the header dict');
  return result;
}

/**
 * Reads the header dict text of a `.npy` file.
 *
 * @internal
 */
export function parseNpyHeader(text: string): NpyHeader {
  const dict = parseLiteral(text);
  if (!(dict instanceof Map)) fail('the header is not a dict');
  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') {
    fail(`descr is ${JSON.stringify(descr)}; structured dtypes are not supported, only plain numeric ones`);
  }
  if (typeof fortranOrder !== 'boolean') fail('fortran_order is not True or False');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && d >= 0)) {
    fail(`shape ${JSON.stringify(shape)} is not a tuple of non-negative integers`);
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

/** numpy pads the header so the last axis can grow in place (`GROWTH_AXIS_MAX_DIGITS`). */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy aligns the start of the data to 64 bytes. */
const ARRAY_ALIGN = 64;

/**
 * The header bytes numpy >= 1.23 writes for a C-order array, byte for byte: magic, version,
 * length, the dict with sorted keys, growth spaces, padding to 64 bytes and a newline.
 *
 * @internal
 */
export function encodeNpyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  // Version 1.0 stores the length in 2 bytes; 2.0 (4 bytes) only when it does not fit.
  const hlen = dict.length + 1;
  const v1Pad = ARRAY_ALIGN - ((10 + hlen) % ARRAY_ALIGN);
  const major = hlen + v1Pad > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  const out = new Uint8Array(prefix + hlen + pad);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, hlen + pad, true);
  else view.setUint32(8, hlen + pad, true);
  const text = dict + ' '.repeat(pad) + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}
