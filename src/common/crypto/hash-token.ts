import { createHash } from 'node:crypto';

/** SHA-256 (hex) of an opaque token: what is stored in place of refresh, reset and consent tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
