/**
 * Image to image over multipart forms (`POST /v1/images/edits`, `POST /api/imagine` with a file):
 * the picture to start from, checked by its bytes and stored under `uploads/` like every upload,
 * and the form's text fields turned into the values the JSON routes' schemas take (numbers and
 * booleans arrive as text), so both kinds of body go through the same checks.
 */
import { invalidRequest } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import type { MultipartForm } from '../multipart.ts';
import type { ServerServices } from '../server-context.ts';

/** Room for a form's boundaries and text fields on top of the picture itself. */
export const FORM_OVERHEAD_BYTES = 64 * 1024;

const NUMBER = /^\s*-?\d{1,16}(\.\d{1,16})?\s*$/;

/**
 * The form's text fields but the picture's as one object: those named in `numbers` as numbers when they read as
 * one (otherwise left as text, for the schema to refuse by name), `true`/`false` in `booleans` as
 * booleans. A field sent twice, or a file where text belongs, is a 400.
 */
export function formValues(
  form: MultipartForm,
  numbers: readonly string[],
  booleans: readonly string[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, sent] of form.fields) {
    // The picture's fields are `readStartImage`'s to refuse (sent as text, it says so).
    if (name === 'image' || name === 'image[]') continue;
    if (sent.length > 1) throw invalidRequest(`send '${name}' once, not ${sent.length} times`, name);
    const text = sent[0]!;
    if (numbers.includes(name) && NUMBER.test(text)) values[name] = Number(text);
    else if (booleans.includes(name) && (text === 'true' || text === 'false')) values[name] = text === 'true';
    else values[name] = text;
  }
  return values;
}

/**
 * The one picture sent as `image` (OpenAI's clients send `image[]` for a list), accepted and stored.
 * `name` is its stored URL: what the generated files' provenance names it by.
 */
export async function readStartImage(
  form: MultipartForm,
  services: ServerServices,
): Promise<{ bytes: Uint8Array; name: string }> {
  const files = [...(form.files.get('image') ?? []), ...(form.files.get('image[]') ?? [])];
  if (files.length === 0) {
    const asText = form.fields.has('image') ? ' (it was sent as a text field, not a file)' : '';
    throw invalidRequest(`missing required file 'image'${asText}`, 'image', 'missing_parameter');
  }
  if (files.length > 1) {
    throw invalidRequest(`send one image to start from, not ${files.length}`, 'image', 'too_many_images');
  }
  const file = files[0]!;
  const { limits } = services;
  if (file.size > limits.imageUploadBytes) {
    throw invalidRequest(`image is over ${limits.imageUploadBytes} bytes`, 'image', 'image_too_large');
  }
  const image = await acceptImage(new Uint8Array(await file.arrayBuffer()), {
    maxPixels: limits.maxPixels,
    param: 'image',
    unknownFormatStatus: 415,
  });
  const stored = await services.files.save('uploads', image.bytes, image.extension, {
    originalName: file.name,
    declaredType: file.type,
    width: image.width,
    height: image.height,
  });
  return { bytes: image.bytes, name: stored.url };
}

/** Inpainting is not done: a mask is refused by name rather than ignored. */
export function refuseMask(form: MultipartForm): void {
  if (form.files.has('mask') || form.fields.has('mask')) {
    throw invalidRequest(
      'mask (inpainting) is not supported: the whole picture is redrawn, as much as strength says',
      'mask',
      'unsupported_parameter',
    );
  }
}
