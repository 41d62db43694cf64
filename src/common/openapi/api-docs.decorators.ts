import { applyDecorators, type Type } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { ApiExtension, ApiExtraModels, DECORATORS, getSchemaPath, type ReferenceObject, type SchemaObject } from '@nestjs/swagger';
import type { ErrorCode } from '../errors/error-code';

/**
 * Route facts the Swagger explorer does not record. Decorators store them as `x-` extensions on
 * the operation; `finalizeOpenApiDocument` turns them into security, envelopes and error
 * responses, then removes them.
 */
export const OPENAPI_MARKERS = {
  /** @Public(): `security: []`, no 401. */
  public: 'x-public',
  /** @RawResponse(): the route writes its own body (health, downloads); no success envelope. */
  raw: 'x-raw-response',
  /** @SkipRateLimit(): no 429. */
  notRateLimited: 'x-not-rate-limited',
  /** Error codes the route can answer besides the common ones (ApiErrors, @Roles). */
  errors: 'x-error-codes',
  /** How the success body is enveloped (ApiEnvelope). */
  envelope: 'x-envelope',
  /** Server-Sent Events description (ApiEnvelope `eventStream`, ApiEventStream). */
  eventStream: 'x-event-stream',
} as const;

export interface EnvelopeMarker {
  /** The `data` schema; absent: the one the Swagger CLI plugin inferred from the return type. */
  data?: SchemaObject | ReferenceObject;
  /** The status the route answers; absent: Nest's own (201 for POST, 200 otherwise, or @HttpCode). */
  status?: 200 | 201 | 202;
  paginated?: boolean;
  message?: boolean;
  description?: string;
}

export interface ApiEnvelopeOptions {
  /** Only for routes that write the response themselves (`@Res()`); otherwise Nest's status is documented. */
  status?: 200 | 201 | 202;
  /** `pagination: {total, limit, offset, has_more}` (Envelope.paginated). */
  paginated?: boolean;
  /** A `message` is always sent (Envelope.withMessage). */
  message?: boolean;
  description?: string;
  /** The route also answers Server-Sent Events (`stream: true` or `Accept: text/event-stream`). */
  eventStream?: string;
}

/**
 * The success body `{status: true, data, message?, pagination?}` of a route. `model`: the DTO of
 * `data` (`[Dto]` for a list, `null` for `data: null`). Routes that return a DTO need no decorator:
 * the CLI plugin's inferred type is enveloped by default.
 */
export function ApiEnvelope(model: Type | [Type] | null, options: ApiEnvelopeOptions = {}): MethodDecorator {
  const { eventStream, ...rest } = options;
  const marker: EnvelopeMarker = { data: dataSchema(model), ...rest };
  const decorators: MethodDecorator[] = [ApiExtension(OPENAPI_MARKERS.envelope, marker)];
  const dto = Array.isArray(model) ? model[0] : model;
  if (dto) decorators.push(ApiExtraModels(dto));
  if (eventStream) decorators.push(ApiExtension(OPENAPI_MARKERS.eventStream, eventStream));
  return applyDecorators(...decorators);
}

/** The route answers only Server-Sent Events (200, `text/event-stream`). */
export const ApiEventStream = (description: string): MethodDecorator => ApiExtension(OPENAPI_MARKERS.eventStream, description);

/**
 * Error codes this route (or every route of a controller) can answer besides the common ones
 * `finalizeOpenApiDocument` adds. The status of each comes from `statusOf`.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return mergedExtension(OPENAPI_MARKERS.errors, codes);
}

function dataSchema(model: Type | [Type] | null): SchemaObject | ReferenceObject {
  if (model === null) return { type: 'object', nullable: true, enum: [null], description: 'Always null' };
  if (Array.isArray(model)) return { type: 'array', items: { $ref: getSchemaPath(model[0]) } };
  return { $ref: getSchemaPath(model) };
}

/** Like ApiExtension, but a list that several decorators (class and method) add to. */
function mergedExtension(key: string, values: string[]): MethodDecorator & ClassDecorator {
  const add = (handler: object) => {
    const extensions = (Reflect.getMetadata(DECORATORS.API_EXTENSION, handler) ?? {}) as Record<string, unknown>;
    const existing = (extensions[key] ?? []) as string[];
    Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...extensions, [key]: [...new Set([...existing, ...values])] }, handler);
  };
  const decorator = (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      add(descriptor.value as object);
      return;
    }
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name !== 'constructor' && typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler)) add(handler);
    }
  };
  return decorator as MethodDecorator & ClassDecorator;
}
