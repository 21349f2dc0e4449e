import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { NoNul, trim } from '../../common/validation/transforms';

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

  /** Up to 5,000 characters; null is the same as absent. */
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @NoNul()
  notes?: string | null;
}
