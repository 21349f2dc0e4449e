/**
 * The @nestjs/swagger CLI plugin as a ts-jest AST transformer: the plugin runs in `nest build`
 * (nest-cli.json), but not under ts-jest, where DTOs would appear in /docs-json with no
 * properties. The OpenAPI-driven suites (test/security) read the DTO fields from that document.
 * Options mirror nest-cli.json.
 */

const transformer = require('@nestjs/swagger/plugin');

module.exports.name = 'nestjs-swagger-transformer';
// Bump when the options change, so ts-jest's cache is invalidated.
module.exports.version = 1;
module.exports.factory = (cs) =>
  transformer.before(
    {
      introspectComments: true,
      dtoFileNameSuffix: ['.dto.ts', '.response.ts'],
      classValidatorShim: true,
    },
    cs.program,
  );
