import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CacheService } from '../cache/cache.service';

/** Long enough for any load that read the row before the write to have stored its result. */
export const REDELETE_AFTER_MS = 1_000;

/**
 * Invalidation for the identity caches the access guard trusts (`user:{id}`, memberships).
 * A cache miss racing a write can read the old row just before the write commits and store it
 * just after the delete, which would keep a deactivated user or a removed member in for a whole
 * TTL. So keys are dropped at once and once more a moment later (in every instance: deletes are
 * broadcast), which bounds such a stale entry to about a second.
 */
@Injectable()
export class IdentityCache implements OnApplicationShutdown {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly cache: CacheService) {}

  async drop(...keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.cache.del(key)));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.all(keys.map((key) => this.cache.del(key))).catch(() => undefined);
    }, REDELETE_AFTER_MS);
    timer.unref();
    this.timers.add(timer);
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
