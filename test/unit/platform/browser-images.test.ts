/**
 * `dvme/browser` teaching the core to read DOM images, tested in Node with stand-ins: the DOM
 * classes are stubbed globals whose objects carry their own RGBA pixels, and the stand-in 2D
 * canvas "draws" an image by keeping it and "reads back" those pixels. This tests the dispatch
 * (which objects are recognised, at which size, when they are read, what errors say) and the
 * canvas calls made; it does not test a real browser's drawing, colour management or premultiplied
 * alpha.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import '../../../src/browser.js';
import { Backbone } from '../../../src/backbone/backbone.js';
import type { DecodedImage, SingleImage } from '../../../src/image/images.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { openBrowserImage } from '../../../src/platform/browser/browser-images.js';
import { currentPlatform } from '../../../src/host/platform.js';

/** What every stand-in image holds: its natural size and pixels. */
class Pixels {
  constructor(readonly rgba: Uint8ClampedArray, readonly naturalW: number, readonly naturalH: number) {}
}

class FakeImageBitmap extends Pixels {
  get width() {
    return this.naturalW;
  }
  get height() {
    return this.naturalH;
  }
}
class FakeCanvas extends FakeImageBitmap {}
class FakeImage extends Pixels {
  complete = true;
  src = 'scan.png';
  currentSrc = 'https://example.org/scan.png';
  width = 300; // the displayed size, which embed must not use
  height = 200;
  get naturalWidth() {
    return this.complete ? this.naturalW : 0;
  }
  get naturalHeight() {
    return this.complete ? this.naturalH : 0;
  }
}
class FakeVideo extends Pixels {
  readyState = 4;
  get videoWidth() {
    return this.naturalW;
  }
  get videoHeight() {
    return this.naturalH;
  }
}

/** Canvas calls, to check what the reader asked for. */
const calls: string[] = [];

