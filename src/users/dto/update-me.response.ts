import { SessionTokensResponse } from './session-tokens.response';
import { UserResponse } from './user.response';

/** PATCH /v1/users/me: the user; after a password change also fresh tokens for this session. */
export class UpdateMeResponse extends UserResponse {
  /**
   * Only when the password changed through a signed-in session: every other session was
   * revoked, and this one continues with these tokens (its old refresh token is spent).
   */
  tokens?: SessionTokensResponse;
}
