import { CheckpointFormatError } from '../errors/index.js';
import { flattenTensors } from '../io/flatten-tensors.js';
import { toFloat32, type RawDtype, type RawTensor } from '../io/raw-tensor.js';
import { misfitError, stateDictMisfits, type TorchStateDictEntry, type TorchTensor } from './arch/load-weights.js';
import type { BackboneArchitecture } from './architectures.js';
import { quoteList } from './close-names.js';
import type { FromCheckpointOptions } from './from-checkpoint.js';
import { CHECKPOINT_HEAD_KEYS, detectKeyLayout, guessCheckpointKind, type KeyLayoutMatch } from './key-layouts.js';

const FLOAT_DTYPES: readonly RawDtype[] = ['float32', 'float16', 'bfloat16', 'float64'];

/** The tensors to search: all of them, or those under `checkpointKey`. */
function candidateTensors(owner: string, root: unknown, checkpointKey: string | undefined): Map<string, RawTensor> {
  const all = flattenTensors(root);
  if (checkpointKey === undefined) return all;
  const under = new Map([...all].filter(([k]) => k.startsWith(`${checkpointKey}.`)));
  if (under.size === 0) {
    const tops = [...new Set([...all.keys()].map((k) => k.split('.')[0]))].slice(0, 12);
    throw new CheckpointFormatError(
      `${owner}: checkpointKey ${JSON.stringify(checkpointKey)} holds no tensors. Top-level names in this checkpoint: ${quoteList(tops)}.`,
    );
  }
  return under;
}

function noMatchError(owner: string, arch: BackboneArchitecture, expected: readonly string[], keys: readonly string[]) {
  const kind = guessCheckpointKind(keys);
  return new CheckpointFormatError(
    `${owner}: no tensor of this checkpoint is a weight of ${arch.id} (expected keys such as ${quoteList(expected.slice(0, 3))}, ` +
      `under any prefix); its keys look like ${quoteList(keys.slice(0, 4))}${kind ? `, i.e. ${kind}` : ''}. ` +
      'Pick the architecture the checkpoint was trained with, or pass a custom config.',
  );
}

/** The residual block a key belongs to: an unexpected `layer3.6` or `blocks.12` betrays a deeper model. */
const blockOf = (k: string): string | undefined => /^(layer\d\.\d+|blocks\.\d+)\./.exec(k)?.[1];

function mismatchError(
  owner: string,
  arch: BackboneArchitecture,
  found: KeyLayoutMatch<unknown>,
  expected: readonly string[],
  missing: string[],
  unexpected: string[],
) {
  const list = (keys: string[]) => quoteList(keys.slice(0, 12)) + (keys.length > 12 ? ` and ${keys.length - 12} more` : '');
  const parts = [];
  if (missing.length > 0) parts.push(`${missing.length} missing (${list(missing)})`);
  if (unexpected.length > 0) parts.push(`${unexpected.length} unexpected (${list(unexpected)})`);
  const hints = [];
  const modelBlocks = new Set(expected.map(blockOf));
  const fileBlocks = new Set([...found.stateDict.keys()].map(blockOf));
  const extraBlock = unexpected.some((k) => blockOf(k) !== undefined && !modelBlocks.has(blockOf(k)));
  const absentBlock = missing.some((k) => blockOf(k) !== undefined && !fileBlocks.has(blockOf(k)));
  if (extraBlock || absentBlock) {
    hints.push(
      `Whole blocks are ${extraBlock ? 'extra' : 'absent'}: the checkpoint is of a ${extraBlock ? 'deeper' : 'shallower'} model ` +
        `than ${arch.id}; pick the matching architecture or a custom config.`,
    );
  }
  const alt = found.alternatives[0];
  if (alt) hints.push(`Another complete set of weights sits under '${alt}' (pass checkpointKey: '${alt.split('.')[0]}' to load it).`);
  return new CheckpointFormatError(
    `${owner}: the checkpoint's keys do not match ${arch.id}: ${parts.join('; ')}. They were read as ${found.description}. ` +
      `${hints.join(' ')}${hints.length ? ' ' : ''}If the weights sit elsewhere, pass checkpointKey (the dotted path of their dict); ` +
      `to load the ${found.matched} keys that match, pass { strict: false } (missing weights keep random initial values).`,
  );
}

/** @internal The weights of a checkpoint that fit an architecture, and what did not fit. */
export interface MatchedWeights {
  readonly found: KeyLayoutMatch<RawTensor>;
  /** The weights found, float32, under the architecture's keys. */
  readonly state: Map<string, TorchTensor>;
  readonly missing: string[];
  readonly unexpected: string[];
  readonly ignored: string[];
  readonly dtypes: RawDtype[];
}

/**
 * @internal Finds the weights of `spec` in a checkpoint (any layout, or under `checkpointKey`),
 * checks keys (under `strict`), element types and shapes, and converts them to float32.
 * Throws a {@link CheckpointFormatError} naming what does not fit.
 */
export function matchWeights(
  owner: string,
  arch: BackboneArchitecture,
  spec: readonly TorchStateDictEntry[],
  root: unknown,
  options: FromCheckpointOptions,
): MatchedWeights {
  const expected = spec.map((e) => e.key);
  const tensors = candidateTensors(owner, root, options.checkpointKey);
  const found = detectKeyLayout(tensors, expected, root);
  if (found.matched === 0) throw noMatchError(owner, arch, expected, [...tensors.keys()]);
  const expectedSet = new Set(expected);
  const missing = expected.filter((k) => !found.stateDict.has(k));
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const k of found.stateDict.keys()) {
    if (!expectedSet.has(k)) (CHECKPOINT_HEAD_KEYS.some((re) => re.test(k)) ? ignored : unexpected).push(k);
  }
  if ((options.strict ?? true) && (missing.length > 0 || unexpected.length > 0)) {
    throw mismatchError(owner, arch, found, expected, missing, unexpected);
  }
  const state = new Map<string, TorchTensor>();
  const dtypes = new Set<RawDtype>();
  for (const key of expected) {
    const raw = found.stateDict.get(key);
    if (raw === undefined) continue;
    if (!FLOAT_DTYPES.includes(raw.dtype)) {
      throw new CheckpointFormatError(
        `${owner}: weight '${found.prefix}${key}' is ${raw.dtype}; weights must be float32, float16, bfloat16 or float64 ` +
          '(quantised checkpoints are not supported: dequantise and save it again).',
      );
    }
    dtypes.add(raw.dtype);
    state.set(key, { shape: raw.shape, data: toFloat32(raw) });
  }
  const misfits = stateDictMisfits(spec, state);
  if (misfits.length > 0) {
    const e = misfitError(arch.id, misfits);
    throw new CheckpointFormatError(`${owner}: ${e.message} (read as ${found.description})`, { cause: e });
  }
  return { found, state, missing, unexpected, ignored, dtypes: [...dtypes] };
}

