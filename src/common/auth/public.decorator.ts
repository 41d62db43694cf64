import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'is-public';

/** The route needs no token. Everything else does (one global guard). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
