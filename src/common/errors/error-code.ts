import { HttpStatus } from '@nestjs/common';

/** Every error the API can answer with. DESIGN.md section 4 is the source of truth. */
export enum ErrorCode {
  AuthenticationRequired = 'AUTHENTICATION_REQUIRED',
  TokenExpired = 'TOKEN_EXPIRED',
  AccessDenied = 'ACCESS_DENIED',
  ResourceNotFound = 'RESOURCE_NOT_FOUND',
  Conflict = 'CONFLICT',
  ValidationError = 'VALIDATION_ERROR',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  RateLimitExceeded = 'RATE_LIMIT_EXCEEDED',
  QuotaExceeded = 'QUOTA_EXCEEDED',
  BadRequest = 'BAD_REQUEST',
  CsrfFailed = 'CSRF_FAILED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  ConnectionLimit = 'CONNECTION_LIMIT',
  /** The model provider failed or timed out. */
  ProviderError = 'PROVIDER_ERROR',
  InternalError = 'INTERNAL_ERROR',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
}

/** Exhaustive: adding a code without a status is a compile error. */
export function statusOf(code: ErrorCode): HttpStatus {
  switch (code) {
    case ErrorCode.AuthenticationRequired:
    case ErrorCode.TokenExpired:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.AccessDenied:
    case ErrorCode.CsrfFailed:
      return HttpStatus.FORBIDDEN;
    case ErrorCode.ResourceNotFound:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.Conflict:
      return HttpStatus.CONFLICT;
    case ErrorCode.ValidationError:
    case ErrorCode.IdempotencyKeyReused:
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case ErrorCode.PayloadTooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case ErrorCode.UnsupportedMediaType:
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case ErrorCode.RateLimitExceeded:
    case ErrorCode.QuotaExceeded:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.BadRequest:
    case ErrorCode.ConnectionLimit:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.ProviderError:
      return HttpStatus.BAD_GATEWAY;
    case ErrorCode.InternalError:
      return HttpStatus.INTERNAL_SERVER_ERROR;
    case ErrorCode.ServiceUnavailable:
      return HttpStatus.SERVICE_UNAVAILABLE;
    default: {
      const unmapped: never = code;
      throw new Error(`Unmapped error code ${String(unmapped)}`);
    }
  }
}
