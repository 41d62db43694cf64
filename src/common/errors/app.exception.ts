import { ErrorCode, statusOf } from './error-code';

export type ErrorDetails = Record<string, unknown>;

/**
 * The one error type services throw. The global filters turn it into the error envelope
 * `{status: false, error: {code, message, details?}, request_id}` with the status of its code.
 */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppException';
  }

  get status(): number {
    return statusOf(this.code);
  }

  static notFound(what = 'Resource'): AppException {
    return new AppException(ErrorCode.ResourceNotFound, `${what} not found`);
  }

  static validation(details: Record<string, string[]>, message = 'Request validation failed'): AppException {
    return new AppException(ErrorCode.ValidationError, message, details);
  }
}
