import { loadConfig } from '../config/app-config';
import { CacheService } from './cache.service';

describe('CacheService (memory tier)', () => {
  let cache: CacheService;
  beforeEach(() => {
    cache = new CacheService(loadConfig({ REDIS_URL: undefined, CACHE_MEMORY_MAX_ENTRIES: '10' }));
  });

  it('stores, reads and deletes values', async () => {
    await cache.set('user:1', { id: '1' });
    expect(await cache.get('user:1')).toEqual({ id: '1' });
    await cache.del('user:1');
    expect(await cache.get('user:1')).toBeUndefined();
  });

  it('shares one frozen copy: a reader cannot change the value for the others', async () => {
    await cache.set('user:2', { id: '2', roles: [{ name: 'owner' }] });
    const read = await cache.get<{ id: string; roles: Array<{ name: string }> }>('user:2');
    expect(() => {
      read!.id = 'changed';
    }).toThrow(TypeError);
    expect(() => read!.roles.push({ name: 'x' })).toThrow(TypeError);
    expect(() => {
      read!.roles[0].name = 'x';
    }).toThrow(TypeError);
    expect(await cache.get('user:2')).toEqual({ id: '2', roles: [{ name: 'owner' }] });
  });

  it('runs one loader for concurrent misses of the same key', async () => {
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { n: calls };
    };
    const results = await Promise.all([1, 2, 3, 4].map(() => cache.wrap('system_stats', loader)));
    expect(calls).toBe(1);
    expect(results).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }, { n: 1 }]);
    expect(await cache.wrap('system_stats', loader)).toEqual({ n: 1 });
  });

  it('deletes by prefix only the matching keys', async () => {
    await cache.set('membership:u1:e1', 'owner');
    await cache.set('membership:u1:e2', 'member');
    await cache.set('membership:u2:e1', 'admin');
    await cache.delByPrefix('membership:u1:');
    expect(await cache.get('membership:u1:e1')).toBeUndefined();
    expect(await cache.get('membership:u1:e2')).toBeUndefined();
    expect(await cache.get('membership:u2:e1')).toBe('admin');
  });

  it('stays within its size bound (LRU)', async () => {
    for (let i = 0; i < 25; i++) await cache.set(`k:${i}`, i);
    expect(await cache.get('k:0')).toBeUndefined();
    expect(await cache.get('k:24')).toBe(24);
  });

  it('expires entries after their TTL', async () => {
    jest.useFakeTimers({ now: Date.now() });
    try {
      await cache.set('short', 1, 1);
      jest.setSystemTime(Date.now() + 1_500);
      expect(await cache.get('short')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts hits and misses of lookups, wrap included', async () => {
    const before = cache.lookupCounts();
    await cache.get('absent');
    await cache.set('present', 1);
    await cache.get('present');
    await cache.wrap('wrapped', async () => 2); // miss, then stored
    await cache.wrap('wrapped', async () => 3); // hit
    expect(cache.lookupCounts()).toEqual({
      hits: before.hits + 2,
      misses: before.misses + 2,
    });
  });

  it('reports a memory-only store', () => {
    expect(cache.health()).toEqual({ store: 'memory' });
  });
});
