import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

type Target = object;

/**
 * `reflector.getAllAndOverride(key, [handler, class])`, read once per route instead of on every
 * request: route metadata is fixed once the app is built, and the per-request reflect lookups
 * showed up in the request path's profile. Cached per (class, handler), so an inherited
 * handler under another class's decorators gets its own answer.
 */
export function routeMetadataReader<T>(reflector: Reflector, key: string): (context: ExecutionContext) => T | undefined {
  const cache = new WeakMap<Target, Map<Target, T | undefined>>();
  return (context) => {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let perClass = cache.get(classRef);
    if (!perClass) cache.set(classRef, (perClass = new Map()));
    if (perClass.has(handler)) return perClass.get(handler);
    const value = reflector.getAllAndOverride<T | undefined>(key, [handler, classRef]);
    perClass.set(handler, value);
    return value;
  };
}
