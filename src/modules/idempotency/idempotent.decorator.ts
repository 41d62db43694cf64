import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IDEMPOTENT_OPTIONS, IdempotencyInterceptor, type IdempotentOptions } from './idempotency.interceptor';

/**
 * Honours `Idempotency-Key` on a creating POST: a repeat replays the first response (status
 * and body) for 24 h, another body with the same key is 422 IDEMPOTENCY_KEY_REUSED, a repeat
 * while the first still runs is 409 CONFLICT. Streamed routes use `idempotencyOf(req)`.
 */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_OPTIONS, options),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'A unique key per operation (e.g. a UUID); a retry with the same key and body replays the first response for 24 h.',
    }),
  );
