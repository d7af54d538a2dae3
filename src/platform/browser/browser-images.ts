import { InvalidArgumentError } from '../../errors/index.js';
import type { PlatformImage } from '../../host/platform.js';

/** The DOM class named `name`, looked up when called: the module must import where there is no DOM. */
function domClass(name: string): (abstract new (...args: never[]) => object) | undefined {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' ? (ctor as abstract new (...args: never[]) => object) : undefined;
}

function isA(image: object, name: string): boolean {
  const ctor = domClass(name);
  return ctor !== undefined && image instanceof ctor;
}

interface Drawable {
  readonly width: number;
  readonly height: number;
}

type Context2D = Pick<CanvasRenderingContext2D, 'drawImage' | 'getImageData'>;

/** A 2D context to read `width x height` pixels through: an OffscreenCanvas, else a `<canvas>`. */
function readbackContext(width: number, height: number): Context2D {
  const Offscreen = domClass('OffscreenCanvas') as (new (w: number, h: number) => OffscreenCanvas) | undefined;
  let context: Context2D | null = null;
  if (Offscreen) {
    context = new Offscreen(width, height).getContext('2d', { willReadFrequently: true });
  } else if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    context = canvas.getContext('2d', { willReadFrequently: true });
  }
  if (!context) {
    throw new InvalidArgumentError(
      'dvme/browser: this environment has no 2D canvas (OffscreenCanvas or document) to read image pixels with; ' +
        'pass the pixels instead, as { data, width, height, channels }.',
    );
  }
  return context;
}

function readPixels(image: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  const context = readbackContext(width, height);
  context.drawImage(image, 0, 0);
  try {
    return context.getImageData(0, 0, width, height).data;
  } catch (e) {
    // The canvas refuses to give back pixels of an image from another origin served without CORS.
    throw new InvalidArgumentError(
      `dvme/browser: the browser refused to read the pixels of a ${width} x ${height} image (${(e as Error).name ?? 'error'}: ${(e as Error).message}). ` +
        "An image from another origin needs CORS: set img.crossOrigin = 'anonymous' before its src, and serve it with Access-Control-Allow-Origin.",
      { cause: e },
    );
  }
}

/**
 * @internal The `openImage` of `dvme/browser`: `<img>`, `<canvas>`, `OffscreenCanvas`,
 * `ImageBitmap` and `<video>` (its current frame), each read through a 2D canvas at its
 * natural size when its batch runs. `ImageData` needs no platform: the core reads it directly.
 * Returns `undefined` for anything else.
 */
export function openBrowserImage(image: object): PlatformImage | undefined {
  let size: Drawable;
  if (isA(image, 'HTMLImageElement')) {
    const img = image as HTMLImageElement;
    if (!img.complete || img.naturalWidth === 0) {
      throw new InvalidArgumentError(
        `dvme/browser: the <img> ${JSON.stringify(img.currentSrc || img.src)} has not loaded (or failed to); await img.decode() before embedding it.`,
      );
    }
    size = { width: img.naturalWidth, height: img.naturalHeight };
  } else if (isA(image, 'HTMLVideoElement')) {
    const video = image as HTMLVideoElement;
    // HAVE_CURRENT_DATA: a frame is there to draw.
    if (video.readyState < 2 || video.videoWidth === 0) {
      throw new InvalidArgumentError('dvme/browser: the <video> has no frame yet; wait for its loadeddata event before embedding it.');
    }
    size = { width: video.videoWidth, height: video.videoHeight };
  } else if (isA(image, 'HTMLCanvasElement') || isA(image, 'OffscreenCanvas') || isA(image, 'ImageBitmap')) {
    const { width, height } = image as Drawable;
    size = { width, height };
  } else {
    return undefined;
  }
  const { width, height } = size;
  return { width, height, read: () => readPixels(image as CanvasImageSource, width, height) };
}
