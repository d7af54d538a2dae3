import { InvalidArgumentError } from '../errors/index.js';

/** @internal Which slice of the dataset this process embeds, and where the index came from. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
  readonly from: string;
}

/** Environment variables batch engines set to a task's index, tried in this order. */
export const SHARD_ENV_VARS = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID'] as const;

function int(what: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`${what} must be an integer >= ${min}; received ${JSON.stringify(text)}.`);
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}; received ${JSON.stringify(text)}.`);
  return v;
}

/**
 * @internal The shard of `--shard i/n`, or of `--shards n` with the index from the environment:
 * `--shard-from-env VAR`, else `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs), else
 * `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`, so arrays numbered from 1 work).
 * `--shard env/n` is the same as `--shards n`.
 */
export function resolveShard(
  shard: string | undefined,
  shards: string | undefined,
  fromEnv: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ShardSpec | undefined {
  let countText = shards;
  if (shard !== undefined) {
    const m = /^\s*(\d+|env)\s*\/\s*(\d+)\s*$/.exec(shard);
    if (!m) throw new InvalidArgumentError(`--shard must be <index>/<count> with 0 <= index < count, e.g. --shard 0/8; received ${JSON.stringify(shard)}.`);
    if (shards !== undefined) throw new InvalidArgumentError('--shard and --shards were both given; use --shard i/n, or --shards n with the index from the environment.');
    if (m[1] !== 'env') {
      const count = int('--shard count', m[2] as string, 1);
      const index = int('--shard index', m[1] as string, 0);
      if (index >= count) throw new InvalidArgumentError(`--shard ${shard}: the index must be below the count (shards are numbered from 0).`);
      return { index, count, from: '--shard' };
    }
    countText = m[2];
  }
  if (countText === undefined) {
    if (fromEnv !== undefined) throw new InvalidArgumentError(`--shard-from-env ${fromEnv} needs --shards <n> (how many shards the job has).`);
    return undefined;
  }
  const count = int('--shards', countText, 1);
  const names = fromEnv !== undefined ? [fromEnv] : SHARD_ENV_VARS;
  const name = names.find((n) => env[n] !== undefined && env[n] !== '');
  if (name === undefined) {
    throw new InvalidArgumentError(
      `--shards ${count} takes the shard index from the environment, but ${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} not set. ` +
        'Run it as a Kubernetes Indexed Job or a SLURM array task, pass --shard-from-env <VAR>, or give --shard <i>/<n>.',
    );
  }
  let index = int(name, env[name] as string, 0);
  if (name === 'SLURM_ARRAY_TASK_ID' && env.SLURM_ARRAY_TASK_MIN) index -= int('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN, 0);
  if (index < 0 || index >= count) {
    throw new InvalidArgumentError(`${name}=${env[name]} gives shard ${index}, outside 0..${count - 1} of --shards ${count}. Make the job's indices 0..${count - 1} (or set SLURM_ARRAY_TASK_MIN).`);
  }
  return { index, count, from: name };
}

/** @internal The folder of shard `index` of `count` under `--out`: `shard-00003-of-00008`. */
export function shardFolder(index: number, count: number): string {
  return `shard-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
}
