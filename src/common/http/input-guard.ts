import type { NextFunction, Request, Response } from 'express';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

/** Deeper than any DTO we have; deeper input only exhausts the validator's recursion (a 500). */
export const MAX_JSON_DEPTH = 32;

/**
 * Runs after the body parsers: refuses bodies nested deeper than MAX_JSON_DEPTH, and NUL
 * characters in the path, the body or the query, which PostgreSQL cannot store in text (another 500).
 * Both are 400 BAD_REQUEST before any handler sees the request.
 */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  const problem = (NUL_IN_PATH.test(req.path) ? 'The path must not contain NUL (%00) characters' : undefined) ?? inputProblem(req.body) ?? inputProblem(req.query, 4);
  next(problem ? new AppException(ErrorCode.BadRequest, problem) : undefined);
}

/** Path parameters are decoded per route, later: catch an encoded NUL in the raw path. */
const NUL_IN_PATH = /%00/i;

/** Iterative, so the check itself cannot overflow the stack. */
export function inputProblem(root: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return 'Text must not contain NUL (\\u0000) characters';
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return `Input is nested more than ${maxDepth} levels deep`;
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) return 'Text must not contain NUL (\\u0000) characters';
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}
