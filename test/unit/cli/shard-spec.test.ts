import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { resolveShard, shardFolder } from '../../../src/cli/shard-spec.js';

describe('resolveShard', () => {
  it('reads --shard i/n, and the index from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or --shard-from-env', () => {
    expect(resolveShard('2/5', undefined, undefined, {})).toEqual({ index: 2, count: 5, from: '--shard' });
    expect(resolveShard(undefined, undefined, undefined, { JOB_COMPLETION_INDEX: '3' })).toBeUndefined();
    expect(resolveShard(undefined, '4', undefined, { JOB_COMPLETION_INDEX: '3', SLURM_ARRAY_TASK_ID: '1' })).toEqual({ index: 3, count: 4, from: 'JOB_COMPLETION_INDEX' });
    expect(resolveShard(undefined, '4', undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 3, count: 4, from: 'SLURM_ARRAY_TASK_ID' });
    expect(resolveShard('env/4', undefined, 'AWS_BATCH_JOB_ARRAY_INDEX', { AWS_BATCH_JOB_ARRAY_INDEX: '0', JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 0, count: 4, from: 'AWS_BATCH_JOB_ARRAY_INDEX' });
  });

  it.each([
    ['5/5', undefined, undefined, {}, /below the count/],
    ['1-3', undefined, undefined, {}, /<index>\/<count>/],
    ['1/3', '3', undefined, {}, /both given/],
    [undefined, '4', undefined, {}, /not set/],
    [undefined, '4', undefined, { JOB_COMPLETION_INDEX: '4' }, /outside 0..3/],
    [undefined, '4', undefined, { SLURM_ARRAY_TASK_ID: 'x' }, /integer/],
    [undefined, undefined, 'MY_INDEX', { MY_INDEX: '1' }, /needs --shards/],
  ])('refuses --shard %s --shards %s --shard-from-env %s with %j', (shard, shards, from, env, message) => {
    expect(() => resolveShard(shard, shards, from, env as Record<string, string>)).toThrow(InvalidArgumentError);
    expect(() => resolveShard(shard, shards, from, env as Record<string, string>)).toThrow(message);
  });

  it('names shard folders so that they sort in index order', () => {
    expect(shardFolder(3, 16)).toBe('shard-00003-of-00016');
    expect([shardFolder(10, 12), shardFolder(9, 12)].sort()).toEqual([shardFolder(9, 12), shardFolder(10, 12)]);
  });
});
