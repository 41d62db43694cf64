import { ParseUUIDPipe } from '@nestjs/common';
import { AppException } from '../errors/app.exception';

/** A path id that is not a UUID names nothing: RESOURCE_NOT_FOUND, like any other unknown id. */
export const ParseIdPipe = (what = 'Resource') => new ParseUUIDPipe({ exceptionFactory: () => AppException.notFound(what) });
