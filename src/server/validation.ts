/**
 * Request parsing shared by the routes: the content type checked before the body is read (415),
 * JSON that does not parse (400), and zod schemas whose first issue becomes a one-line 400 naming
 * the field.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { invalidRequest, unsupportedMediaType } from './http-errors.ts';
import { requestHeader } from './middleware/request-context.ts';
import { readBodyText, refuseDeclaredOverLimit } from './request-body.ts';

export function mediaTypeOf(c: Context): string {
  const header = requestHeader(c, 'content-type') ?? '';
  // The usual exact value needs no splitting or copying.
  if (header === 'application/json') return header;
  return header.split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(c: Context, expected: string): void {
  const actual = mediaTypeOf(c);
  if (actual !== expected) {
    throw unsupportedMediaType(
      `this route takes ${expected}, not ${actual === '' ? 'a body with no Content-Type' : actual}`,
    );
  }
}

/**
 * A JSON route's body, parsed: over `maxBytes` → 413 (checked before the content type, as the
 * multipart routes' `limitBody` middleware does), not `application/json` → 415, not JSON → 400.
 */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  refuseDeclaredOverLimit(c, maxBytes);
  requireMediaType(c, 'application/json');
  const text = await readBodyText(c, maxBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    // Only a body that failed to parse is looked at again (no copy of every body to trim).
    if (text.trim() === '') {
      throw invalidRequest('the request body is empty; expected a JSON object', undefined, 'invalid_json');
    }
    throw invalidRequest(`the request body is not valid JSON (${(error as Error).message})`, undefined, 'invalid_json');
  }
}

/** The dotted path of a zod issue: `messages.0.content`. */
function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/**
 * Where no alternative of a union fits, the issue of the one that got furthest in (a list whose
 * third item is wrong, rather than "not a string either"); the union's own issue when none got in.
 */
function innermostIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  let current = issue;
  while (current.code === 'invalid_union' && current.errors.length > 0) {
    let deepest: z.core.$ZodIssue | undefined;
    for (const branch of current.errors) {
      const first = branch[0];
      if (first && first.path.length > 0 && (!deepest || first.path.length > deepest.path.length)) deepest = first;
    }
    if (!deepest) break;
    current = { ...deepest, path: [...current.path, ...deepest.path] };
  }
  // A record key that fails its schema: that schema's reason ("must be a token id"), not zod's "Invalid key".
  const keyReason = current.code === 'invalid_key' ? current.issues[0]?.message : undefined;
  return keyReason ? { ...current, message: keyReason } : current;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = innermostIssue(result.error.issues[0]!);
  if (issue.code === 'unrecognized_keys') {
    const name = [...issue.path.map(String), issue.keys[0]!].join('.');
    throw invalidRequest(`unknown parameter '${name}'`, name, 'unknown_parameter');
  }
  const path = issuePath(issue);
  if (path !== '' && valueAt(value, issue.path) === undefined) {
    throw invalidRequest(`missing required parameter '${path}'`, path, 'missing_parameter');
  }
  throw invalidRequest(
    path === '' ? `invalid request: ${issue.message}` : `invalid '${path}': ${issue.message}`,
    path === '' ? undefined : path,
    'invalid_parameter',
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** No NUL or other C0 control characters except tab, newline and carriage return. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$/;
