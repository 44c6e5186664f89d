/**
 * Stored responses (`store: true`, the Responses API's default): `<dataDir>/responses/<hex>.json`
 * holds the response as answered and the input items it was given, so a later request can go on
 * from it (`previous_response_id`), point at one of its items (`item_reference`, which the AI SDK
 * sends for earlier answers), or read it back (`GET /v1/responses/{id}`). Files, not memory: every
 * process of `mmkit serve --workers N` sees them, and they outlive a restart. File names are only
 * ever made from the hex of an id that matched our pattern, so no request names a path. The oldest
 * files beyond the limit are deleted as new ones arrive.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../media/atomic-file.ts';
import { itemResponseHexOf, type ResponseObject, responseHexOf } from './response-object.ts';
import type { ResponsesInputItem } from './responses-request-schema.ts';

/** An input item as stored: the request's item, references resolved, with an id of ours. */
export type StoredInputItem = ResponsesInputItem & { id: string };

export interface StoredResponse {
  response: ResponseObject;
  /** This request's input items (not those of the responses before it). */
  input: StoredInputItem[];
}

/** Saves between two looks at how many files a large store's folder holds. */
const PRUNE_EVERY = 64;
/** The most bytes the stored responses take (their input images count): the oldest go beyond it. */
const MAX_BYTES = 2 * 1024 ** 3;

export class ResponseStore {
  private savesSincePrune = PRUNE_EVERY;

  constructor(
    readonly folder: string,
    /** The most responses kept; 0 keeps none (every `store` is answered `false`). */
    readonly maxResponses: number,
    readonly maxBytes: number = MAX_BYTES,
  ) {}

  get enabled(): boolean {
    return this.maxResponses > 0;
  }

  async save(stored: StoredResponse): Promise<void> {
    const hex = responseHexOf(stored.response.id);
    if (!hex) throw new Error(`not a response id of ours: ${stored.response.id}`);
    await mkdir(this.folder, { recursive: true });
    await writeFileAtomically(join(this.folder, `${hex}.json`), Buffer.from(JSON.stringify(stored)));
    // A small store is looked at on every save; a large one every so often (it may run over a little).
    if (this.maxResponses < PRUNE_EVERY || ++this.savesSincePrune >= PRUNE_EVERY) {
      this.savesSincePrune = 0;
      await this.prune();
    }
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const hex = responseHexOf(id);
    return hex === undefined ? undefined : this.read(hex);
  }

  async delete(id: string): Promise<boolean> {
    const hex = responseHexOf(id);
    if (hex === undefined) return false;
    try {
      await rm(join(this.folder, `${hex}.json`));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** An item of a stored response, input or output, by its id. */
  async item(id: string): Promise<StoredInputItem | ResponseObject['output'][number] | undefined> {
    const hex = itemResponseHexOf(id);
    const stored = hex === undefined ? undefined : await this.read(hex);
    if (!stored) return undefined;
    return stored.input.find((item) => item.id === id) ?? stored.response.output.find((item) => item.id === id);
  }

  private async read(hex: string): Promise<StoredResponse | undefined> {
    try {
      return JSON.parse(await readFile(join(this.folder, `${hex}.json`), 'utf8')) as StoredResponse;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Deletes the oldest responses beyond the limits (a count, and `maxBytes` on disk). */
  private async prune(): Promise<void> {
    const names = (await readdir(this.folder)).filter((name) => /^[0-9a-f]{24}\.json$/.test(name));
    const files = await Promise.all(
      names.map(async (name) => {
        const info = await stat(join(this.folder, name)).catch(() => undefined);
        return { name, modified: info?.mtimeMs ?? 0, bytes: info?.size ?? 0 };
      }),
    );
    files.sort((a, b) => b.modified - a.modified);
    let bytes = 0;
    for (const [index, file] of files.entries()) {
      bytes += file.bytes;
      if (index >= this.maxResponses || bytes > this.maxBytes) await rm(join(this.folder, file.name), { force: true });
    }
  }
}
