import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';

/** PostgreSQL text cannot hold NUL: refuse it as input (400) instead of failing the query (500). */
export const NoNul = () =>
  ValidateBy({
    name: 'noNul',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\0'),
      defaultMessage: (args) => `${args?.property} must not contain NUL characters`,
    },
  });

export const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

/** A new lead: JSON, or the same fields as multipart/form-data text fields (plus a `resume` file). */
export class CreateLeadDto {
  /** 1–100 characters. */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoNul()
  firstName: string;

  /** 1–100 characters. */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoNul()
  lastName: string;

  /** Unique in the entity; stored lower-cased. */
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  /** Up to 5,000 characters. */
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @NoNul()
  notes?: string;
}
