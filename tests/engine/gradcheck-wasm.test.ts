import { onWasmKernels } from '../helpers/wasm-backend';
import './gradcheck.test';

// The registry-wide gradient check, every case, with the layers calling the WebAssembly kernels.
onWasmKernels();
