/**
 * A small `multipart/form-data` reader for the test server: enough to check what a client uploaded
 * (fields, repeated fields, one or more files) byte for byte.
 */

export interface MultipartFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MultipartForm {
  /** Field name → every value sent under it, in order (`timestamp_granularities[]` repeats). */
  fields: Record<string, string[]>;
  files: Record<string, MultipartFile>;
}

export function parseMultipart(body: Buffer, contentType: string): MultipartForm {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundaryMatch) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${boundaryMatch[1] ?? boundaryMatch[2]}`);
  const form: MultipartForm = { fields: {}, files: {} };
  let position = body.indexOf(delimiter);
  while (position !== -1) {
    const partStart = position + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break; // The closing delimiter.
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) throw new Error('multipart body ends without its closing boundary');
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF, then the next delimiter.
    const part = body.subarray(partStart + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) throw new Error('multipart part without headers');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw new Error('multipart part without a name');
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (filename !== undefined) {
      const partType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream';
      form.files[name] = { filename, contentType: partType.trim(), data: Buffer.from(content) };
    } else {
      form.fields[name] ??= [];
      form.fields[name].push(content.toString('utf8'));
    }
    position = next;
  }
  return form;
}
