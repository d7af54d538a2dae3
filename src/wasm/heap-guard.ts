import * as tf from '@tensorflow/tfjs-core';
import { OutOfMemoryError } from '../errors/index.js';

/** The part of tfjs-backend-wasm's emscripten module the guard wraps and reads. */
interface WasmModule {
  _malloc(bytes: number): number;
  _free(offset: number): void;
  HEAPU8: Uint8Array;
}

const GUARDED = Symbol.for('dvme.wasmHeapGuard');

/** WebAssembly's 32-bit address space: no wasm32 heap grows past it. */
const WASM32_LIMIT = 4 * 2 ** 30;

/**
 * What the heap keeps for the module's C++: XNNPACK allocates its packed weights and scratch
 * there and does not survive a failed allocation (a ResNet-50 step at 224 px, batch 16, hung
 * in a convolution with the heap at 4 GiB). A tensor that reaches into the top this much of
 * the address space is refused unless a block this large can still be allocated.
 */
export const WASM_HEAP_RESERVE = 256 * 2 ** 20;

const size = (bytes: number) => (bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(2)} GiB`);

/**
 * @internal Makes tfjs-backend-wasm throw an {@link OutOfMemoryError} when its heap cannot
 * hold a new tensor. tfjs-backend-wasm 4.22 takes `_malloc`'s result unchecked: past the heap's
 * ceiling (4 GiB) malloc returns 0 and the tensor is placed at address 0, over the module's own
 * data; and an allocation inside XNNPACK that fails leaves the kernel hanging (a ResNet-50
 * training step at 224 px, batch 16, never finished). The guard wraps the module's exported
 * `_malloc` (which every tensor allocation of the backend calls: `move`, `write`,
 * `makeOutput`) and refuses a tensor that would reach the top {@link WASM_HEAP_RESERVE} of the
 * address space unless a block of that size can still be allocated (then freed), so that much
 * stays for the C++ side's own allocations. The failing allocation throws before a kernel
 * writes anything, and tfjs' scopes free what the step had made. Idempotent; does nothing and
 * returns `false` where `backendName` is not a tfjs-backend-wasm backend.
 */
export function guardWasmHeap(backendName = 'wasm'): boolean {
  const backend = tf.findBackend(backendName) as unknown as { wasm?: Partial<WasmModule> & { [GUARDED]?: true } } | null;
  const wasm = backend?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function') return false;
  if (wasm[GUARDED]) return true;
  // emscripten's glue starts `_malloc` and `_free` as stubs that, on their first call, replace
  // themselves on the module with the raw exports (which would drop a wrapper set before):
  // one call each first, then wrap what is there.
  wasm._free?.(wasm._malloc(16));
  const malloc = wasm._malloc.bind(wasm);
  const free = (wasm._free ?? (() => undefined)).bind(wasm);
  wasm._malloc = (bytes: number): number => {
    // 4 GiB or more wraps around in the module's 32-bit size_t (malloc(2^32) is malloc(0)).
    if (bytes >= WASM32_LIMIT) throw heapFull(bytes, wasm.HEAPU8?.byteLength ?? 0);
    const offset = malloc(bytes) >>> 0;
    if (bytes === 0) return offset;
    if (offset === 0) throw heapFull(bytes, wasm.HEAPU8?.byteLength ?? 0);
    if (offset + bytes > WASM32_LIMIT - WASM_HEAP_RESERVE) {
      // Near the top: take it only if the reserve can still be had (free, or by growing). The
      // address alone does not say: after a large step has been freed, the allocator hands out
      // free blocks up there while most of the heap is free.
      const probe = malloc(WASM_HEAP_RESERVE) >>> 0;
      if (probe === 0) {
        free(offset);
        throw heapFull(bytes, wasm.HEAPU8?.byteLength ?? 0);
      }
      free(probe);
    }
    return offset;
  };
  wasm[GUARDED] = true;
  return true;
}

function heapFull(bytes: number, heap: number): OutOfMemoryError {
  return new OutOfMemoryError(
    `tfjs-backend-wasm could not allocate ${size(bytes)} for a tensor: its heap has grown to ${size(heap)} and WebAssembly caps it at ${size(WASM32_LIMIT)} ` +
      `(a limit of wasm32, not of this machine's memory). Use a smaller batch (when finetuning, set accumulate to keep the effective batch: ` +
      `batchSize 4 with accumulate 4 trains like batch 16), a smaller input size, fewer trainable layers, or the tfjs-node backend; ` +
      `docs/finetuning.md#memory gives measured sizes.`,
  );
}
