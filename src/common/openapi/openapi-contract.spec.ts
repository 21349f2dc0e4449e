import { SkipThrottle } from '@nestjs/throttler';
import { completeOpenApiDocument, RouteFacts, toJsonSchema2020 } from './openapi-contract';
import { SKIP_DEFAULT_THROTTLER } from './route-facts';

const problem = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
};

function complete(paths: Record<string, unknown>, routes: Record<string, RouteFacts> = {}) {
  const doc = { openapi: '3.0.0', info: {}, paths, components: { schemas: {} } };
  return completeOpenApiDocument(doc, {
    routes: new Map(Object.entries(routes)),
    apiPrefix: '/v1',
  }) as unknown as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, any>>>;
    components: { schemas: Record<string, any> };
  };
}

describe('completeOpenApiDocument', () => {
  it('derives the error statuses of a tenant route with a body from what it declares', () => {
    const doc = complete({
      '/v1/entities/{entityId}/things': {
        post: {
          operationId: 'ThingsController_create',
          summary: 'Creates a thing. Longer explanation follows (with detail).',
          parameters: [{ name: 'entityId', in: 'path', schema: { format: 'uuid' } }],
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '201': { description: '' }, '409': { description: 'Duplicate' } },
          'x-access': { kind: 'tenant', role: 'member' },
        },
      },
    });
    const op = doc.paths['/v1/entities/{entityId}/things'].post;
    expect(Object.keys(op.responses)).toEqual([
      '201',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '503',
    ]);
    for (const status of ['400', '401', '403', '404', '409', '413', '415', '429', '503'])
      expect(op.responses[status].content).toEqual(problem);
    expect(op.responses['409'].description).toBe('Duplicate');
    expect(op.responses['429'].headers).toHaveProperty('Retry-After');
    expect(op.responses['503'].headers).toHaveProperty('Retry-After');
    expect(op.summary).toBe('Creates a thing');
    expect(op.description).toBe('Creates a thing. Longer explanation follows (with detail).');
    expect(op.parameters[0].schema).toEqual({ type: 'string', format: 'uuid' });
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.ProblemDetails.required).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'instance',
    ]);
  });

  it('documents nothing a public, unthrottled probe outside the API cannot answer', () => {
    const doc = complete(
      {
        '/health/live': {
          get: {
            operationId: 'HealthController_live',
            responses: { '200': { description: '' } },
            'x-access': { kind: 'public' },
          },
        },
      },
      { HealthController_live: { throttled: false, handler: 'live' } },
    );
    const op = doc.paths['/health/live'].get;
    expect(Object.keys(op.responses)).toEqual(['200']);
    expect(op.security).toEqual([]);
    expect(op.summary).toBe('Live');
  });

  it('gives an authenticated API route 401, 429 and 503, and 403 when it names API-key scopes', () => {
    const doc = complete({
      '/v1/me': {
        get: { responses: {}, 'x-access': { kind: 'authenticated' } },
        patch: { responses: {}, 'x-access': { kind: 'authenticated' }, 'x-scopes': ['x'] },
      },
    });
    expect(Object.keys(doc.paths['/v1/me'].get.responses)).toEqual(['401', '429', '503']);
    expect(Object.keys(doc.paths['/v1/me'].patch.responses)).toEqual(['401', '403', '429', '503']);
  });
});

describe('toJsonSchema2020', () => {
  it('turns nullable values and nullable references into schemas that admit null', () => {
    const schema = {
      type: 'object',
      properties: {
        notes: { type: 'string', nullable: true },
        status: { type: 'string', enum: ['A', 'B'], nullable: true },
        resume: {
          nullable: true,
          description: 'or null',
          type: 'object',
          allOf: [{ $ref: '#/components/schemas/Resume' }],
        },
        other: { $ref: '#/components/schemas/Other', nullable: true },
        plain: { type: 'string', nullable: false },
        count: { type: 'number', minimum: 0, exclusiveMinimum: true },
      },
    };
    toJsonSchema2020(schema);
    expect(schema.properties).toEqual({
      notes: { type: ['string', 'null'] },
      status: { type: ['string', 'null'], enum: ['A', 'B', null] },
      resume: {
        description: 'or null',
        anyOf: [{ $ref: '#/components/schemas/Resume' }, { type: 'null' }],
      },
      other: { anyOf: [{ $ref: '#/components/schemas/Other' }, { type: 'null' }] },
      plain: { type: 'string' },
      count: { type: 'number', exclusiveMinimum: 0 },
    });
  });
});

describe('route facts', () => {
  it('reads @SkipThrottle() under the metadata key it uses', () => {
    @SkipThrottle()
    class Probe {}
    expect(Reflect.getMetadata(SKIP_DEFAULT_THROTTLER, Probe)).toBe(true);
  });
});
