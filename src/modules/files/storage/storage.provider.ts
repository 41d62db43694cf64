import type { Provider } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { LocalStorage } from './local-storage';
import { S3Storage } from './s3-storage';
import { StorageDriver } from './storage-driver';

/** STORAGE_DRIVER picks where bytes go: `local` (FILE_STORAGE_DIR) or `s3` (S3_*). */
export const storageProvider: Provider = {
  provide: StorageDriver,
  inject: [AppConfig],
  useFactory: (config: AppConfig): StorageDriver =>
    config.files.driver === 's3' ? new S3Storage(config.files.s3) : new LocalStorage(config.files.dir),
};
