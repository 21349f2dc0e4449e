import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import KeyvRedis, { createClient, Keyv, RedisClientType } from '@keyv/redis';
import { KeyvCacheableMemory } from 'cacheable';
import { AppConfig } from '../config/app-config';
import { CacheInvalidation, isCacheInvalidation } from './cache-keys';

/**
 * Values in the memory tier are shared by every reader, so they are frozen (deeply) when
 * stored: a caller that tried to change one would fail loudly instead of changing it for
 * everybody. Cloning on every read instead was ~7% of the CPU of an authenticated request.
 */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Memory-tier TTL when Redis is the shared tier: short, and invalidated over pub/sub anyway. */
const MEMORY_TIER_MAX_TTL_MS = 5_000;

export type CacheHealth = { store: 'memory' } | { store: 'memory+redis'; redis: 'up' | 'down' };

/** Lookups (`get`, and `wrap` through it) of this process since it started: found, or not. */
export interface CacheLookupCounts {
  hits: number;
  misses: number;
}

/** The same lookups by tier: a memory miss falls through to Redis (when set), whose miss is the loader's. */
export interface CacheTierCounts {
  memory: CacheLookupCounts;
  redis: CacheLookupCounts | null;
}

/**
 * get/set/del/wrap/delByPrefix over two tiers: an in-process LRU, and Redis (via Keyv) when
 * REDIS_URL is set. Redis failures never fail a call: they are logged once per outage and
 * the call falls through (a miss, then the loader). Deletes are broadcast over Redis
 * pub/sub so other instances drop their memory copy too.
 */
