import http from 'node:http';

export interface SseFrame {
  id?: number;
  event?: string;
  data: string;
}

/** Parses an SSE body into frames (comments dropped); `[DONE]` stays as a data-only frame. */
export function parseSse(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line && !line.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const frame: SseFrame = { data: '' };
      for (const line of lines) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'id') frame.id = Number(value);
        else if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data = value;
      }
      return frame;
    });
}

export const eventsOf = (frames: SseFrame[]) =>
  frames.filter((frame) => frame.event).map((frame) => ({ id: frame.id, event: frame.event!, data: JSON.parse(frame.data) }));

export interface SseRequest {
  method?: string;
  path: string;
  token: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Stop reading (and drop the connection) once this returns true. */
  until?: (frames: SseFrame[]) => boolean;
}

/** A real streaming HTTP request: reads frames as they arrive, optionally hanging up early. */
export function sseRequest(baseUrl: string, request: SseRequest): Promise<{ status: number; frames: SseFrame[]; raw: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(request.path, baseUrl);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: request.method ?? (body ? 'POST' : 'GET'),
        headers: {
          Authorization: `Bearer ${request.token}`,
          Accept: 'text/event-stream',
          ...(body ? { 'Content-Type': 'application/json' } : {}),
          ...request.headers,
        },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          if (request.until?.(parseSse(raw))) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, frames: parseSse(raw), raw, headers: res.headers });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, frames: parseSse(raw), raw, headers: res.headers }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, frames: parseSse(raw), raw, headers: res.headers }));
      },
    );
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    if (body) req.write(body);
    req.end();
  });
}
