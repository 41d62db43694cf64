import { SetMetadata } from '@nestjs/common';

export const AUTH_RATE_LIMIT = 'auth-rate-limit';

/** Routes under the stricter per-IP auth budget (RATE_LIMIT_AUTH_PER_MINUTE). */
export const AuthRateLimit = () => SetMetadata(AUTH_RATE_LIMIT, true);
