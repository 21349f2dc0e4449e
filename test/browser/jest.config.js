/**
 * `npm run test:browser`: Swagger UI in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the built app. Not part of `npm test`: it needs `npm run build` and
 * a browser; .ci/run installs Chromium when missing and runs it. Without /usr/bin/chromium the
 * suite is skipped with a message saying so.
 */
module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  displayName: 'browser',
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
