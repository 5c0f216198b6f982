/**
 * Export and import formats: ONNX, TF.js Layers, safetensors (+ graph JSON) and PyTorch source, behind one
 * registry. Pure TypeScript like the rest of the engine: functions turn a graph and its weights into
 * named byte arrays and back; writing them to disk is src/host/export's job.
 */
export { exportNetwork, getFormat, listFormats, registerFormat } from './registry';
export { FormatError, type ExportContext, type ExportFile, type ExportFormat } from './types';
export { checkWeights, expectedWeights } from './weights';
export {
  classesFromSafetensors,
  graphFromSafetensors,
  importSafetensorsInto,
  GRAPH_METADATA_KEY,
} from './safetensors-format';
export { classesFromMetadata, INFO_KEYS, modelInfoEntries } from './model-info';
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type DecodedSafetensors } from './safetensors';
export { importOnnx, type OnnxImport } from './onnx/import';
export { SUPPORTED_OPS as ONNX_IMPORT_OPERATORS } from './onnx/import-ops';
export { buildOnnxModel, encodeOnnx, ONNX_OPSET } from './onnx/export';
export { buildTfjsModel, type TfjsModel } from './tfjs/export';
export { buildModelPy } from './pytorch/export';
