import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { completeOpenApiDocument } from './common/openapi/openapi-contract';
import { readRouteFacts } from './common/openapi/route-facts';

/** The prefix of the API routes (bootstrap.ts sets it; health stays outside). */
export const API_PREFIX = 'v1';

/**
 * OpenAPI is generated from the controllers and DTOs (Swagger CLI plugin), never kept by hand,
 * then completed from what the routes declare (src/common/openapi/openapi-contract.ts): error
 * responses with the ProblemDetails schema, summaries, OpenAPI 3.1 nullability.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Cornerstone API')
    .setDescription(
      'Multi-tenant data backbone. Errors are application/problem+json (RFC 9457, schema `ProblemDetails`); ' +
        'lists are keyset-paged (`limit`, `cursor` → `{items, nextCursor}`). Authorise with a JWT from ' +
        '`POST /v1/auth/login` (or an API key) to try the routes here.',
    )
    .setVersion('1')
    // Relative: the document is served by the API itself, so "Try it out" calls the host the
    // page was opened from, whatever its name.
    .addServer('/', 'This server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or ck_ API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  // package.json: "license": "UNLICENSED" — not licensed for use outside the organisation.
  config.info.license = { name: 'UNLICENSED (proprietary)' };
  config.info.contact = { name: 'Cornerstone maintainers' };
  return completeOpenApiDocument(SwaggerModule.createDocument(app, config), {
    routes: readRouteFacts(app),
    apiPrefix: `/${API_PREFIX}`,
  });
}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Cornerstone API',
    // No call to the public validator badge service: the page stays self-contained.
    swaggerOptions: { validatorUrl: null },
  });
}
