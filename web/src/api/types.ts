/** The shapes of docs/http-api.md's `/api/*` events and answers, as the UI reads them. */

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface UploadEvent {
  image_id: string;
  image_url: string;
}
export interface OcrEvent {
  text: string;
  confidence: number;
  used: boolean;
}
export interface DeltaEvent {
  text: string;
}
export interface AskDone {
  question: string;
  answer: string;
  /** A reasoning model's thinking, apart from the answer. */
  reasoning?: string;
  model: string;
  ocr?: OcrEvent;
}

export interface ProgressEvent {
  step: number;
  total_steps: number;
}
export interface GeneratedImage {
  index: number;
  url: string;
  seed: number;
  width: number;
  height: number;
  provenance: Record<string, string>;
}
export interface ImagineDone {
  images: GeneratedImage[];
  prompt: string;
  warnings: string[];
  scheduler: string;
}

export interface TranscriptEvent {
  text: string;
}
export interface SentenceAudioEvent {
  index: number;
  url: string;
  seconds: number;
}
export interface AssistantDone {
  input_type: 'speech' | 'text';
  transcript?: string;
  answer: string;
  /** A reasoning model's thinking (not spoken). */
  reasoning?: string;
  audio_url: string;
}

export interface StyleInfo {
  name: string;
  label_zh: string;
  label_en: string;
  template: string;
}

export interface InstalledModel {
  id: string;
  capabilities: string[];
  revision: string;
  files: number | string[];
  size_bytes: number;
  loaded: boolean;
}
export interface PullProgress {
  file: string;
  bytes: number;
  total_bytes: number;
}
export interface RunningModel {
  key: string;
  capability: string;
  pid: number;
  rss_bytes: number;
  state: string;
  queue: number;
  idle_ms: number;
  expires_in_ms: number | null;
}
