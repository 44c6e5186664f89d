/**
 * Image to image over multipart forms (`POST /v1/images/edits`, `POST /api/imagine` with a file):
 * the picture to start from, checked by its bytes and stored under `uploads/` like every upload,
 * and the form's text fields turned into the values the JSON routes' schemas take (numbers and
 * booleans arrive as text), so both kinds of body go through the same checks.
 */
import sharp from 'sharp';
import { invalidRequest } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import { formFile, type MultipartForm } from '../multipart.ts';
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
    // The pictures' fields are `readStartImage`'s and `readMask`'s to refuse (sent as text, they say so).
    if (name === 'image' || name === 'image[]' || name === 'mask') continue;
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

/** The inpainting mask sent as `mask` (a picture of the start picture's size), or undefined; not stored. */
export async function readMask(
  form: MultipartForm,
  services: ServerServices,
): Promise<{ bytes: Uint8Array; name: string } | undefined> {
  if (!form.files.has('mask') && !form.fields.has('mask')) return undefined;
  const { bytes } = await formFile(form, 'mask');
  if (bytes.length > services.limits.imageUploadBytes) {
    throw invalidRequest(`mask is over ${services.limits.imageUploadBytes} bytes`, 'mask', 'image_too_large');
  }
  const mask = await acceptImage(bytes, {
    maxPixels: services.limits.maxPixels,
    param: 'mask',
    unknownFormatStatus: 415,
  });
  // Refused before the picture is stored: a mask with nothing transparent repaints nothing.
  const alpha = await sharp(mask.bytes, { limitInputPixels: services.limits.maxPixels })
    .ensureAlpha()
    .extractChannel(3)
    .raw()
    .toBuffer();
  if (!alpha.some((value) => value < 255)) {
    throw invalidRequest(
      'mask has no transparent pixels, so nothing would be repainted (transparent: repaint; opaque: keep)',
      'mask',
    );
  }
  return { bytes: mask.bytes, name: 'mask' };
}
