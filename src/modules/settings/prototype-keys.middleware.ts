import type { NextFunction, Request, Response } from 'express';
import { AppException } from '../../common/errors/app.exception';

export const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Settings are merged into stored JSON key by key: a `__proto__` or `constructor` key is refused
 * (422) before validation, which would otherwise drop it silently from the parsed body.
 */
export function rejectPrototypeKeys(req: Request, _res: Response, next: NextFunction): void {
  const field = prototypeKeyIn(req.body);
  next(field ? AppException.validation({ [field]: ['is not allowed'] }) : undefined);
}

function prototypeKeyIn(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) return field;
    const nested = prototypeKeyIn((value as Record<string, unknown>)[key], field);
    if (nested) return nested;
  }
  return undefined;
}
