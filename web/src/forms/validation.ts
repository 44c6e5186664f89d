/**
 * Checks made before anything is sent, so a wrong file or value is explained at once instead of
 * after an upload. The limits are the server's defaults (docs/http-api.md); the server checks again.
 */
import type { MessageKey } from '../i18n/strings.ts';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
export const MAX_QUESTION_CHARS = 2000;
export const MAX_PROMPT_CHARS = 2000;

/** A problem to show: a message key and its parameters. */
export interface Problem {
  key: MessageKey;
  params?: Record<string, string | number>;
}

export interface FileLike {
  name: string;
  type: string;
  size: number;
}

/** What the server takes (it judges by content; this only spares a round trip). */
const IMAGE_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
  'image/heic',
  'image/heif',
  'image/bmp',
];
const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'tif', 'tiff', 'heic', 'heif', 'bmp'];
const AUDIO_EXTENSIONS = ['wav', 'mp3', 'ogg', 'oga', 'opus', 'webm', 'flac', 'm4a', 'aac'];

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** `1.5 MB`, `820 KB`, `12 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function checkImageFile(file: FileLike): Problem | undefined {
  // Browsers leave `type` empty for unknown extensions: fall back on the name.
  const looksLikeImage = file.type
    ? IMAGE_TYPES.includes(file.type)
    : IMAGE_EXTENSIONS.includes(extensionOf(file.name));
  if (!looksLikeImage) return { key: 'error.notImage', params: { name: file.name } };
  if (file.size > MAX_IMAGE_BYTES) {
    return {
      key: 'error.imageTooLarge',
      params: { name: file.name, size: formatBytes(file.size), limit: formatBytes(MAX_IMAGE_BYTES) },
    };
  }
  return undefined;
}

export function checkAudioFile(file: FileLike): Problem | undefined {
  const looksLikeAudio = file.type
    ? file.type.startsWith('audio/') || file.type === 'video/webm'
    : AUDIO_EXTENSIONS.includes(extensionOf(file.name));
  if (!looksLikeAudio) return { key: 'error.notAudio', params: { name: file.name } };
  if (file.size > MAX_AUDIO_BYTES) {
    return {
      key: 'error.audioTooLarge',
      params: { name: file.name, size: formatBytes(file.size), limit: formatBytes(MAX_AUDIO_BYTES) },
    };
  }
  return undefined;
}

export function checkText(text: string, emptyKey: MessageKey, maxChars: number): Problem | undefined {
  if (text.trim() === '') return { key: emptyKey };
  if (text.length > maxChars) return { key: 'error.tooLong', params: { limit: maxChars } };
  return undefined;
}

/** The seed's three sizes, width × height (the seed's code passed them height first). */
export const IMAGE_SIZES = [
  { width: 512, height: 512 },
  { width: 768, height: 512 },
  { width: 1024, height: 768 },
] as const;

/** The seed UI's negative prompt and step/guidance values. */
export const DEFAULT_NEGATIVE_PROMPT = 'low quality, blurry, ugly, deformed, watermark, text, noise';
export const IMAGINE_FORM_DEFAULTS = { steps: '60', guidance: '7.5', count: 1, seed: '', sizeIndex: 0, strength: 0.8 };
/** The size choice that keeps a start picture's own aspect ratio (no width or height sent). */
export const PICTURE_SIZE = -1;

export interface ImagineFormValues {
  prompt: string;
  style: string;
  sizeIndex: number;
  count: number;
  steps: string;
  guidance: string;
  seed: string;
  negativePrompt: string;
  /** Image to image: how much of the start picture is redrawn (0.05–1). */
  strength: number;
}

export interface ImagineRequestBody {
  prompt: string;
  negative_prompt: string;
  style?: string;
  /** Absent with a start picture kept at its own aspect ratio. */
  width?: number;
  height?: number;
  strength?: number;
  steps: number;
  guidance: number;
  count: number;
  seed?: number;
}

function integerIn(text: string, min: number, max: number): number | undefined {
  if (!/^\s*-?\d+\s*$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

function numberIn(text: string, min: number, max: number): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

export type ImagineFormResult =
  | { ok: true; body: ImagineRequestBody }
  | { ok: false; problems: Partial<Record<keyof ImagineFormValues, Problem>> };

/**
 * The body for `POST /api/imagine`, or what is wrong, field by field. With a start picture it
 * carries `strength`, and no size when the picture keeps its own shape.
 */
export function checkImagineForm(values: ImagineFormValues, hasStartImage = false): ImagineFormResult {
  const problems: Partial<Record<keyof ImagineFormValues, Problem>> = {};
  const promptProblem = checkText(values.prompt, 'error.emptyPrompt', MAX_PROMPT_CHARS);
  if (promptProblem) problems.prompt = promptProblem;
  const steps = integerIn(values.steps, 1, 150);
  if (steps === undefined) problems.steps = { key: 'error.integerRange', params: { min: 1, max: 150 } };
  const guidance = numberIn(values.guidance, 0, 30);
  if (guidance === undefined) problems.guidance = { key: 'error.numberRange', params: { min: 0, max: 30 } };
  const count = integerIn(String(values.count), 1, 4);
  if (count === undefined) problems.count = { key: 'error.integerRange', params: { min: 1, max: 4 } };
  const maxSeed = 2 ** 32 - 1;
  const seed = values.seed.trim() === '' ? undefined : integerIn(values.seed, 0, maxSeed);
  if (values.seed.trim() !== '' && seed === undefined) {
    problems.seed = { key: 'error.integerRange', params: { min: 0, max: maxSeed } };
  }
  const ownShape = hasStartImage && values.sizeIndex === PICTURE_SIZE;
  const size = IMAGE_SIZES[values.sizeIndex] ?? IMAGE_SIZES[0];
  const strength = hasStartImage ? numberIn(String(values.strength), 0.01, 1) : undefined;
  if (hasStartImage && strength === undefined) {
    problems.strength = { key: 'error.numberRange', params: { min: 0.01, max: 1 } };
  }
  if (Object.keys(problems).length > 0 || steps === undefined || guidance === undefined || count === undefined) {
    return { ok: false, problems };
  }
  const body: ImagineRequestBody = {
    prompt: values.prompt.trim(),
    negative_prompt: values.negativePrompt.trim(),
    ...(ownShape ? {} : { width: size.width, height: size.height }),
    ...(strength === undefined ? {} : { strength }),
    steps,
    guidance,
    count,
  };
  if (values.style) body.style = values.style;
  if (seed !== undefined) body.seed = seed;
  return { ok: true, body };
}
