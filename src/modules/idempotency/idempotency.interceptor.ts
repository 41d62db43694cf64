import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, mergeMap, Observable, of } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { Envelope } from '../../common/http/envelope';
import { setIdempotencyContext } from './idempotency.context';
import { IdempotencyService } from './idempotency.service';

export const IDEMPOTENT_OPTIONS = 'idempotent-options';

export interface IdempotentOptions {
  /**
   * What makes two requests "the same" (hashed): the JSON body by default. Uploads pass their
   * files' sha256 list; put the decorator after the upload interceptor so the files are parsed.
   */
  fingerprint?: (req: Request) => unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** See `@Idempotent()`. Requests without the header pass straight through. */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const res = context.switchToHttp().getResponse<Response>();
    const key = req.headers['idempotency-key'];
    const user = req.user;
    if (key === undefined || !user) return next.handle();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw AppException.validation({ 'Idempotency-Key': ['must be 1 to 255 visible ASCII characters'] });
    }
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT_OPTIONS, context.getHandler()) ?? {};
    // /api/v1/x and its unversioned alias /api/x are one route: one scope.
    const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
    const scope = `${req.method} ${route.replace(/^\/api\/v\d+\//, '/api/')}`;
    const fingerprint = options.fingerprint ? options.fingerprint(req) : (req.body ?? null);

    return from(this.idempotency.begin(user.id, scope, key, fingerprint)).pipe(
      mergeMap((begin) => {
        if (begin.kind === 'replay') {
          res.setHeader('Idempotent-Replayed', 'true');
          if (writesOwnResponse(context)) {
            res.status(begin.status).json(begin.body);
            return of(undefined);
          }
          // Nest answers with the route's own status code, which is the one stored.
          const body = begin.body as { data?: unknown; message?: string; pagination?: Envelope<unknown>['extra']['pagination'] };
          return of(new Envelope(body.data ?? null, { message: body.message, pagination: body.pagination }));
        }
        if (begin.kind === 'reattach') {
          res.setHeader('Idempotent-Replayed', 'true');
          setIdempotencyContext(req, { reattach: begin.reference, streaming: async () => undefined });
          return next.handle();
        }
        this.track(begin.id, user.id, req, res);
        return next.handle();
      }),
    );
  }

  /**
   * Stores the response before it is sent (whoever sends it: Nest, the handler, the error
   * filter), so a retry arriving right after the answer finds it. Streams record their reply
   * through the request's context; anything else frees the key when the response closes.
   */
  private track(id: string, userId: string, req: Request, res: Response): void {
    let settled = false;
    const original = res.json.bind(res);
    res.json = (body: unknown) => {
      res.json = original;
      settled = true;
      const status = res.statusCode;
      void this.idempotency
        .finish(id, userId, status, body)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Could not store the Idempotency-Key response'))
        .finally(() => original(body));
      return res;
    };
    setIdempotencyContext(req, {
      streaming: async (reference) => {
        settled = true;
        // A bookkeeping failure must not fail the stream; the retry then runs anew.
        await this.idempotency.streaming(id, userId, reference).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not record the streamed reply'));
      },
    });
    res.once('close', () => {
      if (!settled) void this.idempotency.release(id, userId).catch(() => undefined);
    });
  }
}

/** True for handlers that take `@Res()` without passthrough: Nest leaves the response to them. */
function writesOwnResponse(context: ExecutionContext): boolean {
  const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ?? {};
  const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
  const passthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, context.getClass(), context.getHandler().name) === true;
  return types.some((type) => type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT) && !passthrough;
}
