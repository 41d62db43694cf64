import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { requestIdOf } from '../http/request-id';
import { AppException } from './app.exception';
import { errorBody, normalizeError } from './error-body';
import { ErrorCode } from './error-code';

const logger = new Logger('HttpError');

/** Writes the error envelope for anything thrown while handling a request. */
export function writeHttpError(error: unknown, req: Request, res: Response): void {
  const { exception, unexpected } = normalizeError(error);
  if (unexpected) logger.error({ err: error, request_id: requestIdOf(req) }, 'Unhandled error');
  if (res.headersSent) {
    // A stream already started: the status line is gone, so end it; SSE writers send their own error event.
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(exception.headers ?? {})) res.setHeader(name, value);
  res.status(exception.status).json(errorBody(exception, requestIdOf(req)));
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    writeHttpError(error, http.getRequest<Request>(), http.getResponse<Response>());
  }
}

/**
 * The last Express handler: Nest answers unknown routes only under the /api prefix, so any
 * other path (`/nope`) would get Express's HTML page instead of the error envelope.
 */
export function notFoundHandler(req: Request, res: Response): void {
  writeHttpError(new AppException(ErrorCode.ResourceNotFound, `Cannot ${req.method} ${req.path}`), req, res);
}

/** Express error middleware for failures before Nest's router (body parsing, size limits). */
export function expressErrorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  writeHttpError(error, req, res);
}
