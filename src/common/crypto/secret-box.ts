import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

interface Key {
  id: string;
  bytes: Buffer;
}

/** ENCRYPTION_KEY is a passphrase of any length: HKDF turns it into a 256-bit key. */
function deriveKey(secret: string): Key {
  const bytes = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'agent-backend secret-box v1', 32));
  // A short fingerprint of the derived key (not of the passphrase) names it in each sealed value.
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

/**
 * Encrypts secrets at rest (API keys, webhook secrets) with AES-256-GCM under ENCRYPTION_KEY.
 * A sealed value is `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url), so after a rotation
 * values sealed under ENCRYPTION_KEY_PREVIOUS still open, and `needsResealing` tells which to
 * re-encrypt. An optional context (e.g. `user:<id>:slack`) is authenticated, so a value copied
 * to another row does not open there.
 */
@Injectable()
export class SecretBox {
  private readonly current: Key;
  private readonly keys: Map<string, Key>;

  constructor(config: AppConfig) {
    this.current = deriveKey(config.encryptionKey);
    const previous = config.encryptionKeyPrevious ? [deriveKey(config.encryptionKeyPrevious)] : [];
    this.keys = new Map([this.current, ...previous].map((key) => [key.id, key]));
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.bytes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.current.id, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  open(sealed: string, context = ''): string {
    const [version, keyId, iv, ciphertext, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length || tag === undefined) throw new SecretBoxError('not a sealed secret');
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError(`sealed under an unknown key (${keyId}); set ENCRYPTION_KEY_PREVIOUS to the key it was written with`);
    const authTag = Buffer.from(tag, 'base64url');
    if (authTag.length !== TAG_BYTES) throw new SecretBoxError('not a sealed secret');
    try {
      const decipher = createDecipheriv(ALGORITHM, key.bytes, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(authTag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret was altered, or belongs to another context');
    }
  }

  /** True when the value was sealed under an older key and should be sealed again. */
  needsResealing(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }
}
