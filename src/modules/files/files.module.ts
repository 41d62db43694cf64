import { Module } from '@nestjs/common';
import { FileSweepJob } from './file-sweep.job';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { storageProvider } from './storage/storage.provider';
import { UploadInterceptor } from './upload/upload.interceptor';

@Module({
  controllers: [FilesController],
  providers: [FilesService, FilesRepository, storageProvider, UploadInterceptor, FileSweepJob],
  exports: [FilesService],
})
export class FilesModule {}
