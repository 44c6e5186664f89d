/**
 * One JSONL line → a normalised dataset row, or the reason it is dropped. Two row forms:
 * captions `{image_filename, text}` and fine-tuning `{image_path, question, answer}`.
 *
 * Text rule: a caption's trimmed text needs at least `minText` Unicode code points. A question/answer
 * row needs a non-empty question and answer; `minText` applies to the question only, because short
 * answers ("yes", "2", "红色") are normal in visual question answering.
 */
import { isAbsolute, relative, resolve, sep, win32 } from 'node:path';

export type RowProblem = 'invalid_json' | 'missing_field' | 'unsafe_path' | 'text_too_short';

export type DatasetRow =
  | { kind: 'caption'; image: string; fields: Record<string, unknown> }
  | { kind: 'question_answer'; image: string; fields: Record<string, unknown> };

export type ParsedLine =
  | { ok: true; row: DatasetRow; imagePath: string }
  | { ok: false; reason: RowProblem; detail: string };

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The image path relative to `imagesDir` (forward slashes), or undefined when it would leave it:
 * absolute paths (POSIX or Windows), `..` escapes, NUL bytes.
 */
export function containedImagePath(imagesDir: string, value: string): string | undefined {
  if (value.includes('\0') || isAbsolute(value) || win32.isAbsolute(value)) return undefined;
  const inside = relative(imagesDir, resolve(imagesDir, value));
  if (inside === '') return '.';
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
  return sep === '/' ? inside : inside.split(sep).join('/');
}

interface ResolvedImage {
  /** Relative to the images folder, forward slashes. */
  image: string;
  absolute: string;
}

/**
 * `containedImagePath` with a bounded memo: datasets pair one image with many texts, and path
 * resolution was the biggest cost per row.
 */
export class ImagePathResolver {
  private readonly memo = new Map<string, ResolvedImage | null>();

  constructor(
    readonly imagesDir: string,
    private readonly capacity = 10_000,
  ) {}

  resolve(value: string): ResolvedImage | undefined {
    let resolved = this.memo.get(value);
    if (resolved === undefined) {
      const image = containedImagePath(this.imagesDir, value);
      resolved = image === undefined ? null : { image, absolute: resolve(this.imagesDir, image) };
      this.memo.set(value, resolved);
      if (this.memo.size > this.capacity) this.memo.delete(this.memo.keys().next().value as string);
    }
    return resolved ?? undefined;
  }
}

export function parseLine(line: string, paths: ImagePathResolver, minText: number): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: 'invalid_json', detail: (error as Error).message };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'invalid_json', detail: 'not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const questionAnswer = 'image_path' in record || 'question' in record || 'answer' in record;
  const imageField = questionAnswer ? 'image_path' : 'image_filename';
  const textFields = questionAnswer ? ['question', 'answer'] : ['text'];
  const missing = [imageField, ...textFields].filter((name) => stringField(record, name) === undefined);
  if (missing.length > 0) {
    return { ok: false, reason: 'missing_field', detail: `no string field ${missing.map((m) => `'${m}'`).join(', ')}` };
  }
  const rawImage = stringField(record, imageField)!;
  if (rawImage.trim() === '') return { ok: false, reason: 'missing_field', detail: `empty '${imageField}'` };
  const resolved = paths.resolve(rawImage);
  if (resolved === undefined) {
    return { ok: false, reason: 'unsafe_path', detail: `'${rawImage}' is outside the images folder` };
  }
  const { image, absolute: imagePath } = resolved;
  const texts = textFields.map((name) => stringField(record, name)!.trim());
  if (questionAnswer) {
    const [question, answer] = texts;
    if (question === '' || answer === '') {
      return { ok: false, reason: 'text_too_short', detail: question === '' ? 'empty question' : 'empty answer' };
    }
    if (codePoints(question) < minText) {
      return {
        ok: false,
        reason: 'text_too_short',
        detail: `question has ${codePoints(question)} characters, < ${minText}`,
      };
    }
    const fields = { ...record, image_path: image, question, answer };
    return { ok: true, row: { kind: 'question_answer', image, fields }, imagePath };
  }
  const [text] = texts;
  if (codePoints(text) < minText) {
    return { ok: false, reason: 'text_too_short', detail: `text has ${codePoints(text)} characters, < ${minText}` };
  }
  const fields = { ...record, image_filename: image, text };
  return { ok: true, row: { kind: 'caption', image, fields }, imagePath };
}
