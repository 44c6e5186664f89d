/** The onnx provider: Transformers.js on onnxruntime-node, from local folders in Hugging Face layout. */
export { cudaProviderPath, type OnnxDevice } from './device.ts';
export { DTYPE_SUFFIXES, type DtypeSetting } from './model-folder.ts';
export { OnnxChatModel, type OnnxModelOptions } from './onnx-chat-model.ts';
export { OnnxEmbeddingModel } from './onnx-embedding-model.ts';
export { createOnnxProvider, type FolderResolver, localFolderResolver, type OnnxProviderOptions } from './provider.ts';
export { OnnxSpeechModel } from './speech-model.ts';
export { OnnxTranscriptionModel } from './transcription-model.ts';
