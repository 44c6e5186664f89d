/**
 * Multipart forms (`/qa`, `/v1/audio/transcriptions`): the content type checked (415), a body that
 * is not a well-formed form refused (400), and fields read by name with one file or one string each.
 */
import type { Context } from 'hono';
import { invalidRequest } from './http-errors.ts';
import { requireMediaType } from './validation.ts';

export interface MultipartForm {
  /** Text fields; a repeated field keeps every value. */
  fields: Map<string, string[]>;
  files: Map<string, File[]>;
}

export async function readMultipart(c: Context): Promise<MultipartForm> {
  requireMediaType(c, 'multipart/form-data');
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw invalidRequest('the request body is not a well-formed multipart/form-data form', undefined, 'invalid_form');
  }
  const fields = new Map<string, string[]>();
  const files = new Map<string, File[]>();
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') fields.set(key, [...(fields.get(key) ?? []), value]);
    else files.set(key, [...(files.get(key) ?? []), value]);
  }
  return { fields, files };
}

/** The one file sent as `name`; a missing file, or a text field in its place, is a 400. */
export async function formFile(form: MultipartForm, name: string): Promise<{ bytes: Uint8Array; file: File }> {
  const files = form.files.get(name) ?? [];
  if (files.length === 0) {
    const asText = form.fields.has(name) ? ` (it was sent as a text field, not a file)` : '';
    throw invalidRequest(`missing required file '${name}'${asText}`, name, 'missing_parameter');
  }
  if (files.length > 1) throw invalidRequest(`send one file as '${name}', not ${files.length}`, name);
  const file = files[0]!;
  return { bytes: new Uint8Array(await file.arrayBuffer()), file };
}

/** The text field `name` as one value (undefined when absent); a file in its place is a 400. */
export function formField(form: MultipartForm, name: string): string | undefined {
  if (form.files.has(name)) throw invalidRequest(`'${name}' must be a text field, not a file`, name);
  const values = form.fields.get(name);
  if (values === undefined) return undefined;
  if (values.length > 1) throw invalidRequest(`send '${name}' once, not ${values.length} times`, name);
  return values[0];
}

/** Every value of a repeated field, as `name` or `name[]` (OpenAI's clients send the latter). */
export function formFieldList(form: MultipartForm, name: string): string[] {
  return [...(form.fields.get(name) ?? []), ...(form.fields.get(`${name}[]`) ?? [])];
}
