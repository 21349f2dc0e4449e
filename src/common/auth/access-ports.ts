import { Principal, Role } from './access';

/**
 * What the access guard needs from the identity modules, one port per provider; common/
 * never imports a feature module.
 */

/** Provided by the auth module. */
export abstract class AccessTokenResolver {
  /** A verified, active user from a bearer JWT; null when the token is invalid or the user inactive. */
  abstract fromAccessToken(token: string): Promise<Principal | null>;
}

/** Provided by the billing module (API keys). */
export abstract class ApiKeyResolver {
  /** An active user from an API key (ck_…); null when unknown, revoked, expired or the user inactive. */
  abstract fromApiKey(key: string): Promise<Principal | null>;
}

/** Provided by the entities module. */
export abstract class MembershipResolver {
  /** The caller's role in an active entity, or null (not a member, inactive membership or entity). */
  abstract roleOf(userId: string, entityId: string): Promise<Role | null>;
}
