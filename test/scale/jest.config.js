/**
 * The scale-out suites alone: `npx jest -c test/scale/jest.config.js` with TEST_DATABASE_URL and
 * TEST_REDIS_URL set (they skip, saying why, without). The root jest.config.js runs them as
 * the `scale` project. NestJS 12 is ESM-only: see test/support/vm-modules.js.
 */
require('../support/vm-modules').ensureVmModules();

module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  displayName: 'scale',
  testMatch: ['<rootDir>/test/scale/**/*.pg-spec.ts'],
  setupFiles: ['<rootDir>/test/support/env.postgres.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
