import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * How many hits one instance reserves from the shared Redis counter per round trip:
 * clamp(floor(limit / 32), 1, 64).
 *
 * Trade-off: an instance may hold up to batch − 1 reserved hits it never uses, and they count
 * against the limit, so across N instances a client can be refused up to N × (batch − 1)
 * requests early (≈3% of the limit per instance), never late. Limits below 64 get a batch of 1,
 * which means exact counting (one Redis call per request, as before).
 */
export function throttleBatchSize(limit: number): number {
  return Math.min(64, Math.max(1, Math.floor(limit / 32)));
}

// One round trip per batch: reserve ARGV[1] hits, start the window (ARGV[2] ms) when this
// reservation created the counter, and say how long the window has left.
const RESERVE = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  pttl = tonumber(ARGV[2])
end
return {total, pttl}`;

/** This instance's view of one key's window: hits numbered up to `total` are reserved for it. */
interface LocalWindow {
  /** The shared counter right after this instance's last reservation. */
  total: number;
  /** The shared hit number the next local hit gets. */
  next: number;
  /** Window end (epoch ms). */
  endsAt: number;
}

/**
 * Counts hits in batches against a shared Redis counter: one `INCRBY batch` reserves hits that
 * this instance then hands out from memory, so a hot key costs one Redis round trip per batch
 * instead of per request. Redis errors are thrown (ResilientThrottlerStorage falls back).
 *
 * A client over the limit is blocked until the window ends; the exact storage, which still
 * serves limits below 64 and any other block duration, blocks for `blockDuration` from the
 * request that went over instead.
 */
export class BatchedRedisThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, LocalWindow>();
  /** One reservation in flight per key: concurrent requests wait for it instead of each asking Redis. */
  private readonly reserving = new Map<string, Promise<LocalWindow>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly exact: Pick<ThrottlerStorageRedisService, 'redis' | 'increment'>,
    sweepIntervalMs = 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweeper.unref();
  }

  async increment(
    ...args: Parameters<ThrottlerStorage['increment']>
  ): Promise<ThrottlerStorageRecord> {
    const [key, ttl, limit, blockDuration, throttlerName] = args;
    const batch = throttleBatchSize(limit);
    // Exact, as before, for small limits and for routes with their own block duration.
    if (batch === 1 || blockDuration !== ttl) return this.exact.increment(...args);
    const id = `${key}:${throttlerName}`;
    let window = this.windows.get(id);
    if (window && window.endsAt <= Date.now()) {
      this.windows.delete(id);
      window = undefined;
    }
    // Hit numbers only grow within a window, so once past the limit the key stays blocked
    // locally until the window ends, without asking Redis again. A window just reserved is
    // used even if it ended meanwhile: Redis has already counted this hit in it.
    while (!window || (window.next > window.total && window.next <= limit)) {
      window = await (this.reserving.get(id) ?? this.reserve(id, batch, ttl));
    }
    return record(window.next++, limit, window.endsAt);
  }

  /** Local windows held (diagnostics and tests). */
  get size(): number {
    return this.windows.size;
  }

  /** Drops the windows that have ended (keys no longer requested are otherwise never read again). */
  sweep(now = Date.now()): void {
    for (const [id, window] of this.windows) if (window.endsAt <= now) this.windows.delete(id);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.windows.clear();
  }

  private reserve(id: string, batch: number, ttl: number): Promise<LocalWindow> {
    const startedAt = Date.now();
    const reply = this.exact.redis.eval(RESERVE, 1, `batch:${id}`, batch, Math.ceil(ttl));
    const pending = (reply as Promise<[number, number]>)
      .then(([total, pttl]) => {
        // Timed from before the call, so the local window never outlives the Redis counter.
        const window = { total, next: total - batch + 1, endsAt: startedAt + pttl };
        this.windows.set(id, window);
        return window;
      })
      .finally(() => this.reserving.delete(id));
    this.reserving.set(id, pending);
    return pending;
  }
}

/** The record the ThrottlerGuard reads; times in whole seconds, rounded up, like both stock storages. */
function record(hit: number, limit: number, endsAt: number): ThrottlerStorageRecord {
  const timeToExpire = Math.ceil(Math.max(1, endsAt - Date.now()) / 1000);
  const isBlocked = hit > limit;
  return {
    totalHits: hit,
    timeToExpire,
    isBlocked,
    timeToBlockExpire: isBlocked ? timeToExpire : 0,
  };
}
