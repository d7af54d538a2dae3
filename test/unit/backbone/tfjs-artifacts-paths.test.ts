import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { CheckpointFormatError, InvalidArgumentError } from '../../../src/errors/index.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { artifactsOf, tinyLayersModel, writeModelFolder } from './tfjs-fixtures.js';

const norm = { mean: [0, 0, 0], std: [1, 1, 1], embeddingLayer: 'pool' } as const;
const pixels = { data: Uint8Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i * 53) % 256), shape: [2, 8, 8, 3] };
let folder: string;
let empty: string;
let noShard: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
  const model = tinyLayersModel();
  folder = writeModelFolder(await artifactsOf(model));
  noShard = writeModelFolder(await artifactsOf(model));
  rmSync(join(noShard, 'group1-shard2of2.bin'));
  model.dispose();
  empty = mkdtempSync(join(tmpdir(), 'dvme-empty-'));
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
  rmSync(noShard, { recursive: true, force: true });
});

describe('Backbone.fromTfjs with local paths', () => {
  it('accepts the model folder (with or without a trailing slash) as well as its model.json', async () => {
    const embed = async (source: string) => {
      const b = await Backbone.fromTfjs(source, norm);
      const e = await b.embed(pixels, { as: 'array' });
      b.dispose();
      return { id: b.config.id, data: Array.from(e.data) };
    };
    const file = await embed(join(folder, 'model.json'));
    expect(await embed(folder)).toEqual(file);
    expect(await embed(`${folder}/`)).toEqual(file);
  });

  it('says which path is missing and how to fix it, as an InvalidArgumentError (not a raw ENOENT / EISDIR)', async () => {
    const missing = join(folder, 'nope', 'model.json');
    const error = await Backbone.fromTfjs(missing, norm).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Backbone.fromTfjs: ${JSON.stringify(missing)} cannot be read: there is no such file or folder (ENOENT). ` +
        'Pass the path of a tfjs model.json, or of the folder holding it.',
    );
    const noModel = await Backbone.fromTfjs(empty, norm).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(noModel)).toBe(true);
    expect((noModel as Error).message).toBe(
      `Backbone.fromTfjs: ${JSON.stringify(empty)} is a folder without a model.json. ` +
        'Pass the path of a tfjs model.json, or of the folder holding it.',
    );
    const shard = await Backbone.fromTfjs(noShard, norm).catch((e: unknown) => e);
    expect(CheckpointFormatError.is(shard)).toBe(true);
    expect((shard as Error).message).toBe(
      `Backbone.fromTfjs: ${noShard}/model.json lists the weight file "group1-shard2of2.bin", but ${JSON.stringify(join(noShard, 'group1-shard2of2.bin'))} ` +
        'cannot be read: there is no such file or folder (ENOENT). The model folder is incomplete: copy or download it again.',
    );
    // A relative path also says where it was looked for.
    const relative = await Backbone.fromTfjs('no-such-folder/model.json', norm).catch((e: unknown) => e);
    expect((relative as Error).message).toContain(`(ENOENT; relative to the working folder ${process.cwd()})`);
  });
});
