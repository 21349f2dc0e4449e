import { ValidateBy } from 'class-validator';

/** The JSON fields of analyses and tool generations (parameters, config, result). */
export const MAX_PARAMETERS_BYTES = 64 * 1024;
export const MAX_RESULT_BYTES = 1024 * 1024;

function jsonProblem(value: unknown, objectOnly: boolean, maxBytes: number): string | null {
  if (objectOnly && (typeof value !== 'object' || value === null || Array.isArray(value)))
    return 'must be a JSON object';
  const text = JSON.stringify(value);
  if (text === undefined) return 'must be a JSON value';
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    return `must be at most ${Math.round(maxBytes / 1024)} KB of JSON`;
  // PostgreSQL jsonb cannot hold NUL: a 400 here, not a failed statement.
  if (text.includes('\\u0000')) return 'must not contain NUL characters';
  if (hasOperatorKey(value)) return 'must not contain keys that start with $ (query operators)';
  return null;
}

/** `{"$gt": …}` and friends: refused anywhere in the document, so no store ever sees an operator. */
function hasOperatorKey(value: unknown, depth = 0): boolean {
  if (depth > 32 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => hasOperatorKey(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.startsWith('$') || hasOperatorKey(v, depth + 1));
}

/** A JSON object of at most `maxBytes` (serialised). */
export const IsJsonObject = (maxBytes = MAX_PARAMETERS_BYTES) =>
  ValidateBy({
    name: 'isJsonObject',
    validator: {
      validate: (value: unknown) => jsonProblem(value, true, maxBytes) === null,
      defaultMessage: (args) =>
        `${args?.property} ${jsonProblem(args?.value, true, maxBytes) ?? 'is invalid'}`,
    },
  });

/** Any JSON value of at most `maxBytes` (serialised). */
export const IsJsonValue = (maxBytes = MAX_RESULT_BYTES) =>
  ValidateBy({
    name: 'isJsonValue',
    validator: {
      validate: (value: unknown) => jsonProblem(value, false, maxBytes) === null,
      defaultMessage: (args) =>
        `${args?.property} ${jsonProblem(args?.value, false, maxBytes) ?? 'is invalid'}`,
    },
  });
