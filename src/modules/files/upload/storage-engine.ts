import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { AppException } from '../../../common/errors/app.exception';
import { StorageDriver } from '../storage/storage-driver';
import { sanitizeFilename } from './content-type';
import { SniffingStream } from './sniffing-stream';

/** What multer puts in `req.files` for each stored part. */
export interface UploadedPart {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** Set on the request before multer runs: the owner (storage key prefix) and the byte budget. */
export interface UploadContext {
  userId: string;
  budget: { remaining: number; limit: number };
}

/** Storing failed for a reason of ours (storage down): a 500, never the client's 400. */
export class StorageFailure extends Error {
  constructor(cause: unknown) {
    super('storing the upload failed', { cause });
  }
}

export const UPLOAD_CONTEXT = Symbol('upload-context');
export type UploadRequest = Request & { [UPLOAD_CONTEXT]?: UploadContext };

/**
 * A multer storage engine that streams each part through the sniffer into the storage driver:
 * nothing is held in memory beyond the sniffed head and the driver's own buffers. A part that
 * fails (type, size, client gone) removes what it wrote; multer then calls `_removeFile` for
 * the parts already stored, so a refused request leaves nothing behind.
 */
export class DriverStorageEngine implements StorageEngine {
  constructor(private readonly driver: StorageDriver) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const context = (req as UploadRequest)[UPLOAD_CONTEXT];
    if (!context) {
      callback(new Error('upload context missing'));
      return;
    }
    const filename = sanitizeFilename(file.originalname);
    const key = `${context.userId}/${randomUUID()}`;
    const sniffer = new SniffingStream(filename, file.mimetype, context.budget);
    const stored = this.driver.put(key, sniffer);
    const piped = pipeline(file.stream, sniffer);
    Promise.all([piped, stored]).then(
      () => {
        const part: UploadedPart = { key, filename, contentType: sniffer.contentType!, size: sniffer.bytesRead, sha256: sniffer.digest() };
        callback(null, part as unknown as Partial<Express.Multer.File>);
      },
      async (error: unknown) => {
        // Either side may have failed first: stop both, wait for the driver, then remove.
        sniffer.destroy();
        const [reading] = await Promise.allSettled([piped, stored]);
        await this.driver.delete(key).catch(() => undefined);
        // The client's fault (type, size) wins over what it caused downstream; the rest is ours.
        const cause = reading.status === 'rejected' && reading.reason instanceof AppException ? reading.reason : error;
        callback(cause instanceof AppException ? cause : new StorageFailure(cause));
      },
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { key } = file as unknown as UploadedPart;
    this.driver.delete(key).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }
}
