/** A user as the API shows it (never the password hash). */
export class UserResponse {
  id: string;
  email: string;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  isActive: boolean;
  isAdmin: boolean;
  /** ISO 8601 */
  lastLoginAt: string | null;
  /** Bumped by every write of the account (sign-ins too: they set lastLoginAt); the `ETag` is made from it. */
  version: number;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  updatedAt: string;
}

export class UserPageResponse {
  items: UserResponse[];
  /** Cursor for the next page; null on the last one. */
  nextCursor: string | null;
}
