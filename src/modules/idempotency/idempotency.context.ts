import type { Request } from 'express';

/**
 * What an @Idempotent() route with a streamed answer needs: `reattach` is set when this request
 * repeats one that started a stream (answer by re-attaching to it); `streaming()` records the
 * stream a first request started, instead of a stored body.
 */
export interface IdempotencyContext {
  reattach?: Record<string, unknown>;
  streaming(reference: Record<string, unknown>): Promise<void>;
}

const CONTEXT = Symbol('idempotency');

export function setIdempotencyContext(req: Request, context: IdempotencyContext): void {
  (req as unknown as Record<symbol, IdempotencyContext>)[CONTEXT] = context;
}

/** The request's Idempotency-Key context; undefined when it carried no key. */
export function idempotencyOf(req: Request): IdempotencyContext | undefined {
  return (req as unknown as Record<symbol, IdempotencyContext | undefined>)[CONTEXT];
}
