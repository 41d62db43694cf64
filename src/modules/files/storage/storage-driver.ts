import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  lastModified: Date;
}

/** Where file bytes live. Keys are `<user id>/<uuid>`; metadata stays in PostgreSQL. */
export abstract class StorageDriver {
  /** Streams `body` to `key`; resolves once the object is complete (never buffered whole). */
  abstract put(key: string, body: Readable, contentType?: string): Promise<void>;
  /** Bytes `start`..`end` inclusive when given (HTTP ranges); null when the object is gone. */
  abstract get(key: string, range?: { start: number; end: number }): Promise<Readable | null>;
  /** Succeeds when the object is already gone (deletes are idempotent). */
  abstract delete(key: string): Promise<void>;
  /** Every object, for the sweep. */
  abstract list(): AsyncIterable<StoredObject>;
  /** Throws when the store cannot be reached or written (health). */
  abstract probe(): Promise<void>;
}
