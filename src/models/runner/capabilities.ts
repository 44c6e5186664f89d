/**
 * What a runner can host: one entry per capability interface of `models/spec`, naming the methods
 * that cross the process boundary (a `stream` method is relayed part by part) and the read-only
 * properties the proxy copies from the loaded model once.
 */
import type {
  ChatModel,
  CtcModel,
  EmbeddingModel,
  ImageGenerationModel,
  SpeechModel,
  TextRecognitionModel,
  TranscriptionModel,
} from '../spec/index.ts';

export interface CapabilityModels {
  chat: ChatModel;
  transcription: TranscriptionModel;
  speech: SpeechModel;
  'image-generation': ImageGenerationModel;
  embedding: EmbeddingModel;
  ctc: CtcModel;
  'text-recognition': TextRecognitionModel;
}

export type Capability = keyof CapabilityModels;

export type MethodKind = 'call' | 'stream';

export interface CapabilityShape {
  /** Methods every model of this capability has. */
  methods: Record<string, MethodKind>;
  /** Methods a model may leave out (e.g. `embedImages` for text-only embedders). */
  optionalMethods?: Record<string, MethodKind>;
  /** Read-only properties besides `description`. */
  properties: string[];
}

export const CAPABILITIES: Record<Capability, CapabilityShape> = {
  chat: { methods: { generate: 'call', stream: 'stream' }, properties: ['acceptsImages', 'contextLength'] },
  transcription: { methods: { transcribe: 'call' }, properties: [] },
  speech: { methods: { synthesize: 'call' }, properties: ['voices'] },
  'image-generation': { methods: { generate: 'call' }, properties: [] },
  embedding: {
    methods: { embedTexts: 'call' },
    optionalMethods: { embedImages: 'call' },
    properties: ['dimensions'],
  },
  ctc: { methods: { emissions: 'call' }, properties: ['vocabulary', 'blankId'] },
  'text-recognition': { methods: { recognize: 'call' }, properties: ['languages'] },
};

export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && Object.hasOwn(CAPABILITIES, value);
}

export function capabilityNames(): Capability[] {
  return Object.keys(CAPABILITIES) as Capability[];
}
