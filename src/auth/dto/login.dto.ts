import { IsString, Length, MaxLength } from 'class-validator';

/** POST /v1/auth/login. */
export class LoginDto {
  /** Email or username. */
  @IsString()
  @Length(1, 255)
  login: string;

  @IsString()
  @Length(1, 128)
  @MaxLength(128)
  password: string;
}
