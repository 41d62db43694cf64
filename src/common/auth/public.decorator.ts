import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { OPENAPI_MARKERS } from '../openapi/api-docs.decorators';

export const IS_PUBLIC = 'is-public';

/** The route needs no token. Everything else does (one global guard). Documented with `security: []`. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(OPENAPI_MARKERS.public, true));
