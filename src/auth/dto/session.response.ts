import { ApiProperty } from '@nestjs/swagger';

/** One live sign-in of yours (GET /v1/auth/sessions). */
export class SessionResponse {
  /** The session id: the `sid` of its access tokens; DELETE /v1/auth/sessions/:id ends it. */
  id: string;
  /** True for the session of the access token that asked. */
  current: boolean;
  /** User-Agent at sign-in or at the latest refresh (up to 255 characters). */
  userAgent: string | null;
  /** Client address at sign-in or at the latest refresh. */
  ip: string | null;
  /** When you signed in. */
  createdAt: string;
  /** The latest refresh; null before the first. */
  lastUsedAt: string | null;
  /** When its refresh token expires unless it is used before (REFRESH_TOKEN_TTL, sliding). */
  expiresAt: string;
}

export class SessionPageResponse {
  @ApiProperty({ type: [SessionResponse] })
  items: SessionResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}
