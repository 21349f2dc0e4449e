/**
 * A new access token and refresh token of one session. Issued by the auth module; declared here
 * so that PATCH /v1/users/me (a password change) can return them too.
 */
export class SessionTokensResponse {
  /** JWT (HS256) for `Authorization: Bearer …`; lives ACCESS_TOKEN_TTL. */
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** Opaque; send it to POST /v1/auth/refresh for the next pair (once: it is spent there). */
  refreshToken: string;
}
