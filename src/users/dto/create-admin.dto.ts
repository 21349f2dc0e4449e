import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { trimLower } from '../../common/validation/transforms';
import { StrongPassword } from '../password-policy';

/** Input of the create-admin CLI command (validated like registration). */
export class CreateAdminDto {
  @Transform(trimLower)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @IsString()
  @Length(10, 128)
  @StrongPassword()
  password: string;
}
