import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { StoredFile } from './file.entity';
import { FilesService } from './files.service';
import { INLINE_IMAGES } from './upload/content-type';

/**
 * Writes a stored file: the sniffed type (text with its charset), `nosniff`, a sandboxing CSP,
 * and `attachment` with an RFC 6266 filename unless it is a raster image. A malformed or
 * multi-part Range is ignored (the whole file, as RFC 9110 allows); one out of bounds is 416.
 */
export async function sendFile(res: Response, files: FilesService, file: StoredFile, rangeHeader?: string): Promise<void> {
  let range: { start: number; end: number } | undefined;
  if (rangeHeader && file.size > 0) {
    const parsed = parseRange(file.size, rangeHeader, { combine: true });
    if (parsed === -1) {
      res.status(416).setHeader('Content-Range', `bytes */${file.size}`).end();
      return;
    }
    if (Array.isArray(parsed) && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
  }
  const content = await files.open(file, range);
  const type = file.contentType.startsWith('text/') || file.contentType === 'application/json' ? `${file.contentType}; charset=utf-8` : file.contentType;
  const disposition = INLINE_IMAGES.has(file.contentType) ? 'inline' : 'attachment';
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Disposition', `${disposition}; ${filenameParams(file.filename)}`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', `"${file.sha256}"`);
  if (range) {
    res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200).setHeader('Content-Length', String(file.size));
  }
  await pipeline(content.body, res).catch(() => res.destroy());
}

/** RFC 6266: an ASCII fallback plus the exact name as RFC 8187 `filename*`. */
export function filenameParams(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
