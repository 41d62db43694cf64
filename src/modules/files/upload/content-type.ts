import { fileTypeFromBuffer } from 'file-type';

/** Bytes looked at to decide a file's type (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

const BINARY_ALLOWED = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]);

/** Images a browser may show inline: raster formats that cannot carry script (no SVG). */
export const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const TEXT_TYPES = new Set(['text/plain', 'text/markdown', 'text/csv', 'application/json']);

/**
 * The type of a file from its first bytes; the client's claim only picks among text kinds
 * once the bytes are known to be text. Undefined: not allowed.
 */
export async function sniffContentType(head: Buffer, complete: boolean, filename: string, declared: string): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return BINARY_ALLOWED.has(detected.mime) ? detected.mime : undefined;
  if (!looksLikeText(head, complete)) return undefined;
  const ext = filename.toLowerCase().split('.').at(-1) ?? '';
  const claim = declared.toLowerCase().split(';')[0].trim();
  if (ext === 'md' || ext === 'markdown' || claim === 'text/markdown') return 'text/markdown';
  if (ext === 'csv' || claim === 'text/csv') return 'text/csv';
  if (ext === 'json' || claim === 'application/json') return 'application/json';
  // Everything else that is text (HTML and SVG included) is stored and served as plain text.
  return 'text/plain';
}

/** UTF-8 without control characters other than whitespace; a sample may end inside a character. */
function looksLikeText(head: Buffer, complete: boolean): boolean {
  let sample = head;
  if (!complete) {
    // Drop up to 3 bytes of a multi-byte character cut at the end of the sample.
    let cut = sample.length;
    while (cut > 0 && sample.length - cut < 3 && (sample[cut - 1] & 0xc0) === 0x80) cut--;
    if (cut > 0 && sample[cut - 1] >= 0xc0) sample = sample.subarray(0, cut - 1);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(sample);
  } catch {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Tab, line breaks, form feed and ESC (terminal colours in logs) are text; other C0 controls are not.
    const control = code < 0x20 && !(code >= 0x09 && code <= 0x0d) && code !== 0x1b;
    if (control || code === 0x7f) return false;
  }
  return true;
}

/** A file name safe to store and echo: no directories, no control characters, bounded. */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  const cleaned = base
    .normalize('NFC')
    .split('')
    .filter((char) => !isUnsafeChar(char.charCodeAt(0)))
    .join('')
    .replace(/^[.\s]+/, '')
    .trim();
  const bounded = cleaned.length > 200 ? cleaned.slice(0, 200) : cleaned;
  return bounded || 'file';
}

/** Control characters and the bidirectional overrides that disguise extensions ("txt.exe"). */
function isUnsafeChar(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
