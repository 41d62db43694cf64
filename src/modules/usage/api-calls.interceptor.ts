import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import { ApiCallCounter } from './api-calls.counter';

/** `/api/v1/chat/conversations/:id` and `/api/chat/conversations/:id` count as one route. */
export function routeTemplate(path: string): string {
  return path.replace(/^\/api(?=\/|$)/, '').replace(/^\/v\d+(?=\/|$)/, '') || '/';
}

/**
 * Counts each authenticated call that reaches a handler, under its route template (never the
 * raw URL: ids would make every call its own route). Anonymous calls are nobody's usage.
 */
@Injectable()
export class ApiCallsInterceptor implements NestInterceptor {
  constructor(private readonly counter: ApiCallCounter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
      const path = (req.route as { path?: unknown } | undefined)?.path;
      if (req.user?.id && typeof path === 'string') this.counter.count(req.user.id, req.method, routeTemplate(path));
    }
    return next.handle();
  }
}
