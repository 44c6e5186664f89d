/**
 * Edits a protobuf message by splicing: untouched fields are copied as the byte ranges they were
 * read from (unknown fields, doc strings, functions, metadata all survive exactly), replaced fields
 * are re-encoded, and edited sub-messages get new length prefixes. The result is a list of chunks,
 * mostly views into the original buffer, written to a file without ever being joined in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ProtoWriter } from './protobuf.ts';
import type { ProtoField } from './protobuf-reader.ts';

export interface MessageEdit {
  bytes: Uint8Array;
  fields: readonly ProtoField[];
  /** A field's replacement: complete encoded fields (none removes it), or an edit of its payload. */
  replace: Map<ProtoField, Uint8Array[] | MessageEdit>;
  /** Complete encoded fields inserted right after a field (e.g. new nodes after their producer). */
  insertAfter: Map<ProtoField, Uint8Array[]>;
  /** Complete encoded fields added after the last one. */
  append: Uint8Array[];
}

export function messageEdit(bytes: Uint8Array, fields: readonly ProtoField[]): MessageEdit {
  return { bytes, fields, replace: new Map(), insertAfter: new Map(), append: [] };
}

/** The tag and length of a length-delimited field, ahead of a payload of `length` bytes. */
function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  return concat([encodeVarint(field * 8 + 2), encodeVarint(length)]);
}

function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface EncodedChunks {
  chunks: Uint8Array[];
  length: number;
}

export function encodeEdit(edit: MessageEdit): EncodedChunks {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (chunk: Uint8Array) => {
    if (chunk.length === 0) return;
    chunks.push(chunk);
    length += chunk.length;
  };
  // Contiguous untouched fields are copied as one range.
  let runStart = -1;
  let runEnd = -1;
  const flushRun = () => {
    if (runStart >= 0) push(edit.bytes.subarray(runStart, runEnd));
    runStart = -1;
  };
  for (const field of edit.fields) {
    const replacement = edit.replace.get(field);
    const inserted = edit.insertAfter.get(field);
    if (replacement === undefined) {
      if (runStart >= 0 && runEnd === field.start) runEnd = field.end;
      else {
        flushRun();
        runStart = field.start;
        runEnd = field.end;
      }
    } else {
      flushRun();
      if (Array.isArray(replacement)) {
        for (const chunk of replacement) push(chunk);
      } else {
        const inner = encodeEdit(replacement);
        push(lengthDelimitedHeader(field.field, inner.length));
        for (const chunk of inner.chunks) push(chunk);
      }
    }
    if (inserted) {
      flushRun();
      for (const chunk of inserted) push(chunk);
    }
  }
  flushRun();
  for (const chunk of edit.append) push(chunk);
  return { chunks, length };
}

/** A complete length-delimited field holding an encoded message. */
export function messageField(field: number, message: ProtoWriter): Uint8Array {
  return new ProtoWriter().message(field, message).finish();
}

const WRITE_BUFFER_BYTES = 1 << 20;

/** Writes the chunks to `path` in order, batching small ones (a model has many small fields). */
export function writeChunks(path: string, chunks: readonly Uint8Array[]): void {
  const descriptor = openSync(path, 'w');
  try {
    const buffer = new Uint8Array(WRITE_BUFFER_BYTES);
    let filled = 0;
    const writeAll = (data: Uint8Array) => {
      let done = 0;
      while (done < data.length) done += writeSync(descriptor, data, done, data.length - done);
    };
    for (const chunk of chunks) {
      if (filled + chunk.length > buffer.length) {
        writeAll(buffer.subarray(0, filled));
        filled = 0;
      }
      if (chunk.length >= buffer.length) writeAll(chunk);
      else {
        buffer.set(chunk, filled);
        filled += chunk.length;
      }
    }
    writeAll(buffer.subarray(0, filled));
  } finally {
    closeSync(descriptor);
  }
}

/** The edited message as one buffer (small models, tests). */
export function joinEdit(edit: MessageEdit): Uint8Array {
  return concat(encodeEdit(edit).chunks);
}
