import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { sniffContentType, SNIFF_BYTES } from './content-type';
import { noteUploadBytes } from './upload-gc';

/**
 * Passes a file's bytes through while hashing and counting them. It holds back only the first
 * SNIFF_BYTES until the type is known, and fails the stream (415) when the type is not allowed,
 * or (413) when `budget.remaining` runs out (the request's byte limit, shared by its files).
 */
export class SniffingStream extends Transform {
  // Not `size`: @aws-sdk/lib-storage reads a body's `size` as its total length.
  bytesRead = 0;
  contentType?: string;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headBytes = 0;

  constructor(
    private readonly filename: string,
    private readonly declared: string,
    private readonly budget: { remaining: number; limit: number },
  ) {
    super();
  }

  /** Call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytesRead += chunk.length;
    noteUploadBytes(chunk.length);
    this.budget.remaining -= chunk.length;
    if (this.budget.remaining < 0) {
      callback(new AppException(ErrorCode.PayloadTooLarge, `Uploads are limited to ${this.budget.limit} bytes per request`, { limit: this.budget.limit }));
      return;
    }
    this.hash.update(chunk);
    if (this.contentType) {
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) {
      callback();
      return;
    }
    this.decide(false, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.contentType) callback();
    else this.decide(true, callback);
  }

  private decide(complete: boolean, callback: TransformCallback): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    sniffContentType(head, complete, this.filename, this.declared).then(
      (type) => {
        if (!type) {
          callback(new AppException(ErrorCode.UnsupportedMediaType, `"${this.filename}" is not an allowed file type (images, PDF, text, Markdown, CSV, JSON, Office documents)`));
          return;
        }
        this.contentType = type;
        callback(null, head);
      },
      (error: Error) => callback(error),
    );
  }
}
