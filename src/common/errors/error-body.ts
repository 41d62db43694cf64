import { HttpException, HttpStatus } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../database/pg-errors';
import { AppException } from './app.exception';
import { ErrorCode } from './error-code';

export interface ErrorBody {
  status: false;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  request_id: string;
}

/** Errors raised by body-parser, keyed by its `type`, that a client caused. */
const BODY_PARSER_ERRORS: Record<string, [ErrorCode, string]> = {
  'entity.parse.failed': [ErrorCode.BadRequest, 'Malformed JSON in request body'],
  'entity.too.large': [ErrorCode.PayloadTooLarge, 'Request body is too large'],
  'encoding.unsupported': [ErrorCode.UnsupportedMediaType, 'Unsupported content encoding'],
  'charset.unsupported': [ErrorCode.UnsupportedMediaType, 'Unsupported charset'],
  'request.aborted': [ErrorCode.BadRequest, 'Request aborted'],
};

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.BadRequest,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.AuthenticationRequired,
  [HttpStatus.FORBIDDEN]: ErrorCode.AccessDenied,
  [HttpStatus.NOT_FOUND]: ErrorCode.ResourceNotFound,
  [HttpStatus.METHOD_NOT_ALLOWED]: ErrorCode.ResourceNotFound,
  [HttpStatus.CONFLICT]: ErrorCode.Conflict,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PayloadTooLarge,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ErrorCode.UnsupportedMediaType,
  [HttpStatus.UNPROCESSABLE_ENTITY]: ErrorCode.ValidationError,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RateLimitExceeded,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.ServiceUnavailable,
};

export interface NormalizedError {
  exception: AppException;
  /** True when the error is ours to fix (logged with its stack), false when the client caused it. */
  unexpected: boolean;
}

/** Maps anything thrown to an AppException; unknown errors become INTERNAL_ERROR without internals. */
export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof AppException) return { exception: error, unexpected: false };

  const parserType = (error as { type?: unknown } | null)?.type;
  if (typeof parserType === 'string' && parserType in BODY_PARSER_ERRORS) {
    const [code, message] = BODY_PARSER_ERRORS[parserType];
    return { exception: new AppException(code, message), unexpected: false };
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.InternalError : ErrorCode.BadRequest);
    const message = status >= 500 ? 'Internal server error' : httpExceptionMessage(error);
    return { exception: new AppException(code, message), unexpected: status >= 500 };
  }

  if (isDatabaseUnavailable(error)) {
    return { exception: new AppException(ErrorCode.ServiceUnavailable, 'The database is unavailable; retry shortly', undefined, { 'Retry-After': '5' }), unexpected: false };
  }
  return { exception: new AppException(ErrorCode.InternalError, 'Internal server error'), unexpected: true };
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}

export function errorBody(exception: AppException, requestId: string): ErrorBody {
  const error: ErrorBody['error'] = { code: exception.code, message: exception.message };
  if (exception.details) error.details = exception.details;
  return { status: false, error, request_id: requestId };
}