@Injectable()
export class CacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('Cache');
  private readonly instanceId = randomUUID();
  private readonly defaultTtlMs: number;
  private readonly memoryStore: KeyvCacheableMemory;
  readonly memory: Keyv;
  readonly redis: Keyv | null = null;
  private readonly client: RedisClientType | null = null;
  private readonly commandTimeoutMs: number;
  private subscriber: RedisClientType | null = null;
  private readonly channel: string;
  private readonly prefix: string;
  private redisHealthy = false;
  private outageLogged = false;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly lookups = { memoryHits: 0, redisHits: 0, misses: 0 };

  constructor(config: AppConfig) {
    this.defaultTtlMs = config.cache.ttlSeconds * 1000;
    // One Map (no key hashing into shards), values frozen instead of JSON round trips or
    // clones: all three showed in CPU profiles of authenticated routes.
    this.memoryStore = new KeyvCacheableMemory({
      lruSize: config.cache.memoryMaxEntries,
      useClone: false,
      storeHashSize: 1,
    });
    this.memory = new Keyv({ store: this.memoryStore, namespace: '' });
    this.memory.serialize = undefined;
    this.memory.deserialize = undefined;
    this.prefix = config.redis?.keyPrefix ?? 'cs:';
    this.commandTimeoutMs = config.redis?.commandTimeoutMs ?? 200;
    this.channel = `${this.prefix}cache:invalidate`;
    if (config.redis) {
      this.client = createClient({
        url: config.redis.url,
        // Fail fast while disconnected instead of queueing commands behind a dead socket.
        disableOfflineQueue: true,
        // A hung Redis (connected, silent): each command fails after this, and the call falls
        // through to the database instead of waiting as long as Redis hangs.
        commandOptions: { timeout: config.redis.commandTimeoutMs },
        socket: {
          connectTimeout: config.redis.connectTimeoutMs,
          reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
        },
      }) as RedisClientType;
      this.client.on('error', (error: Error) => this.markDown(error));
      this.client.on('ready', () => void this.markUp());
      const store = new KeyvRedis(this.client, { throwOnConnectError: false, throwOnErrors: true });
      this.redis = new Keyv({
        store,
        namespace: this.prefix.replace(/:$/, ''),
        useKeyPrefix: false,
      });
      this.redis.on('error', () => undefined); // errors surface as rejections and are handled per call
    }
    this.ipc = !this.client && cluster.isWorker && typeof process.send === 'function';
  }

  /** A cluster worker without Redis: invalidations travel to the other workers over IPC. */
  private readonly ipc: boolean;
  private readonly onIpc = (message: unknown) => {
    if (!isCacheInvalidation(message)) return;
    if (message.key) void this.memory.delete(message.key);
    if (message.prefix) this.deleteLocalPrefix(message.prefix);
  };

  async onModuleInit(): Promise<void> {
    if (this.ipc) process.on('message', this.onIpc);
    if (!this.client) return;
    // Never block start-up on Redis: the app serves without its cache.
    this.client.connect().catch((error: Error) => this.markDown(error));
    this.subscriber = this.client.duplicate() as RedisClientType;
    this.subscriber.on('error', () => undefined);
    this.subscriber
      .connect()
      .then(() =>
        this.subscriber!.subscribe(this.channel, (message) => void this.onInvalidation(message)),
      )
      .catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ipc) process.off('message', this.onIpc);
    if (this.recovery) clearInterval(this.recovery);
    this.recovery = null;
    // A connected client flushes and quits; one still reconnecting is dropped at once.
    for (const client of [this.subscriber, this.client]) {
      if (!client?.isOpen) continue;
      if (client.isReady) await client.quit().catch(() => client.destroy());
      else client.destroy();
    }
  }

  health(): CacheHealth {
    if (!this.client) return { store: 'memory' };
    return { store: 'memory+redis', redis: this.redisHealthy ? 'up' : 'down' };
  }

  async ping(): Promise<CacheHealth> {
    if (!this.client) return { store: 'memory' };
    try {
      await this.bounded(this.client.ping());
      await this.markUp();
    } catch (error) {
      this.markDown(error as Error);
    }
    return this.health();
  }

  /**
   * Hits and misses of `get` (and so of `wrap`) in this process since it started: in-process
   * counters, not shared between instances or workers, reset by a restart. A hit is a value
   * from either tier.
   */
  lookupCounts(): CacheLookupCounts {
    const { memoryHits, redisHits, misses } = this.lookups;
    return { hits: memoryHits + redisHits, misses };
  }

  /** lookupCounts by tier (the /metrics cache counters). */
  tierCounts(): CacheTierCounts {
    const { memoryHits, redisHits, misses } = this.lookups;
    return {
      memory: { hits: memoryHits, misses: redisHits + misses },
      redis: this.redis ? { hits: redisHits, misses } : null,
    };
  }

  async get<T>(key: string): Promise<T | undefined> {
    const local = await this.memory.get<T>(key);
    if (local !== undefined) {
      this.lookups.memoryHits++;
      return local;
    }
    if (this.redis) {
      const shared = await this.tryRedis(() => this.redis!.get<T>(this.epochKey(key)));
      if (shared !== undefined && shared !== null) {
        this.lookups.redisHits++;
        await this.memory.set(key, deepFreeze(shared), MEMORY_TIER_MAX_TTL_MS);
        return shared;
      }
    }
    this.lookups.misses++;
    return undefined;
  }

  async set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    const ttlMs = ttlSeconds ? ttlSeconds * 1000 : this.defaultTtlMs;
    await this.memory.set(
      key,
      deepFreeze(value),
      this.redis ? Math.min(ttlMs, MEMORY_TIER_MAX_TTL_MS) : ttlMs,
    );
    if (this.redis) await this.tryRedis(() => this.redis!.set(this.epochKey(key), value, ttlMs));
  }

  async del(key: string): Promise<void> {
    await this.memory.delete(key);
    if (this.redis) {
      await this.tryRedis(() => this.redis!.delete(this.epochKey(key)));
      await this.publish({ key });
    } else if (this.ipc) await this.publish({ key });
  }

  /** Deletes every key starting with `prefix`, in this process, in Redis and in the other instances. */
  async delByPrefix(prefix: string): Promise<void> {
    this.deleteLocalPrefix(prefix);
    if (this.ipc) return this.publish({ prefix });
    if (!this.client || !this.redis) return;
    await this.tryRedis(async () => {
      const pattern = `${this.redisKey(this.epochKey(prefix))}*`;
      for await (const keys of this.client!.scanIterator({ MATCH: pattern, COUNT: 500 })) {
        const batch = ([] as string[]).concat(keys as unknown as string[]);
        if (batch.length) await this.client!.del(batch);
      }
    });
    await this.publish({ prefix });
  }

  /** Cached value, or the loader's result stored for ttl. Concurrent misses share one load. */
  async wrap<T>(key: string, loader: () => Promise<T>, ttlSeconds?: number): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return cached;
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const load = (async () => {
      try {
        const value = await loader();
        if (value !== undefined && value !== null) await this.set(key, value, ttlSeconds);
        return value;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, load);
    return load;
  }

  private redisKey(key: string): string {
    return `${this.prefix.replace(/:$/, '')}::${key}`;
  }

  private deleteLocalPrefix(prefix: string): void {
    for (const key of [...this.memoryStore.store.keys]) {
      if (key.startsWith(prefix)) this.memoryStore.store.delete(key);
    }
  }

  private async publish(message: { key?: string; prefix?: string }): Promise<void> {
    if (this.ipc) {
      const relay: CacheInvalidation = { type: 'cornerstone:cache-invalidate', ...message };
      process.send!(relay);
      return;
    }
    if (!this.client) return;
    await this.tryRedis(() =>
      this.client!.publish(this.channel, JSON.stringify({ ...message, from: this.instanceId })),
    );
  }

  private async onInvalidation(raw: string): Promise<void> {
    try {
      const message = JSON.parse(raw) as {
        key?: string;
        prefix?: string;
        epoch?: number;
        from?: string;
      };
      if (message.from === this.instanceId) return;
      if (typeof message.epoch === 'number' && message.epoch > (this.epoch ?? 0)) {
        // Another instance recovered from an outage: follow it to the new epoch.
        this.epoch = message.epoch;
        this.memoryStore.store.clear();
      }
      if (message.key) await this.memory.delete(message.key);
      if (message.prefix) this.deleteLocalPrefix(message.prefix);
    } catch {
      /* a foreign message on our channel: ignore */
    }
  }

  private async tryRedis<T>(operation: () => Promise<T>): Promise<T | undefined> {
    if (!this.redisHealthy) return undefined;
    try {
      return await this.bounded(operation());
    } catch (error) {
      this.markDown(error as Error);
      return undefined;
    }
  }

  /**
   * Marked down by a failed command on a connection that never dropped (a hung Redis), the
   * client emits no 'ready' when Redis answers again: ping it once a second until it does.
   */
  private recovery: NodeJS.Timeout | null = null;

  /**
   * The command timeout, enforced here too: node-redis' own (`commandOptions.timeout`) only
   * starts once a command is written, so a call queued behind a silent socket could wait forever.
   */
  private bounded<T>(operation: Promise<T>): Promise<T> {
    const ms = this.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }

  private scheduleRecovery(): void {
    if (this.recovery || !this.client) return;
    this.recovery = setInterval(() => {
      if (this.redisHealthy || !this.client?.isReady) return;
      this.bounded(this.client.ping()).then(
        () => void this.markUp(),
        () => undefined,
      );
    }, 1_000);
    this.recovery.unref();
  }

  private markDown(error: Error): void {
    this.redisHealthy = false;
    this.scheduleRecovery();
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.warn(`Redis unavailable, serving without the shared cache: ${error.message}`);
    }
  }

  /**
   * Redis answered (first connection, reconnect, or a hang ended). Nothing written to Redis
   * before an outage is trusted after it: invalidations sent meanwhile were lost, and a Redis
   * restarted from its append-only file brings old entries back. So every Redis key carries the
   * cache epoch (`e{n}:`), and each recovery moves to a new one (INCR of `{prefix}cache:epoch`,
   * announced to the other instances); entries of older epochs are never read and expire.
   */
  private markUp(): Promise<void> {
    if (this.redisHealthy) return Promise.resolve();
    this.establishing ??= this.establishEpoch(this.epoch !== null)
      .then(() => {
        this.redisHealthy = true;
        // Whatever was cached in memory during the outage may be stale across instances.
        this.memoryStore.store.clear();
        if (this.outageLogged) this.log.log('Redis is back; shared cache resumed');
        this.outageLogged = false;
      })
      .catch((error: Error) => this.markDown(error))
      .finally(() => (this.establishing = null));
    return this.establishing;
  }

  private epoch: number | null = null;
  private establishing: Promise<void> | null = null;

  private async establishEpoch(recovery: boolean): Promise<void> {
    const key = `${this.prefix}cache:epoch`;
    if (!recovery) {
      this.epoch = Number((await this.bounded(this.client!.get(key))) ?? 0) || 0;
      return;
    }
    let next = Number(await this.bounded(this.client!.incr(key)));
    // A Redis restored from an older file may hand back an epoch this instance already used.
    if (next <= (this.epoch ?? 0)) {
      next = (this.epoch ?? 0) + 1;
      await this.bounded(this.client!.set(key, String(next)));
    }
    this.epoch = next;
    await this.bounded(
      this.client!.publish(this.channel, JSON.stringify({ epoch: next, from: this.instanceId })),
    ).catch(() => undefined);
  }

  /** The Redis key of a cache key: its epoch first, so older epochs are never read. */
  private epochKey(key: string): string {
    return `e${this.epoch ?? 0}:${key}`;
  }
}
