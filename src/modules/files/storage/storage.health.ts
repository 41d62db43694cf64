import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../../../config/app-config';
import { HealthRegistry } from '../../health/health.registry';
import { StorageDriver } from './storage-driver';

/** File storage in /api/health (not readiness: chat works without uploads). */
@Injectable()
export class StorageHealthIndicator implements OnModuleInit {
  constructor(
    private readonly storage: StorageDriver,
    private readonly health: HealthIndicatorService,
    private readonly registry: HealthRegistry,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(async () => {
      const indicator = this.health.check('storage');
      const driver = this.config.files.driver;
      try {
        await this.storage.probe();
        return indicator.up({ driver });
      } catch (error) {
        // The error's class only: an S3 message can carry the endpoint or bucket layout.
        return indicator.down({ driver, error: error instanceof Error ? error.name : 'unreachable' });
      }
    });
  }
}
