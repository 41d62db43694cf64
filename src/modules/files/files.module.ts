import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AttachmentsService } from './attachments.service';
import { FileSharesRepository } from './file-shares.repository';
import { FileSharesService } from './file-shares.service';
import { FileSweepJob } from './file-sweep.job';
import { SharedFilesController } from './shared-files.controller';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { PdfTextService } from './pdf/pdf-text.service';
import { StorageHealthIndicator } from './storage/storage.health';
import { storageProvider } from './storage/storage.provider';
import { UploadInterceptor } from './upload/upload.interceptor';

@Module({
  imports: [TerminusModule],
  controllers: [FilesController, SharedFilesController],
  providers: [FilesService, FilesRepository, storageProvider, UploadInterceptor, FileSweepJob, AttachmentsService, FileSharesService, FileSharesRepository, StorageHealthIndicator, PdfTextService],
  exports: [FilesService, AttachmentsService, FileSharesService, PdfTextService],
})
export class FilesModule {}
