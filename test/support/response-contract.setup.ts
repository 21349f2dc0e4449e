import { takeContractViolations } from './response-contract';

/**
 * e2e projects (jest setupFilesAfterEnv): a response that does not match the OpenAPI document
 * fails the test during which it was received (responses to beforeAll requests fail the first
 * test of the file, those of afterAll the file).
 */
function failOnViolations(): void {
  const violations = takeContractViolations();
  if (violations.length > 0) {
    throw new Error(
      `${violations.length} response(s) did not match the OpenAPI document (/docs-json):\n- ${violations.join('\n- ')}`,
    );
  }
}

afterEach(failOnViolations);
afterAll(failOnViolations);
