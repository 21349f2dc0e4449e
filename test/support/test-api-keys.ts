import { Scope } from '../../src/common/auth/access';
import { ApiKeyResolver } from '../../src/common/auth/access-ports';
import { TestApp } from './test-app';

/**
 * API keys for route tests while no module issues real ones: the app's ApiKeyResolver (the
 * billing module's port; until billing lands it accepts no key) is taught these keys. The
 * guard, scopes check and membership lookup that follow are the app's own.
 */
export function useTestApiKeys(
  t: TestApp,
  keys: Record<string, { userId: string; scopes: Scope[] }>,
): void {
  const resolver = t.app.get(ApiKeyResolver, { strict: false });
  const original = resolver.fromApiKey.bind(resolver);
  resolver.fromApiKey = async (key: string) => {
    const known = keys[key];
    if (!known) return original(key);
    return { userId: known.userId, isAdmin: false, via: 'api_key', scopes: known.scopes };
  };
}
