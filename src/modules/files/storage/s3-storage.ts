import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../../../config/app-config';
import { countedForGc } from '../upload/upload-gc';
import { StorageDriver, StoredObject } from './storage-driver';

/** S3's limit for one PUT; bigger objects go up in parts. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;
const MIN_PART = 5 * 1024 ** 2;

/**
 * Any S3-compatible store (AWS, MinIO, R2...). An upload is spooled to a temp file, then sent
 * with its length: S3 needs a part's length before its bytes, so streaming a body of unknown
 * length means holding 5 MB parts in memory (10 concurrent uploads: ~100-170 MB measured), where
 * a spool costs a file handle and a few 64 KB buffers. The object appears only once complete.
 */
export class S3Storage extends StorageDriver {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(s3: AppConfig['files']['s3']) {
    super();
    this.bucket = s3.bucket!;
    this.client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      // Checksums only where S3 requires them: many S3-compatible stores reject or mangle the
      // aws-chunked trailers the SDK would otherwise add to streamed parts.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    });
  }

  async put(key: string, body: Readable, contentType?: string): Promise<void> {
    const spool = join(tmpdir(), `upload-${randomUUID()}`);
    try {
      await pipeline(body, createWriteStream(spool, { flags: 'wx', mode: 0o600 }));
      const { size } = await stat(spool);
      const params = { Bucket: this.bucket, Key: key, Body: countedForGc(createReadStream(spool)), ContentType: contentType };
      if (size <= MAX_SINGLE_PUT) {
        await this.client.send(new PutObjectCommand({ ...params, ContentLength: size }));
      } else {
        // queueSize 1: two parts in memory at most, for the rare object over 5 GB.
        await new Upload({ client: this.client, params, queueSize: 1, partSize: Math.max(MIN_PART, Math.ceil(size / 10_000)) }).done();
      }
    } finally {
      await rm(spool, { force: true });
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable | null> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async probe(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(3000) });
  }

  destroy(): void {
    this.client.destroy();
  }
}
