/**
 * Names of stored files. The server makes every name itself (UTC timestamp + 64 random bits +
 * the extension of the format sniffed from the bytes), so a name can be checked against one strict
 * pattern before it ever reaches the file system: no separators, no dots but the extension's, no
 * encodings, nothing a client chose.
 */
import { randomBytes } from 'node:crypto';

export const STORED_FORMATS = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  webm: 'audio/webm',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  aiff: 'audio/aiff',
} as const;

export type StoredExtension = keyof typeof STORED_FORMATS;

const STORED_NAME = /^\d{8}T\d{9}Z-[0-9a-f]{16}\.([a-z0-9]{2,4})$/;

/** `20250131T235959123Z-0123456789abcdef.png` */
export function newStoredName(extension: StoredExtension, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(8).toString('hex')}.${extension}`;
}

/** The extension of a valid stored name, or undefined for anything else. */
export function storedNameExtension(name: string): StoredExtension | undefined {
  const match = STORED_NAME.exec(name);
  if (!match) return undefined;
  return Object.hasOwn(STORED_FORMATS, match[1]) ? (match[1] as StoredExtension) : undefined;
}

export function contentTypeOf(extension: StoredExtension): string {
  return STORED_FORMATS[extension];
}
