import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('wasm'); await tf.ready();
const b = tf.backend() as any;
console.log(Object.keys(b), typeof b.makeOutput, typeof b.typedArrayFromHeap);
console.log(Object.keys(b.wasm).filter((k) => /mem|HEAP|asm|xports/i.test(k)));
console.log(b.wasm.wasmMemory instanceof WebAssembly.Memory, b.wasm.asm && Object.keys(b.wasm.asm).slice(0,5));
