import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import { Observable, map } from 'rxjs';
import { OPENAPI_MARKERS } from '../openapi/api-docs.decorators';
import { Envelope, SuccessBody } from './envelope';
import { routeMetadataReader } from './route-metadata';

const RAW_RESPONSE = 'raw-response';

/** The route answers its own body (health checks, SSE, downloads): no success envelope. */
export const RawResponse = () => applyDecorators(SetMetadata(RAW_RESPONSE, true), ApiExtension(OPENAPI_MARKERS.raw, true));

@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  private readonly isRaw: (context: ExecutionContext) => boolean | undefined;

  constructor(reflector: Reflector) {
    this.isRaw = routeMetadataReader<boolean>(reflector, RAW_RESPONSE);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    if (this.isRaw(context)) return next.handle();
    return next.handle().pipe(map((value: unknown) => wrap(value)));
  }
}

/** The success envelope for a value; also used by handlers that write the response themselves. */
export function wrap(value: unknown): unknown {
  if (value instanceof StreamableFile) return value;
  if (value instanceof Envelope) {
    const body: SuccessBody<unknown> = { status: true, data: value.data };
    if (value.extra.message) body.message = value.extra.message;
    if (value.extra.pagination) body.pagination = value.extra.pagination;
    return body;
  }
  return { status: true, data: value ?? null } satisfies SuccessBody<unknown>;
}
