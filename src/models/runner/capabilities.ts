/**
 * What a runner can host: the registry's capabilities (`models/config.ts`), each naming the methods
 * that cross the process boundary (a `stream` method is relayed part by part) and the read-only
 * properties the proxy copies from the loaded model once.
 */
import { CAPABILITIES, type Capability } from '../config.ts';
import type { CapabilityModels } from '../registry.ts';

export type { Capability, CapabilityModels };

export type MethodKind = 'call' | 'stream';

export interface CapabilityShape {
  /** Methods every model of this capability has. */
  methods: Record<string, MethodKind>;
  /** Methods a model may leave out (e.g. `embedImages` for text-only embedders). */
  optionalMethods?: Record<string, MethodKind>;
  /** Read-only properties besides `description`. */
  properties: string[];
}

const chatShape: CapabilityShape = {
  methods: { generate: 'call', stream: 'stream' },
  // Raw text continuation (`/v1/completions`): text models have it, vision-language models not.
  optionalMethods: { complete: 'stream' },
  properties: ['acceptsImages', 'contextLength'],
};

export const CAPABILITY_SHAPES: Record<Capability, CapabilityShape> = {
  chat: chatShape,
  visionChat: chatShape,
  transcription: { methods: { transcribe: 'call' }, properties: [] },
  speech: { methods: { synthesize: 'call' }, properties: ['voices'] },
  imageGeneration: { methods: { generate: 'call' }, properties: [] },
  embeddings: {
    methods: { embedTexts: 'call' },
    optionalMethods: { embedImages: 'call' },
    properties: ['dimensions'],
  },
  ctc: { methods: { emissions: 'call' }, properties: ['vocabulary', 'blankId'] },
  ocr: { methods: { recognize: 'call' }, properties: ['languages'] },
};

export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as readonly string[]).includes(value);
}
