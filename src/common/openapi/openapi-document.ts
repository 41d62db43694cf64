import {
  DocumentBuilder,
  type HeadersObject,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
  type ResponsesObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { ErrorCode, statusOf } from '../errors/error-code';
import { type EnvelopeMarker, OPENAPI_MARKERS } from './api-docs.decorators';

export const SECURITY = { bearer: 'bearer', cookie: 'cookie' } as const;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const SAFE_METHODS = new Set(['get', 'head', 'options']);

/** What each code means to a client; the response descriptions list the codes a route can give. */
const ERROR_MEANINGS: Record<ErrorCode, string> = {
  [ErrorCode.AuthenticationRequired]: 'no valid credentials',
  [ErrorCode.TokenExpired]: 'the access token has expired: refresh it',
  [ErrorCode.AccessDenied]: 'authenticated, but not allowed',
  [ErrorCode.ResourceNotFound]: 'no such resource (also when it belongs to another user)',
  [ErrorCode.Conflict]: 'the resource is in a state that does not allow this',
  [ErrorCode.ValidationError]: 'invalid input; `details` maps each field to its messages',
  [ErrorCode.PayloadTooLarge]: 'the request body is too large',
  [ErrorCode.UnsupportedMediaType]: 'unsupported content type, encoding or charset',
  [ErrorCode.RateLimitExceeded]: 'too many requests; wait `Retry-After` seconds',
  [ErrorCode.QuotaExceeded]: 'a usage budget is spent',
  [ErrorCode.BadRequest]: 'malformed request body',
  [ErrorCode.CsrfFailed]: 'a cookie-authenticated write without the `csrf_token` cookie echoed in `X-CSRF-Token`',
  [ErrorCode.IdempotencyKeyReused]: 'the Idempotency-Key was used with another body',
  [ErrorCode.ConnectionLimit]: 'too many concurrent connections',
  [ErrorCode.ProviderError]: 'the model provider failed or timed out (the reply is stored with status `error`)',
  [ErrorCode.InternalError]: 'unexpected server error (no internals disclosed)',
  [ErrorCode.ServiceUnavailable]: 'a dependency (model provider, identity provider) is unavailable; try again later',
};

const PAGINATION_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['total', 'limit', 'offset', 'has_more'],
  properties: {
    total: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1 },
    offset: { type: 'integer', minimum: 0 },
    has_more: { type: 'boolean' },
  },
};

const EVENT_STREAM_SCHEMA: SchemaObject = {
  type: 'string',
  description: 'Server-Sent Events: `id`/`event`/`data` frames, heartbeat comments, `data: [DONE]` last (DESIGN.md section 6).',
};

const CSRF_HEADER: ParameterObject = {
  name: 'X-CSRF-Token',
  in: 'header',
  required: false,
  description: 'With cookie authentication: the value of the `csrf_token` cookie (double submit). Not needed with a bearer token.',
  schema: { type: 'string' },
};

const RATE_LIMIT_HEADERS: HeadersObject = {
  'Retry-After': { description: 'Seconds until the budget resets', schema: { type: 'integer' } },
  'X-RateLimit-Limit': { description: 'Requests allowed per window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in this window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Unix time (seconds) at which the window resets', schema: { type: 'integer' } },
};

/** Title, servers, license and security schemes of the document. */
export function openApiConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('Agent backend')
    .setDescription(
      'AI-agent chat: auth, conversations with streamed agent replies, consent, runs. ' +
        'Success: `{status: true, data, message?, pagination?}`. ' +
        'Errors: `{status: false, error: {code, message, details?}, request_id}`.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, SECURITY.bearer)
    .addCookieAuth(
      'access_token',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'access_token',
        description:
          'HTTP-only cookie set by sign-in with `set_cookies: true` (`__Host-access_token` in production). ' +
          'A state-changing request must echo the `csrf_token` cookie in `X-CSRF-Token`.',
      },
      SECURITY.cookie,
    )
    .build();
}

