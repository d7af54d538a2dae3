/**
 * The pickle opcodes this reader accepts (protocols 0 to 5, as torch.save and numpy write them)
 * and how each one's argument is encoded. Code-running or out-of-band opcodes (INST, OBJ, EXT*,
 * NEXT_BUFFER, READONLY_BUFFER) are deliberately absent, so they fail as unsupported.
 *
 * @internal
 */
export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29,
  BINFLOAT: 0x47,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

/**
 * How an opcode's argument is encoded: fixed-size integers, a float, a length-prefixed blob
 * (`b8`/`b32`/`b64` give the length field's size), or newline-terminated text.
 *
 * @internal
 */
export type ArgumentKind =
  | 'none'
  | 'u8'
  | 'u16'
  | 'i32'
  | 'u32'
  | 'f64'
  | 'u64'
  | 'b8'
  | 'b32'
  | 'b64'
  | 'line'
  | 'line2';

/**
 * Argument encoding of every supported opcode; an opcode missing here is unsupported.
 *
 * @internal
 */
export const ARGUMENT_KIND: ReadonlyMap<number, ArgumentKind> = new Map<number, ArgumentKind>([
  [OP.PROTO, 'u8'], [OP.BININT1, 'u8'], [OP.BINGET, 'u8'], [OP.BINPUT, 'u8'],
  [OP.BININT2, 'u16'],
  [OP.BININT, 'i32'],
  [OP.LONG_BINGET, 'u32'], [OP.LONG_BINPUT, 'u32'],
  [OP.BINFLOAT, 'f64'],
  [OP.FRAME, 'u64'],
  [OP.SHORT_BINSTRING, 'b8'], [OP.SHORT_BINBYTES, 'b8'], [OP.SHORT_BINUNICODE, 'b8'], [OP.LONG1, 'b8'],
  [OP.BINSTRING, 'b32'], [OP.BINBYTES, 'b32'], [OP.BINUNICODE, 'b32'], [OP.LONG4, 'b32'],
  [OP.BINUNICODE8, 'b64'], [OP.BINBYTES8, 'b64'], [OP.BYTEARRAY8, 'b64'],
  [OP.INT, 'line'], [OP.LONG, 'line'], [OP.FLOAT, 'line'], [OP.STRING, 'line'], [OP.UNICODE, 'line'],
  [OP.GET, 'line'], [OP.PUT, 'line'], [OP.PERSID, 'line'],
  [OP.GLOBAL, 'line2'],
  [OP.MARK, 'none'], [OP.STOP, 'none'], [OP.POP, 'none'], [OP.POP_MARK, 'none'], [OP.DUP, 'none'],
  [OP.NONE, 'none'], [OP.BINPERSID, 'none'], [OP.REDUCE, 'none'], [OP.EMPTY_LIST, 'none'],
  [OP.APPEND, 'none'], [OP.BUILD, 'none'], [OP.DICT, 'none'], [OP.APPENDS, 'none'],
  [OP.LIST, 'none'], [OP.SETITEM, 'none'], [OP.TUPLE, 'none'], [OP.SETITEMS, 'none'],
  [OP.EMPTY_DICT, 'none'], [OP.EMPTY_TUPLE, 'none'], [OP.NEWOBJ, 'none'], [OP.TUPLE1, 'none'],
  [OP.TUPLE2, 'none'], [OP.TUPLE3, 'none'], [OP.NEWTRUE, 'none'], [OP.NEWFALSE, 'none'],
  [OP.EMPTY_SET, 'none'], [OP.ADDITEMS, 'none'], [OP.FROZENSET, 'none'], [OP.NEWOBJ_EX, 'none'],
  [OP.STACK_GLOBAL, 'none'], [OP.MEMOIZE, 'none'],
]);
