/** class-transformer helpers for identity DTOs: normalise before validating. */
export const trimLower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

/** `?isActive=true|false` → boolean; anything else stays a string and fails @IsBoolean. */
export const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export const USERNAME_PATTERN = /^[a-z0-9_.-]+$/;
export const USERNAME_MESSAGE = 'username may only contain a-z, 0-9, "_", "." and "-"';
