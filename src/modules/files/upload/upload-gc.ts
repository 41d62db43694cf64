import { Readable, Transform } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Upload bytes between two young-generation collections. */
export const UPLOAD_GC_BYTES = 8 * 1024 * 1024;

type Gc = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: Gc | undefined;
let sinceLast = 0;
let scheduled = false;

/**
 * Why uploads collect their own garbage: Node's HTTP parser copies every body chunk into a fresh
 * buffer outside V8's heap, freed only when its small JS wrapper is collected. An upload
 * allocates almost nothing on the JS heap, so no collection comes from there, and V8 starts one
 * for external memory only past ~64 MB of it (its soft limit): that garbage, not the uploads in
 * flight, was the server's RSS growth (62 MB for 10 x 10 MB). A young-generation collection
 * every UPLOAD_GC_BYTES frees the chunks early; it costs about a millisecond (only the young
 * generation is visited). `gc` is reached the way Jest does (--expose-gc, then a new context).
 */
export function noteUploadBytes(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < UPLOAD_GC_BYTES || scheduled) return;
  sinceLast = 0;
  scheduled = true;
  // After the current chunk is handed on, so that it is garbage too.
  setImmediate(() => {
    scheduled = false;
    collector()({ type: 'minor' });
  });
}

/** `source` with its bytes counted like an upload's (fs reads are fresh 64 KB buffers too). */
export function countedForGc(source: Readable): Readable {
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      noteUploadBytes(chunk.length);
      callback(null, chunk);
    },
  });
  source.once('error', (error) => counted.destroy(error));
  return source.pipe(counted);
}

function collector(): Gc {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  return gc;
}
