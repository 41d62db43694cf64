import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../common/crypto/hash-token';
import { AppException } from '../../common/errors/app.exception';
import { AppConfig } from '../../config/app-config';
import { StoredFile } from './file.entity';
import { FileSharesRepository } from './file-shares.repository';

export const SHARED_FILES_PATH = '/api/v1/files/shared';

/** Expiring links to one file (share_file tool, after consent), answered without login. */
@Injectable()
export class FileSharesService {
  constructor(
    private readonly shares: FileSharesRepository,
    private readonly config: AppConfig,
  ) {}

  async create(file: StoredFile, options: { singleUse: boolean }): Promise<{ url: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.files.shareTtlSeconds * 1000);
    await this.shares.create({ fileId: file.id, userId: file.userId, tokenHash: hashToken(token), expiresAt, singleUse: options.singleUse });
    return { url: `${this.config.sso.publicUrl ?? ''}${SHARED_FILES_PATH}/${token}`, expiresAt };
  }

  /** 404 for an unknown, expired, spent or deleted link alike. */
  async redeem(token: string): Promise<StoredFile> {
    const file = /^[\w-]{43}$/.test(token) ? await this.shares.redeem(hashToken(token)) : null;
    if (!file) throw AppException.notFound('Shared file');
    return file;
  }
}
