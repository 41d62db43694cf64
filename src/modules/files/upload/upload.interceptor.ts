import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../../../common/auth/auth-user';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import { FilesService } from '../files.service';
import { StorageDriver } from '../storage/storage-driver';
import { DriverStorageEngine, StorageFailure, UPLOAD_CONTEXT, UploadRequest } from './storage-engine';

/**
 * Runs multer for POST /chat/conversations/:id/files once the conversation and the hourly quota
 * are checked, so a refused upload never reaches storage. Multer's errors become ours.
 */
@Injectable()
export class UploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler;

  constructor(
    private readonly files: FilesService,
    storage: StorageDriver,
    private readonly config: AppConfig,
  ) {
    const { maxFilesPerRequest, maxBytesPerRequest } = config.files;
    this.upload = multer({
      storage: new DriverStorageEngine(storage),
      // Browsers send UTF-8 file names without saying so.
      defParamCharset: 'utf8',
      limits: { files: maxFilesPerRequest, fileSize: maxBytesPerRequest, fields: 10, fieldSize: 1024, parts: maxFilesPerRequest + 10 },
    }).array('files', maxFilesPerRequest);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<UploadRequest & { user: AuthUser }>();
    const res = context.switchToHttp().getResponse<Response>();
    const conversationId = req.params.id;
    if (typeof conversationId !== 'string' || !isUUID(conversationId)) throw AppException.notFound('Conversation');
    await this.files.assertCanUpload(conversationId, req.user.id);
    const limit = this.config.files.maxBytesPerRequest;
    req[UPLOAD_CONTEXT] = { userId: req.user.id, budget: { remaining: limit, limit } };
    await new Promise<void>((resolve, reject) => this.upload(req, res, (error: unknown) => (error ? reject(this.translate(error)) : resolve())));
    return next.handle();
  }

  private translate(error: unknown): unknown {
    if (error instanceof AppException) return error;
    if (error instanceof StorageFailure) return error.cause ?? error;
    if (error instanceof MulterError) {
      const { maxFilesPerRequest, maxBytesPerRequest } = this.config.files;
      if (error.code === 'LIMIT_FILE_COUNT' || (error.code === 'LIMIT_UNEXPECTED_FILE' && error.field === 'files')) {
        return new AppException(ErrorCode.PayloadTooLarge, `At most ${maxFilesPerRequest} files per request`, { limit: maxFilesPerRequest });
      }
      if (error.code === 'LIMIT_FILE_SIZE') return new AppException(ErrorCode.PayloadTooLarge, `Uploads are limited to ${maxBytesPerRequest} bytes per request`);
      return new AppException(ErrorCode.BadRequest, `Malformed upload: ${error.message}${error.field ? ` (${error.field})` : ''}`);
    }
    // busboy's own errors (truncated body, missing boundary) are the client's.
    if (error instanceof Error && !('status' in error)) return new AppException(ErrorCode.BadRequest, `Malformed multipart body: ${error.message}`);
    return error;
  }
}
