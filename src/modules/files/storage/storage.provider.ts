import type { Provider } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { LocalStorage } from './local-storage';
import { StorageDriver } from './storage-driver';

/**
 * STORAGE_DRIVER picks where bytes go: `local` (FILE_STORAGE_DIR) or `s3` (S3_*). The AWS SDK
 * (~5 MB of heap, ~30 MB of RSS) is loaded only when the driver is `s3`.
 */
export const storageProvider: Provider = {
  provide: StorageDriver,
  inject: [AppConfig],
  useFactory: async (config: AppConfig): Promise<StorageDriver> =>
    config.files.driver === 's3' ? new (await import('./s3-storage.js')).S3Storage(config.files.s3) : new LocalStorage(config.files.dir),
};
