import { CheckpointFormatError } from '../errors/index.js';
import type { ProbeTask } from './labels.js';

// The JSON plumbing of the estimators: every format has a kind and version tag, the
// hyperparameters, the label space and the provenance (written by `Estimator.jsonOf`).

/** @internal Throws a CheckpointFormatError about the JSON of estimator `kind`. */
export function failJSON(kind: string, what: string): never {
  throw new CheckpointFormatError(`Not a valid ${kind} JSON: ${what}. Pass what toJSON() returned.`);
}

/**
 * @internal Reads the JSON of an estimator (the object or its text) and checks its kind and
 * version tag and that hyperparameters and provenance are objects.
 */
export function readEstimatorJSON(kind: string, version: number, json: unknown): Record<string, unknown> {
  let j = json;
  if (typeof json === 'string') {
    try {
      j = JSON.parse(json);
    } catch (e) {
      throw new CheckpointFormatError(`Not a valid ${kind} JSON: the text does not parse (${(e as Error).message}).`, { cause: e });
    }
  }
  if (typeof j !== 'object' || j === null) failJSON(kind, 'expected an object');
  const o = j as Record<string, unknown>;
  if (o.kind !== kind) failJSON(kind, `kind is ${JSON.stringify(o.kind)}, expected "${kind}"`);
  if (o.version !== version) {
    failJSON(kind, `version ${JSON.stringify(o.version)} is not supported (this dvme reads version ${version}); upgrade dvme`);
  }
  if (typeof o.hyperparameters !== 'object' || o.hyperparameters === null) failJSON(kind, 'hyperparameters missing');
  if (typeof o.provenance !== 'object' || o.provenance === null) failJSON(kind, 'provenance missing');
  return o;
}

/**
 * @internal Reads the label space of estimator JSON: at least two distinct finite classes
 * (exactly two for binary), or a positive label count for multilabel.
 */
export function readLabelSpace(kind: string, task: ProbeTask, json: Record<string, unknown>): { classes: number[] | undefined; numLabels: number | undefined } {
  if (task === 'multilabel') {
    const n = json.numLabels;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) failJSON(kind, 'numLabels must be a positive integer');
    return { classes: undefined, numLabels: n };
  }
  const v = json.classes;
  if (!Array.isArray(v) || v.length < 2 || !v.every((c) => typeof c === 'number' && Number.isFinite(c)) || new Set(v).size !== v.length) {
    failJSON(kind, 'classes must list at least two distinct finite labels');
  }
  if (task === 'binary' && v.length !== 2) failJSON(kind, 'a binary estimator has exactly two classes');
  return { classes: [...(v as number[])], numLabels: undefined };
}
