import type { Request } from 'express';
import { Strategy } from 'passport-strategy';

type Done = (error: unknown, user?: unknown, info?: unknown) => void;

/**
 * A Passport strategy that hands the whole request to its verify function (the `validate()` of
 * a Nest `PassportStrategy`): `false` fails, a thrown error errors, anything else signs in.
 */
export class RequestStrategy extends Strategy {
  constructor(private readonly verify: (req: Request, done: Done) => void) {
    super();
  }

  override authenticate(req: Request): void {
    this.verify(req, (error, user, info) => {
      if (error) return this.error(error as Error);
      if (!user) return this.fail(info, 401);
      return this.success(user, info);
    });
  }
}