/**
 * Applies what every operation shares, once: security (none for @Public routes, bearer or cookie
 * otherwise), the success envelope around the documented `data`, and the error envelope for the
 * codes the route declares plus those every route of its kind can give (401 and 403 CSRF when
 * authenticated, 404 with path parameters, 400/413/415/422 with a body, 422 with query or header
 * parameters, 429 when rate limited, 500 always), and the X-CSRF-Token header where CSRF_FAILED
 * can happen. Removes the decorators' `x-` markers.
 */
export function finalizeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  dropUnversionedTwins(document);
  let paginated = false;
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (operation) paginated = finalizeOperation(operation, method) || paginated;
    }
  }
  if (paginated) {
    document.components ??= {};
    document.components.schemas = { ...document.components.schemas, Pagination: PAGINATION_SCHEMA };
  }
  return document;
}

/**
 * Every versioned route also answers without its version (`/api/sessions` = `/api/v1/sessions`,
 * DESIGN.md section 4), so Nest reports it twice; the spec documents it once, under /api/v1.
 */
function dropUnversionedTwins(document: OpenAPIObject): void {
  for (const path of Object.keys(document.paths)) {
    const versioned = path.replace(/^\/api\//, '/api/v1/');
    if (versioned !== path && !path.startsWith('/api/v1/') && document.paths[versioned]) delete document.paths[path];
  }
  // Swagger numbers the twins' operation ids (`X_login[1]_v1`); keep the ids clients generated code from.
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (operation?.operationId) operation.operationId = operation.operationId.replace(/\[\d+\](?=_v\d+$)/, '');
    }
  }
}

interface Markers {
  isPublic: boolean;
  raw: boolean;
  notRateLimited: boolean;
  errors: ErrorCode[];
  envelope?: EnvelopeMarker;
  eventStream?: string;
}

/** Returns whether the operation's envelope references the Pagination schema. */
function finalizeOperation(operation: OperationObject, method: string): boolean {
  const markers = takeMarkers(operation);
  splitSummary(operation);
  optionalWhenDefaulted(operation);
  operation.security = markers.isPublic ? [] : [{ [SECURITY.bearer]: [] }, { [SECURITY.cookie]: [] }];
  const paginated = documentSuccess(operation, markers);
  const codes = documentErrors(operation, method, markers);
  if (codes.has(ErrorCode.CsrfFailed)) {
    operation.parameters = [...(operation.parameters ?? []), CSRF_HEADER];
  }
  operation.responses = sortResponses(operation.responses);
  return paginated;
}

/**
 * A query DTO property with an initializer (`limit: number = 20`) is non-optional in TypeScript, so
 * the Swagger plugin marks it required; the server fills it in, so clients may leave it out.
 */
function optionalWhenDefaulted(operation: OperationObject): void {
  for (const parameter of (operation.parameters ?? []) as Array<{ in?: string; required?: boolean; schema?: { default?: unknown } }>) {
    if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false;
  }
}

function takeMarkers(operation: OperationObject): Markers {
  const extensions = operation as unknown as Record<string, unknown>;
  const markers: Markers = {
    isPublic: extensions[OPENAPI_MARKERS.public] === true,
    raw: extensions[OPENAPI_MARKERS.raw] === true,
    notRateLimited: extensions[OPENAPI_MARKERS.notRateLimited] === true,
    errors: (extensions[OPENAPI_MARKERS.errors] as ErrorCode[] | undefined) ?? [],
    envelope: extensions[OPENAPI_MARKERS.envelope] as EnvelopeMarker | undefined,
    eventStream: extensions[OPENAPI_MARKERS.eventStream] as string | undefined,
  };
  for (const key of Object.values(OPENAPI_MARKERS)) delete extensions[key];
  return markers;
}

/** A JSDoc comment becomes the summary (CLI plugin): keep its first sentence there, all of it as the description. */
function splitSummary(operation: OperationObject): void {
  const text = operation.summary?.trim();
  if (!text) return;
  const first = /^[\s\S]*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
  if (first === text && !text.includes('\n')) return;
  operation.summary = first.replace(/\s+/g, ' ');
  operation.description ??= text.replace(/([^\n])\n(?!\n)/g, '$1 ');
}

