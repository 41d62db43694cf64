import { randomBytes } from 'node:crypto';

/** A 1x1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
export const CSV = Buffer.from('name,score\nada,3\ngrace,5\n');
export const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
/** A Windows executable header: never allowed. */
export const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90), Buffer.from('PE\0\0')]);

/** Incompressible bytes that look like nothing (not text, no known signature). */
export const noise = (size: number) => randomBytes(size);
/** Text of a given size. */
export const text = (size: number) => Buffer.alloc(size, 'a');
