/**
 * `npm test`: unit tests and the e2e suites on SQLite in memory. With TEST_DATABASE_URL
 * (and TEST_REDIS_URL) set, the same e2e suites run again on PostgreSQL and Redis.
 *
 * NestJS 12 is ESM-only: jest must run with --experimental-vm-modules (test/support/vm-modules.js).
 */
require('./test/support/vm-modules').ensureVmModules();

const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};
/**
 * e2e: the @nestjs/swagger plugin runs as in `nest build`, so /docs-json lists every DTO field
 * under jest too (the OpenAPI-driven suites in test/security generate their requests from it).
 * The plugin needs the type checker, hence a full program instead of isolated transpilation.
 */
const withSwaggerPlugin = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      diagnostics: false,
      tsconfig: { isolatedModules: false },
      astTransformers: { before: ['<rootDir>/test/support/swagger-transformer.js'] },
    },
  ],
};
const e2e = (name, setup) => ({
  ...base,
  transform: withSwaggerPlugin,
  displayName: name,
  rootDir: '.',
  // *.db-spec.ts: the database layer itself (unit of work, prepared statements, keyset) on each database.
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.db-spec.ts'],
  setupFiles: [setup],
  // Every response the suites receive must match /docs-json (test/support/response-contract.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/response-contract.setup.ts'],
});
const projects = [
  {
    ...base,
    displayName: 'unit',
    rootDir: '.',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    setupFiles: ['<rootDir>/test/support/env.unit.ts'],
  },
  e2e('e2e-sqlite', '<rootDir>/test/support/env.sqlite.ts'),
];
if (process.env.TEST_DATABASE_URL)
  projects.push(e2e('e2e-postgres', '<rootDir>/test/support/env.postgres.ts'));
// PostgreSQL-only reliability suites (fault injection on throwaway servers, graceful shutdown,
// concurrency invariants): test/reliability/*.pg-spec.ts — see RELIABILITY.md.
if (process.env.TEST_DATABASE_URL) {
  projects.push({
    ...base,
    displayName: 'reliability',
    rootDir: '.',
    testMatch: ['<rootDir>/test/reliability/**/*.pg-spec.ts'],
    setupFiles: ['<rootDir>/test/support/env.postgres.ts'],
  });
  // Scale-out (SCALING.md): two built app processes sharing PostgreSQL + Redis, read replicas.
  projects.push({
    ...base,
    displayName: 'scale',
    rootDir: '.',
    testMatch: ['<rootDir>/test/scale/**/*.pg-spec.ts'],
    setupFiles: ['<rootDir>/test/support/env.postgres.ts'],
  });
}

/**
 * Coverage (`npm run test:cov`, and CI's `npm test -- --coverage`): every file under src/, loaded
 * by a test or not. The thresholds are the numbers measured when they were set (README,
 * "Tests"): a change that lowers coverage fails CI.
 */
const coverage = {
  collectCoverageFrom: ['<rootDir>/src/**/*.ts', '!<rootDir>/src/**/*.spec.ts'],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  // Measured by CI's `npm test -- --coverage` (unit + e2e-sqlite, no servers) when set:
  // statements 81.71%, branches 65.35%, functions 67.09%, lines 82.92%. Entry points and CLI
  // commands (main.ts, cluster.ts, cli.ts, src/cli, seed-demo) run only in child processes and
  // count as uncovered; Redis-backed unit cases run only with TEST_REDIS_URL.
  coverageThreshold: { global: { statements: 81, branches: 65, functions: 67, lines: 82 } },
};

module.exports = { projects, maxWorkers: 2, testTimeout: 60_000, ...coverage };
