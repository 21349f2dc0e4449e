/** A new access token and refresh token of one sign-in. */
export interface SessionTokens {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
}

/**
 * What the users module needs of sign-ins (provided by the auth module, which depends on
 * users; this port keeps the dependency one way): a password change or a deactivation ends
 * sessions.
 */
export abstract class UserSessions {
  /** Revokes every sign-in of the user (deactivation, password set by an admin). */
  abstract revokeAll(userId: string): Promise<void>;
  /**
   * Revokes every other sign-in and gives `sessionId` (the caller's) a fresh pair of tokens;
   * null when there is no such live session (the caller used an API key).
   */
  abstract keepOnly(userId: string, sessionId: string | undefined): Promise<SessionTokens | null>;
}
