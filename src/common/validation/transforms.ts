import { ValidateBy } from 'class-validator';

/** class-transformer helpers for DTOs: normalise before validating. One of each, used by every module. */
export const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

export const trimLower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/** `?isActive=true|false` → boolean; anything else stays a string and fails @IsBoolean. */
export const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

/** Query strings arrive as text: turn digits into numbers, leave anything else to fail validation. */
export const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** PostgreSQL text cannot hold NUL: refuse it as input (400) instead of failing the query (500). */
export const NoNul = () =>
  ValidateBy({
    name: 'noNul',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\0'),
      defaultMessage: (args) => `${args?.property} must not contain NUL characters`,
    },
  });
