import { createHash } from 'node:crypto';

/** Every cache key of the app, built in one place. */
export const CacheKeys = {
  user: (id: string) => `user:${id}`,
  membership: (userId: string, entityId: string) => `membership:${userId}:${entityId}`,
  membershipsOfUser: (userId: string) => `membership:${userId}:`,
  analysisResult: (id: string) => `analysis_result:${id}`,
  api: (route: string, params: unknown) =>
    `api:${route}:${createHash('sha1').update(JSON.stringify(params)).digest('base64url')}`,
  systemStats: () => 'system_stats',
  /** A full crawl document (CrawlService.findOne), dropped on every write to it. */
  crawl: (entityId: string, id: string) => `crawl:${entityId}:${id}`,
  /** An API key's credential (owner, scopes, expiry, revocation), by the SHA-256 of the key. */
  apiKey: (keyHash: string) => `api_key:${keyHash}`,
  /** A sign-in's owner while it is live (SessionsService.ownerOf), dropped on revocation. */
  session: (id: string) => `session:${id}`,
  /** Failed sign-ins of an account (hash of the login) or a client address (LoginBackoff). */
  loginFailures: (kind: 'account' | 'ip', id: string) => `login_failures:${kind}:${id}`,
} as const;

/** An invalidation relayed between cluster workers over IPC when there is no Redis. */
export interface CacheInvalidation {
  type: 'cornerstone:cache-invalidate';
  key?: string;
  prefix?: string;
}

export function isCacheInvalidation(message: unknown): message is CacheInvalidation {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'cornerstone:cache-invalidate'
  );
}
