import { ResponseContract } from './response-contract';

const resume = {
  type: 'object',
  required: ['size'],
  properties: { size: { type: 'integer' } },
};
/** A lead whose `resume` is written the OpenAPI 3.0 way (`nullable` beside `allOf`), and the 3.1 way. */
const lead = (resumeSchema: Record<string, unknown>) => ({
  type: 'object',
  required: ['id', 'resume'],
  properties: { id: { type: 'string', format: 'uuid' }, resume: resumeSchema },
});

function contract(resumeSchema: Record<string, unknown>) {
  return new ResponseContract({
    paths: {
      '/v1/leads/{leadId}': {
        get: {
          responses: {
            '200': {
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Lead' } } },
            },
            '404': {
              content: {
                'application/problem+json': {
                  schema: { $ref: '#/components/schemas/ProblemDetails' },
                },
              },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Lead: lead(resumeSchema),
        Resume: resume,
        ProblemDetails: {
          type: 'object',
          required: ['status'],
          properties: { status: { type: 'integer' } },
        },
      },
    },
  });
}

const openapi31 = contract({ anyOf: [{ $ref: '#/components/schemas/Resume' }, { type: 'null' }] });
const base = {
  method: 'GET',
  route: '/v1/leads/:leadId',
  url: '/v1/leads/x?y=1',
  status: 200,
  contentType: 'application/json; charset=utf-8',
};
const id = '0b7a7d6e-4a53-4a8e-9a51-5d1c5e0f3a11';

describe('ResponseContract', () => {
  it('accepts a body that matches, including a null reference written the 3.1 way', () => {
    expect(openapi31.check({ ...base, body: JSON.stringify({ id, resume: null }) })).toBeNull();
    expect(
      openapi31.check({ ...base, body: JSON.stringify({ id, resume: { size: 3 } }) }),
    ).toBeNull();
  });

  it('refuses null where the schema says `nullable` beside `allOf` (OpenAPI 3.0), as validators do', () => {
    const openapi30 = contract({
      nullable: true,
      type: 'object',
      allOf: [{ $ref: '#/components/schemas/Resume' }],
    });
    expect(openapi30.check({ ...base, body: JSON.stringify({ id, resume: null }) })).toMatch(
      /does not match the documented schema: \/resume/,
    );
  });

  it('reports an undocumented status, content type or body shape', () => {
    expect(openapi31.check({ ...base, status: 500, body: '{}' })).toMatch(
      /status 500 is not documented for GET \/v1\/leads\/\{leadId\}/,
    );
    expect(openapi31.check({ ...base, contentType: 'text/html', body: '<p>' })).toMatch(
      /content type "text\/html" is not documented/,
    );
    expect(
      openapi31.check({ ...base, body: JSON.stringify({ id: 'nope', resume: null }) }),
    ).toMatch(/\/id must match format "uuid"/);
    expect(
      openapi31.check({
        ...base,
        status: 404,
        contentType: 'application/json',
        body: '{"status":404}',
      }),
    ).toMatch(/content type "application\/json" is not documented/);
  });

  it('expects a problem from a route the document does not know, and skips Swagger UI itself', () => {
    const unknown = { ...base, route: undefined, url: '/v1/nothing' };
    expect(
      openapi31.check({
        ...unknown,
        status: 404,
        contentType: 'application/problem+json',
        body: '{"status":404}',
      }),
    ).toBeNull();
    expect(openapi31.check({ ...unknown, status: 200, body: '{}' })).toMatch(
      /route is not in the OpenAPI document/,
    );
    expect(
      openapi31.check({
        ...unknown,
        url: '/docs/swagger-ui.css',
        contentType: 'text/css',
        body: '',
      }),
    ).toBeNull();
  });
});
