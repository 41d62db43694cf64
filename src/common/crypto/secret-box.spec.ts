import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env.schema';
import { SecretBox, SecretBoxError } from './secret-box';

const OLD = 'old-encryption-key-0123456789abcdefghij';
const NEW = 'new-encryption-key-0123456789abcdefghij';
const box = (env: Record<string, string>) => new SecretBox(new AppConfig(validateEnv(env)));

describe(SecretBox.name, () => {
  const sut = box({ ENCRYPTION_KEY: NEW });

  it('round-trips, with a fresh IV each time and no plaintext in the output', () => {
    const first = sut.seal('sk-live-secret', 'user:1:slack');
    const second = sut.seal('sk-live-secret', 'user:1:slack');
    expect(first).not.toBe(second);
    expect(first).not.toContain('sk-live');
    expect(first).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sut.open(first, 'user:1:slack')).toBe('sk-live-secret');
  });

  it('refuses a tampered value, another context, and garbage', () => {
    const sealed = sut.seal('secret', 'user:1');
    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[3], 'base64url');
    ciphertext[0] ^= 1;
    parts[3] = ciphertext.toString('base64url');
    expect(() => sut.open(parts.join('.'), 'user:1')).toThrow(SecretBoxError);
    expect(() => sut.open(sealed, 'user:2')).toThrow(SecretBoxError);
    for (const bad of ['', 'plain', 'v1.a.b.c', 'v1.a.b.c.d.e', 'v2.x.y.z.w']) expect(() => sut.open(bad)).toThrow(SecretBoxError);
  });

  it('opens values sealed under ENCRYPTION_KEY_PREVIOUS after a rotation, and flags them for resealing', () => {
    const sealedOld = box({ ENCRYPTION_KEY: OLD }).seal('kept');
    const rotated = box({ ENCRYPTION_KEY: NEW, ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(rotated.open(sealedOld)).toBe('kept');
    expect(rotated.needsResealing(sealedOld)).toBe(true);
    expect(rotated.needsResealing(rotated.seal('fresh'))).toBe(false);
    expect(() => sut.open(sealedOld)).toThrow(/unknown key/);
  });
});
