/** Query parameters whose values never reach a log line. */
const SENSITIVE_PARAMS = /^(token|access_token|refresh_token|id_token|code|state|password|secret|client_secret|api_key|key|sig|signature)$/i;

/** `/x?token=abc&q=1` -> `/x?token=[REDACTED]&q=1`. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const [name] = pair.split('=', 1);
      return SENSITIVE_PARAMS.test(safeDecode(name)) ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, queryStart)}?${params.join('&')}`;
}

/** A client's bad percent-encoding (`?%=1`) must not turn logging into a 500. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Paths pino removes from every log object (headers and known secret-bearing fields). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.client_secret',
  '*.api_key',
  // TypeORM errors carry the query's parameters (password hashes, token hashes, user content).
  'err.parameters',
  'err.driverError.parameters',
];
