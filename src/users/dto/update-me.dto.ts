import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { trim, trimLower } from '../../common/validation/transforms';
import { IsOptionalNotNull } from '../../common/validation/optional';
import { StrongPassword } from '../password-policy';
import { USERNAME_MESSAGE, USERNAME_PATTERN } from './username';

/** PATCH /v1/users/me: only these fields; anything else (isAdmin, email, …) is a 400. */
export class UpdateMeDto {
  /** Up to 100 characters; null clears it. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  /** Up to 100 characters; null clears it. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  lastName?: string | null;

  /** 3–50 of a-z 0-9 _ . - (stored lower-cased); null clears it. */
  @IsOptional()
  @Transform(trimLower)
  @IsString()
  @Length(3, 50)
  @Matches(USERNAME_PATTERN, { message: USERNAME_MESSAGE })
  username?: string | null;

  /** New password, 10–128 characters, not easy to guess (zxcvbn score 3 or more); needs currentPassword. */
  @IsOptionalNotNull()
  @IsString()
  @Length(10, 128)
  @StrongPassword()
  password?: string;

  /** Required when changing the password; must be a string whenever it is sent. */
  @ValidateIf(
    (o: UpdateMeDto) =>
      (o.password !== undefined && o.password !== null) || o.currentPassword !== undefined,
  )
  @IsString({ message: 'currentPassword is required to change the password' })
  @MaxLength(128)
  currentPassword?: string;
}
