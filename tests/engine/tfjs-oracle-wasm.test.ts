import { onWasmKernels } from '../helpers/wasm-backend';
import './tfjs-oracle.test';

// The TF.js comparison, every case, with the layers calling the WebAssembly kernels.
onWasmKernels();
