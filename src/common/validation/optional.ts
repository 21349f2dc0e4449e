import { ValidateIf } from 'class-validator';

/**
 * Optional, but not nullable: an absent field is skipped, while `null` goes through the field's
 * other validators (and is refused by them: 400). class-validator's `@IsOptional()` skips `null`
 * too, which is right only for columns that may be cleared; on a NOT NULL column a `null` then
 * reached the database (`PATCH /v1/entities/:id {"slug": null}` answered 500).
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
