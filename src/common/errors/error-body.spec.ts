import { HttpException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException } from './app.exception';
import { errorBody, normalizeError } from './error-body';
import { ErrorCode, statusOf } from './error-code';

describe(normalizeError.name, () => {
  it('keeps an AppException as it is', () => {
    const error = new AppException(ErrorCode.Conflict, 'busy');
    expect(normalizeError(error)).toEqual({ exception: error, unexpected: false });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(normalizeError(new NotFoundException('Cannot GET /x')).exception.code).toBe(ErrorCode.ResourceNotFound);
    expect(normalizeError(new HttpException('slow down', 429)).exception.code).toBe(ErrorCode.RateLimitExceeded);
  });

  it('turns a database error into INTERNAL_ERROR without its SQL', () => {
    const sqlError = new QueryFailedError('SELECT password_hash FROM users', [], new Error('boom'));
    const { exception, unexpected } = normalizeError(sqlError);
    expect(unexpected).toBe(true);
    expect(exception.code).toBe(ErrorCode.InternalError);
    expect(JSON.stringify(errorBody(exception, 'r1'))).not.toContain('password_hash');
  });

  it('maps body-parser failures to client errors', () => {
    expect(normalizeError(Object.assign(new SyntaxError('x'), { type: 'entity.parse.failed' })).exception.code).toBe(
      ErrorCode.BadRequest,
    );
    expect(normalizeError(Object.assign(new Error('x'), { type: 'entity.too.large' })).exception.code).toBe(
      ErrorCode.PayloadTooLarge,
    );
  });
});

describe(statusOf.name, () => {
  it('gives every code a status', () => {
    for (const code of Object.values(ErrorCode)) expect(statusOf(code)).toBeGreaterThanOrEqual(400);
  });
});
