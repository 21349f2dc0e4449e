import { ValidateBy, ValidationOptions } from 'class-validator';

export const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_URL_LENGTH = 2048;
const MAX_SELECTOR_LENGTH = 1000;
const MAX_FIELDS = 200;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Why a task config is not acceptable, or null when it is. Known keys are checked — targetUrl
 * (absolute http/https URL without credentials), containerSelector, fields (name →
 * {type, selector}), maxPages, waitMs — and unknown keys are kept (workers evolve faster
 * than the API), the whole object bounded at 64 KB of JSON.
 */
export function taskConfigProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'config must be a JSON object';
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_CONFIG_BYTES)
    return `config must be at most ${MAX_CONFIG_BYTES / 1024} KB of JSON`;
  const { targetUrl, containerSelector, fields, maxPages, waitMs } = value;
  if (typeof targetUrl !== 'string' || targetUrl.length === 0)
    return 'config.targetUrl is required (an http or https URL)';
  if (targetUrl.length > MAX_URL_LENGTH)
    return `config.targetUrl must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(targetUrl);
  } catch {
    return 'config.targetUrl must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'config.targetUrl must use http or https';
  if (url.username || url.password) return 'config.targetUrl must not contain credentials';
  if (!url.hostname) return 'config.targetUrl must name a host';
  if (containerSelector !== undefined && !selector(containerSelector))
    return `config.containerSelector must be a string of 1–${MAX_SELECTOR_LENGTH} characters`;
  if (fields !== undefined) {
    if (!isPlainObject(fields)) return 'config.fields must be an object of name → {type, selector}';
    const entries = Object.entries(fields);
    if (entries.length > MAX_FIELDS) return `config.fields may have at most ${MAX_FIELDS} fields`;
    for (const [name, field] of entries) {
      if (name.length === 0 || name.length > 100)
        return 'config.fields names must be 1–100 characters';
      if (
        !isPlainObject(field) ||
        typeof field.type !== 'string' ||
        field.type.length === 0 ||
        field.type.length > 50 ||
        !selector(field.selector)
      )
        return `config.fields.${name} must be {type, selector} (non-empty strings)`;
    }
  }
  if (maxPages !== undefined && !integerIn(maxPages, 1, 10_000))
    return 'config.maxPages must be an integer from 1 to 10000';
  if (waitMs !== undefined && !integerIn(waitMs, 0, 600_000))
    return 'config.waitMs must be an integer from 0 to 600000';
  return null;
}

function selector(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SELECTOR_LENGTH;
}

function integerIn(value: unknown, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** class-validator decorator over taskConfigProblem (the message says what is wrong). */
export function IsTaskConfig(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTaskConfig',
      validator: {
        validate: (value: unknown) => taskConfigProblem(value) === null,
        defaultMessage: (args) => taskConfigProblem(args?.value) ?? 'config is invalid',
      },
    },
    options,
  );
}
