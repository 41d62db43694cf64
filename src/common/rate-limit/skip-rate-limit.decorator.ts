import { applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { OPENAPI_MARKERS } from '../openapi/api-docs.decorators';

/** The route is outside every rate limit (health probes), and documented without a 429. */
export const SkipRateLimit = () => applyDecorators(SkipThrottle(), ApiExtension(OPENAPI_MARKERS.notRateLimited, true));
