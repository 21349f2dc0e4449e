import { IsString } from 'class-validator';

/** POST /v1/auth/refresh: the body only (a refresh token in the query string is refused). */
export class RefreshDto {
  /** The refresh token from sign-in or the previous refresh; spent by this call. */
  @IsString()
  refreshToken: string;
}
