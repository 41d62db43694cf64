import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { AppException } from '../errors/app.exception';

const OPS_PATHS = /^\/(api\/(health|live|ready)|metrics)\/?$/;

/**
 * APP_ROLE=worker: the instance runs jobs and answers health checks only; every other route is
 * RESOURCE_NOT_FOUND, so a worker put behind the load balancer by mistake serves nothing.
 */
@Injectable()
export class WorkerRoleMiddleware implements NestMiddleware {
  constructor(private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    // originalUrl: Nest mounts middleware on a path, which Express strips from req.path.
    if (this.config.role !== 'worker' || OPS_PATHS.test(req.originalUrl.split('?')[0])) return next();
    throw AppException.notFound('Route');
  }
}
