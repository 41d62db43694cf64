import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { StoredFile } from './file.entity';
import { FilesRepository } from './files.repository';
import { StorageDriver } from './storage/storage-driver';
import type { UploadedPart } from './upload/storage-engine';

export interface FileContent {
  file: StoredFile;
  body: Readable;
  range?: { start: number; end: number };
}

@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);

  constructor(
    private readonly files: FilesRepository,
    private readonly storage: StorageDriver,
    private readonly config: AppConfig,
  ) {}

  async assertConversation(conversationId: string, userId: string): Promise<void> {
    if (!(await this.files.conversationOwned(conversationId, userId))) throw AppException.notFound('Conversation');
  }

  /** Checked before any byte is read: the conversation, and an hourly quota already spent. */
  async assertCanUpload(conversationId: string, userId: string): Promise<void> {
    await this.assertConversation(conversationId, userId);
    if ((await this.files.uploadedLastHour(userId)) >= this.config.files.maxBytesPerHour) throw this.quotaExceeded();
  }

  /** Records the stored parts; over the hourly quota, their objects are removed and it is 429. */
  async commit(conversationId: string, userId: string, parts: UploadedPart[]): Promise<StoredFile[]> {
    if (!parts.length) throw new AppException(ErrorCode.BadRequest, 'Send multipart/form-data with one or more `files` parts');
    const rows = parts.map((part) => ({
      userId,
      conversationId,
      filename: part.filename,
      contentType: part.contentType,
      size: part.size,
      sha256: part.sha256,
      storageKey: part.key,
    }));
    const saved = await this.files.insertWithinQuota(userId, rows, this.config.files.maxBytesPerHour).catch(async (error: unknown) => {
      await this.removeObjects(parts.map((part) => part.key));
      throw error;
    });
    if (!saved) {
      await this.removeObjects(parts.map((part) => part.key));
      throw this.quotaExceeded();
    }
    return saved;
  }

  async list(conversationId: string, userId: string, page: { limit: number; offset: number }): Promise<[StoredFile[], number]> {
    await this.assertConversation(conversationId, userId);
    return this.files.list(conversationId, userId, page);
  }

  async get(fileId: string, conversationId: string, userId: string): Promise<StoredFile> {
    const file = await this.files.findOwned(fileId, conversationId, userId);
    if (!file) throw AppException.notFound('File');
    return file;
  }

  /** The user's own files of this conversation, in the order asked; any other id is 404. */
  async getMany(fileIds: string[], conversationId: string, userId: string): Promise<StoredFile[]> {
    const unique = [...new Set(fileIds)];
    const found = await this.files.findManyOwned(unique, conversationId, userId);
    if (found.length !== unique.length) throw AppException.notFound('File');
    return unique.map((id) => found.find((file) => file.id === id)!);
  }

  /** `range`: a parsed single byte range, already checked against the size. */
  async open(file: StoredFile, range?: { start: number; end: number }): Promise<FileContent> {
    const body = await this.storage.get(file.storageKey, range);
    if (!body) throw AppException.notFound('File');
    return { file, body, range };
  }

  /** Idempotent: a file already gone is not an error (its conversation must still be the user's). */
  async delete(fileId: string, conversationId: string, userId: string): Promise<void> {
    await this.assertConversation(conversationId, userId);
    const key = await this.files.deleteOwned(fileId, conversationId, userId);
    if (key) await this.removeObjects([key]);
  }

  /** Called when a conversation is deleted: rows first, then objects (the sweep catches failures). */
  async deleteForConversation(conversationId: string, userId: string): Promise<void> {
    await this.removeObjects(await this.files.deleteForConversation(conversationId, userId));
  }

  /** Reads up to `maxBytes` of a file as UTF-8 text (tools, attachments). */
  async readText(file: StoredFile, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
    const end = Math.min(file.size, maxBytes) - 1;
    if (end < 0) return { text: '', truncated: false };
    const { body } = await this.open(file, { start: 0, end });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), truncated: file.size > maxBytes };
  }

  async readBytes(file: StoredFile): Promise<Buffer> {
    const { body } = await this.open(file);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async removeObjects(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.storage.delete(key).catch((error: unknown) => this.logger.warn({ err: error, key }, 'Could not delete a stored file; the sweep will'));
    }
  }

  private quotaExceeded(): AppException {
    const limit = this.config.files.maxBytesPerHour;
    return new AppException(ErrorCode.QuotaExceeded, `Uploads are limited to ${limit} bytes per hour`, { limit });
  }
}
