import { Principal, Role } from './access';

/**
 * What the access guard needs from the identity modules. Implemented by the auth and
 * billing (API keys) services; common/ never imports a feature module.
 */
export abstract class PrincipalResolver {
  /** A verified, active user from a bearer JWT; null when the token is invalid or the user inactive. */
  abstract fromAccessToken(token: string): Promise<Principal | null>;
  /** An active user from an API key (ck_…); null when unknown, revoked or the user inactive. */
  abstract fromApiKey(key: string): Promise<Principal | null>;
}

export abstract class MembershipResolver {
  /** The caller's role in an active entity, or null (not a member, inactive membership or entity). */
  abstract roleOf(userId: string, entityId: string): Promise<Role | null>;
}
