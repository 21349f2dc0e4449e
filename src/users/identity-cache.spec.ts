import { CacheService } from '../cache/cache.service';
import { IdentityCache, REDELETE_AFTER_MS } from './identity-cache';

describe('IdentityCache.drop', () => {
  afterEach(() => jest.useRealTimers());

  it('deletes at once and once more a moment later, so a racing load cannot keep a stale entry', async () => {
    jest.useFakeTimers();
    const store = new Map<string, unknown>([['user:1', { isActive: true }]]);
    const cache = { del: async (key: string) => void store.delete(key) } as unknown as CacheService;
    const identity = new IdentityCache(cache);
    await identity.drop('user:1');
    expect(store.has('user:1')).toBe(false);
    store.set('user:1', { isActive: true }); // a load that read the row before the write lands now
    jest.advanceTimersByTime(REDELETE_AFTER_MS);
    await Promise.resolve();
    expect(store.has('user:1')).toBe(false);
  });

  it('cancels pending second deletes at shutdown', async () => {
    jest.useFakeTimers();
    const del = jest.fn(async () => undefined);
    const identity = new IdentityCache({ del } as unknown as CacheService);
    await identity.drop('a', 'b');
    expect(del).toHaveBeenCalledTimes(2);
    identity.onApplicationShutdown();
    jest.advanceTimersByTime(REDELETE_AFTER_MS * 2);
    expect(del).toHaveBeenCalledTimes(2);
  });
});
