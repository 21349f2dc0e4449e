import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { trim, trimLower } from '../../common/validation/transforms';
import { USERNAME_MESSAGE, USERNAME_PATTERN } from '../../users/dto/username';
import { StrongPassword } from '../../users/password-policy';

/** POST /v1/auth/register. Unknown fields (isAdmin, …) are rejected with 400. */
export class RegisterDto {
  /** Stored lower-cased; at most 255 characters. */
  @Transform(trimLower)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  /** 10–128 characters, not easy to guess (zxcvbn score 3 or more; not built from the email, username or names). */
  @IsString()
  @Length(10, 128)
  @StrongPassword()
  password: string;

  /** 3–50 of a-z 0-9 _ . - (stored lower-cased); null is the same as absent. */
  @IsOptional()
  @Transform(trimLower)
  @IsString()
  @Length(3, 50)
  @Matches(USERNAME_PATTERN, { message: USERNAME_MESSAGE })
  username?: string | null;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  lastName?: string | null;
}