function documentSuccess(operation: OperationObject, markers: Markers): boolean {
  const responses = operation.responses;
  const successKeys = Object.keys(responses).filter((key) => key.startsWith('2'));
  if (markers.eventStream && !markers.envelope) {
    for (const key of successKeys) delete responses[key];
    responses['200'] = { description: markers.eventStream, content: { 'text/event-stream': { schema: EVENT_STREAM_SCHEMA } } };
    return false;
  }
  if (markers.raw) return false;

  const envelope = markers.envelope ?? {};
  const inferredKey = successKeys[0];
  const inferred = inferredKey ? (responses[inferredKey] as ResponseObject) : undefined;
  const status = String(envelope.status ?? inferredKey ?? '');
  if (!status) return false; // Redirect-only route.
  if (inferredKey && inferredKey !== status) delete responses[inferredKey];

  const data = envelope.data ?? inferred?.content?.['application/json']?.schema;
  const response: ResponseObject = { description: envelope.description ?? (inferred?.description || 'Success') };
  if (data) response.content = { 'application/json': { schema: successEnvelope(data, envelope) } };
  if (markers.eventStream) response.content = { ...response.content, 'text/event-stream': { schema: EVENT_STREAM_SCHEMA } };
  if (markers.eventStream && !envelope.description) response.description = `JSON, or ${markers.eventStream}`;
  responses[status] = response;
  return Boolean(data && envelope.paginated);
}

function successEnvelope(data: SchemaObject | ReferenceObject, envelope: EnvelopeMarker): SchemaObject {
  const required = ['status', 'data'];
  if (envelope.message) required.push('message');
  const properties: Record<string, SchemaObject | ReferenceObject> = {
    status: { type: 'boolean', enum: [true] },
    data,
    message: { type: 'string' },
  };
  if (envelope.paginated) {
    required.push('pagination');
    properties.pagination = { $ref: '#/components/schemas/Pagination' };
  }
  return { type: 'object', required, properties };
}

/** Returns the codes documented. */
function documentErrors(operation: OperationObject, method: string, markers: Markers): Set<ErrorCode> {
  const codes = new Set<ErrorCode>(markers.errors);
  codes.add(ErrorCode.InternalError);
  if (!markers.notRateLimited) codes.add(ErrorCode.RateLimitExceeded);
  if (!markers.isPublic) {
    codes.add(ErrorCode.AuthenticationRequired).add(ErrorCode.TokenExpired).add(ErrorCode.AccessDenied);
    if (!SAFE_METHODS.has(method)) codes.add(ErrorCode.CsrfFailed);
  }
  const parameters = (operation.parameters ?? []) as Array<{ in?: string }>;
  if (parameters.some((parameter) => parameter.in === 'path')) codes.add(ErrorCode.ResourceNotFound);
  if (parameters.some((parameter) => parameter.in === 'query' || parameter.in === 'header')) codes.add(ErrorCode.ValidationError);
  if (operation.requestBody) {
    for (const code of [ErrorCode.BadRequest, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType, ErrorCode.ValidationError]) codes.add(code);
  }

  const byStatus = new Map<string, ErrorCode[]>();
  for (const code of Object.values(ErrorCode)) {
    if (!codes.has(code)) continue;
    const status = String(statusOf(code));
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, statusCodes] of byStatus) {
    if (operation.responses[status]) continue; // The route documents its own body for this status (e.g. Terminus' 503).
    const response: ResponseObject = {
      description: statusCodes.map((code) => `\`${code}\`: ${ERROR_MEANINGS[code]}`).join('; '),
      content: { 'application/json': { schema: errorEnvelope(statusCodes) } },
    };
    if (status === '429') response.headers = RATE_LIMIT_HEADERS;
    operation.responses[status] = response;
  }
  return codes;
}

/** `{status: false, error: {code, message, details?}, request_id}` with the codes this response can carry. */
export function errorEnvelope(codes: ErrorCode[]): SchemaObject {
  return {
    type: 'object',
    required: ['status', 'error', 'request_id'],
    properties: {
      status: { type: 'boolean', enum: [false] },
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: codes },
          message: { type: 'string' },
          details: { type: 'object', additionalProperties: true },
        },
      },
      request_id: { type: 'string', description: 'Also sent as the X-Request-Id header' },
    },
  };
}

function sortResponses(responses: ResponsesObject): ResponsesObject {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