class FakeContext {
  #drawn: Pixels | undefined;
  constructor(readonly canvas: { width: number; height: number }) {}
  drawImage(image: Pixels, x: number, y: number): void {
    calls.push(`drawImage(${image.constructor.name}, ${x}, ${y}) on ${this.canvas.width}x${this.canvas.height}`);
    this.#drawn = image;
  }
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } {
    calls.push(`getImageData(${x}, ${y}, ${w}, ${h})`);
    if ((this.#drawn as { tainted?: boolean }).tainted) throw Object.assign(new Error('The canvas has been tainted by cross-origin data.'), { name: 'SecurityError' });
    return { data: (this.#drawn as Pixels).rgba };
  }
}
class FakeOffscreenCanvas {
  constructor(readonly width: number, readonly height: number) {}
  getContext(kind: string, options: { willReadFrequently?: boolean }) {
    calls.push(`getContext(${kind}, willReadFrequently: ${options.willReadFrequently})`);
    return new FakeContext(this);
  }
}

function stubDom(offscreen = true): void {
  vi.stubGlobal('ImageBitmap', FakeImageBitmap);
  vi.stubGlobal('HTMLCanvasElement', FakeCanvas);
  vi.stubGlobal('HTMLImageElement', FakeImage);
  vi.stubGlobal('HTMLVideoElement', FakeVideo);
  if (offscreen) vi.stubGlobal('OffscreenCanvas', FakeOffscreenCanvas);
  calls.length = 0;
}

function rgba(width: number, height: number, seed: number): Uint8ClampedArray {
  return Uint8ClampedArray.from({ length: width * height * 4 }, (_, i) => (i * 29 + seed * 53) % 256);
}

function backbone(): Backbone {
  return Backbone.fromModel((x) => tf.mean(tf.mul(x, x), [1, 2]), { id: 'sq', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: 'shorter-then-crop' });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.unstubAllGlobals());

describe('dvme/browser: embed reads DOM images through a 2D canvas (stand-ins)', () => {
  it('registers a platform that opens images', () => {
    expect(currentPlatform()?.name).toBe('browser');
    expect(currentPlatform()?.openImage).toBe(openBrowserImage);
  });

  it('ImageBitmap, <canvas>, loaded <img> and <video> embed as their pixels would, ImageData needs no canvas', async () => {
    stubDom();
    const sizes: [number, number][] = [[9, 9], [12, 10], [20, 11], [9, 13], [10, 10]];
    const decoded: DecodedImage[] = sizes.map(([w, h], i) => ({ data: rgba(w, h, i), width: w, height: h }));
    const dom = [
      new FakeImageBitmap(decoded[0]!.data as Uint8ClampedArray, 9, 9),
      new FakeCanvas(decoded[1]!.data as Uint8ClampedArray, 12, 10),
      new FakeImage(decoded[2]!.data as Uint8ClampedArray, 20, 11),
      new FakeVideo(decoded[3]!.data as Uint8ClampedArray, 9, 13),
      { data: decoded[4]!.data, width: 10, height: 10, colorSpace: 'srgb' }, // an ImageData
    ] as unknown as SingleImage[];
    const b = backbone();
    const want = await b.embed(decoded, { as: 'array' });
    const before = tf.memory().numTensors;
    const got = await b.embed(dom, { as: 'array', batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    // One canvas per image, at its natural size (the <img>'s 20 x 11, not its displayed 300 x 200).
    expect(calls.filter((c) => c.startsWith('drawImage'))).toEqual([
      'drawImage(FakeImageBitmap, 0, 0) on 9x9',
      'drawImage(FakeCanvas, 0, 0) on 12x10',
      'drawImage(FakeImage, 0, 0) on 20x11',
      'drawImage(FakeVideo, 0, 0) on 9x13',
    ]);
    expect(calls).toContain('getImageData(0, 0, 20, 11)');
    expect(calls).toContain('getContext(2d, willReadFrequently: true)');
    b.dispose();
  });

  it('reads each image when its batch runs, not before', async () => {
    stubDom();
    const bitmaps = [0, 1, 2, 3].map((i) => new FakeImageBitmap(rgba(9, 9, i), 9, 9));
    const readsAtProgress: number[] = [];
    const b = backbone();
    await b.embed(bitmaps as unknown as SingleImage[], { batchSize: 2, onProgress: () => readsAtProgress.push(calls.filter((c) => c.startsWith('getImageData')).length) });
    expect(readsAtProgress).toEqual([2, 4]);
    b.dispose();
  });

  it('falls back to document.createElement(canvas) without OffscreenCanvas, and says so when there is neither', async () => {
    stubDom(false);
    const created: string[] = [];
    vi.stubGlobal('document', {
      createElement: (tag: string) => {
        created.push(tag);
        const canvas = { width: 0, height: 0, getContext: (kind: string, o: { willReadFrequently?: boolean }) => new FakeOffscreenCanvas(canvas.width, canvas.height).getContext(kind, o) };
        return canvas;
      },
    });
    const bitmap = new FakeImageBitmap(rgba(9, 9, 1), 9, 9);
    const b = backbone();
    const a = await b.embed([bitmap as unknown as SingleImage], { as: 'array' });
    expect(Array.from(a.data)).toEqual(Array.from((await b.embed({ data: rgba(9, 9, 1), width: 9, height: 9 }, { as: 'array' })).data));
    expect(created).toEqual(['canvas']);
    expect(calls).toContain('drawImage(FakeImageBitmap, 0, 0) on 9x9');
    vi.stubGlobal('document', undefined);
    await expect(b.embed([bitmap as unknown as SingleImage])).rejects.toThrow(/no 2D canvas \(OffscreenCanvas or document\)/);
    b.dispose();
  });

  it('refuses an <img> that has not loaded and a <video> without a frame, before any work', async () => {
    stubDom();
    const img = new FakeImage(rgba(9, 9, 1), 9, 9);
    img.complete = false;
    const video = new FakeVideo(rgba(9, 9, 1), 9, 9);
    video.readyState = 1;
    const b = backbone();
    await expect(b.embed([img as unknown as SingleImage])).rejects.toThrow(/<img> "https:\/\/example.org\/scan.png" has not loaded .*await img\.decode\(\)/);
    await expect(b.embed([video as unknown as SingleImage])).rejects.toThrow(/<video> has no frame yet/);
    expect(calls).toEqual([]);
    b.dispose();
  });

  it('a canvas that refuses to read (cross-origin) is an InvalidArgumentError naming CORS, with no tensor left', async () => {
    stubDom();
    const tainted = Object.assign(new FakeImageBitmap(rgba(9, 9, 1), 9, 9), { tainted: true });
    const b = backbone();
    const before = tf.memory().numTensors;
    const err = await b.embed([new FakeImageBitmap(rgba(9, 9, 2), 9, 9), tainted] as unknown as SingleImage[], { batchSize: 1 }).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/refused to read the pixels of a 9 x 9 image \(SecurityError: .*crossOrigin = 'anonymous'/);
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
  });

  it('leaves other objects to the core, whose message lists what embed takes', async () => {
    stubDom();
    expect(openBrowserImage({ width: 9, height: 9 })).toBeUndefined();
    const b = backbone();
    await expect(b.embed([{ width: 9, height: 9 } as unknown as SingleImage])).rejects.toThrow(/a decoded image \{ data, width, height, channels\? \}/);
    b.dispose();
  });

  it('works where the DOM classes do not exist (a worker has no HTMLImageElement)', () => {
    vi.stubGlobal('ImageBitmap', FakeImageBitmap);
    vi.stubGlobal('OffscreenCanvas', FakeOffscreenCanvas);
    expect(openBrowserImage(new FakeImageBitmap(rgba(9, 9, 1), 9, 9))?.width).toBe(9);
    expect(openBrowserImage(new FakeImage(rgba(9, 9, 1), 9, 9))).toBeUndefined();
  });
});
