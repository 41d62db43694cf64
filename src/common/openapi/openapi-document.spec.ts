import { Body, Controller, Get, HttpCode, INestApplication, Module, Param, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiCreatedResponse, ApiOperation, ApiProperty, SwaggerModule, type OpenAPIObject, type OperationObject, type ResponseObject, type SchemaObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../auth/public.decorator';
import { Roles } from '../auth/roles.decorator';
import { ErrorCode } from '../errors/error-code';
import { RawResponse } from '../http/envelope.interceptor';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator';
import { Role } from '../auth/role';
import { ApiEnvelope, ApiErrors, ApiEventStream } from './api-docs.decorators';
import { finalizeOpenApiDocument, openApiConfig } from './openapi-document';

class ThingDto {
  @ApiProperty()
  id: string;
}

class CreateThingDto {
  @ApiProperty()
  name: string;
}

class ListQueryDto {
  @ApiProperty({ required: false })
  q?: string;
}

/**
 * The Swagger CLI plugin does not run under jest: `@ApiCreatedResponse({type})` stands in for the
 * type it infers, `@ApiOperation({summary})` for the JSDoc comment it reads.
 */
@ApiErrors(ErrorCode.QuotaExceeded)
@Controller('things')
class ThingsController {
  @ApiOperation({ summary: 'Creates a thing. More detail\non a second sentence.' })
  @Public()
  @Post()
  @ApiCreatedResponse({ type: ThingDto })
  create(@Body() _dto: CreateThingDto) {}

  /** Lists things. */
  @Get()
  @ApiEnvelope([ThingDto], { paginated: true })
  list(@Query() _query: ListQueryDto) {}

  @Get(':id')
  get(@Param('id') _id: string) {}

  /** Archives a thing. */
  @Roles(Role.Admin)
  @Post(':id/archive')
  @HttpCode(200)
  @ApiEnvelope(null, { message: true })
  @ApiErrors(ErrorCode.Conflict)
  archive(@Param('id') _id: string) {}

  /** Streams a thing. */
  @Get(':id/stream')
  @ApiEventStream('Server-Sent Events')
  stream(@Param('id') _id: string) {}

  /** Probe. */
  @Public()
  @SkipRateLimit()
  @RawResponse()
  @Get('probe')
  @ApiCreatedResponse({ description: 'Its own body' })
  probe() {}
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

type Responses = Record<string, ResponseObject>;

function jsonSchema(response: ResponseObject | undefined): SchemaObject | undefined {
  return response?.content?.['application/json']?.schema as SchemaObject | undefined;
}

function errorCodes(response: ResponseObject | undefined): unknown {
  const error = jsonSchema(response)?.properties?.error as SchemaObject | undefined;
  return (error?.properties?.code as SchemaObject | undefined)?.enum;
}

describe(finalizeOpenApiDocument.name, () => {
  let app: INestApplication;
  let sut: OpenAPIObject;
  const operation = (path: string, method: 'get' | 'post') => sut.paths[path][method] as OperationObject;

  beforeAll(async () => {
    app = await NestFactory.create(ThingsModule, { preview: true, logger: false });
    sut = finalizeOpenApiDocument(SwaggerModule.createDocument(app, openApiConfig()));
  });

  afterAll(() => app.close());

  it('gives @Public routes `security: []` and every other route bearer or cookie, with 401', () => {
    expect(operation('/things', 'post').security).toEqual([]);
    expect(operation('/things', 'post').responses['401']).toBeUndefined();
    expect(operation('/things/{id}', 'get').security).toEqual([{ bearer: [] }, { cookie: [] }]);
    expect(errorCodes((operation('/things/{id}', 'get').responses as Responses)['401'])).toEqual([
      ErrorCode.AuthenticationRequired,
      ErrorCode.TokenExpired,
    ]);
  });

  it('envelopes the inferred success type with the status Nest answers', () => {
    const schema = jsonSchema((operation('/things', 'post').responses as Responses)['201']);
    expect(schema?.required).toEqual(['status', 'data']);
    expect(schema?.properties?.status).toEqual({ type: 'boolean', enum: [true] });
    expect(schema?.properties?.data).toEqual({ $ref: '#/components/schemas/ThingDto' });
  });

  it('envelopes lists with pagination, and null data with a message', () => {
    const list = jsonSchema((operation('/things', 'get').responses as Responses)['200']);
    expect(list?.required).toEqual(['status', 'data', 'pagination']);
    expect(list?.properties?.data).toEqual({ type: 'array', items: { $ref: '#/components/schemas/ThingDto' } });
    expect(sut.components?.schemas?.Pagination).toBeDefined();
    const archived = jsonSchema((operation('/things/{id}/archive', 'post').responses as Responses)['200']);
    expect(archived?.required).toEqual(['status', 'data', 'message']);
  });

  it('adds the errors a route of its kind can give, merged by status with those declared on the route and its controller', () => {
    const create = operation('/things', 'post').responses as Responses;
    expect(Object.keys(create)).toEqual(['201', '400', '413', '415', '422', '429', '500']);
    expect(errorCodes(create['422'])).toEqual([ErrorCode.ValidationError]);
    expect(errorCodes(create['429'])).toEqual([ErrorCode.RateLimitExceeded, ErrorCode.QuotaExceeded]);
    expect(create['429'].headers?.['Retry-After']).toBeDefined();

    expect(Object.keys(operation('/things', 'get').responses)).toEqual(['200', '401', '403', '422', '429', '500']);

    const archive = operation('/things/{id}/archive', 'post').responses as Responses;
    expect(Object.keys(archive)).toEqual(['200', '401', '403', '404', '409', '429', '500']);
    expect(errorCodes(archive['403'])).toEqual([ErrorCode.AccessDenied, ErrorCode.CsrfFailed]);
    expect(jsonSchema(archive['409'])?.required).toEqual(['status', 'error', 'request_id']);
  });

  it('documents SSE and raw routes without an envelope, and no RATE_LIMIT_EXCEEDED when not rate limited', () => {
    const stream = operation('/things/{id}/stream', 'get').responses as Responses;
    expect(Object.keys(stream['200'].content ?? {})).toEqual(['text/event-stream']);
    const probe = operation('/things/probe', 'get');
    expect(probe.responses['201']).toEqual({ description: 'Its own body' });
    expect(Object.keys(probe.responses)).toEqual(['201', '429', '500']);
    expect(errorCodes((probe.responses as Responses)['429'])).toEqual([ErrorCode.QuotaExceeded]);
  });

  it('keeps the first sentence of a JSDoc summary, the whole comment as description, and no markers', () => {
    const create = operation('/things', 'post');
    expect(create.summary).toBe('Creates a thing.');
    expect(create.description).toBe('Creates a thing. More detail on a second sentence.');
    expect(JSON.stringify(sut)).not.toMatch(/"x-/);
  });
});

describe('openapi.json', () => {
  const spec = JSON.parse(readFileSync(join(__dirname, '../../../openapi.json'), 'utf8')) as OpenAPIObject;
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    (['get', 'put', 'post', 'patch', 'delete'] as const).flatMap((method) => (item[method] ? [{ name: `${method.toUpperCase()} ${path}`, op: item[method] }] : [])),
  );

  /** What a route must say, in words that tell its author which decorator is missing. */
  function problemsOf(op: OperationObject): string[] {
    const problems: string[] = [];
    if (!op.summary) problems.push('no summary: add a JSDoc comment to the handler');
    if (!Array.isArray(op.security)) problems.push('no security');
    // Health answers Terminus's body; file downloads answer the bytes (DESIGN.md 4: not enveloped).
    const download = Object.entries(op.responses as Responses).some(
      ([status, response]) => status.startsWith('2') && Object.values(response.content ?? {}).some((media) => (media.schema as SchemaObject | undefined)?.format === 'binary'),
    );
    const raw = op.tags?.includes('health') || download;
    for (const [status, response] of Object.entries(op.responses as Responses)) {
      const schema = jsonSchema(response);
      if (status.startsWith('2') && !raw && !schema && !response.content?.['text/event-stream']) {
        problems.push(`${status} has no body: add @ApiEnvelope(Dto, ...) (routes returning an Envelope or writing the response)`);
      }
      if (status.startsWith('2') && !raw && schema && (schema.properties?.status as SchemaObject | undefined)?.enum?.[0] !== true) {
        problems.push(`${status} is not the success envelope`);
      }
      if (/^[45]/.test(status) && !(raw && status === '503') && (schema?.properties?.status as SchemaObject | undefined)?.enum?.[0] !== false) {
        problems.push(`${status} is not the error envelope`);
      }
    }
    return problems;
  }

  it.each(operations)('$name: summary, security, success and error envelopes', ({ op }) => {
    expect(problemsOf(op)).toEqual([]);
  });
});
