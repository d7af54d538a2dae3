// tfjs-node and tfjs-node-gpu download libtensorflow when installed, so they are optional
// peers that a development machine may lack; dvme only imports them for their side effect of
// registering a backend, so their types are not needed.
declare module '@tensorflow/tfjs-node';
declare module '@tensorflow/tfjs-node-gpu';
declare module 'onnxruntime-node';
declare module 'onnxruntime-web';
