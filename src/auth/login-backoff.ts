import { createHash } from 'node:crypto';
import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { CacheService } from '../cache/cache.service';
import { CacheKeys } from '../cache/cache-keys';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../config/app-config';

/** Failures of one key: how many, and when the last one was. */
interface Failures {
  count: number;
  lastAt: number;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15 * 60_000;
/** Keys this process remembers (the oldest go first): a few MB at most. */
const LOCAL_MAX_KEYS = 50_000;
/** Failures are forgotten a day after the last one (or at the next success, for an account). */
const FORGET_AFTER_SECONDS = 24 * 60 * 60;

/** How long `failures` must still wait before the next try is let through (0: now). */
export function backoffWaitMs(failures: Failures | undefined, free: number, now: number): number {
  if (!failures || failures.count < free) return 0;
  const delay = Math.min(FIRST_DELAY_MS * 2 ** (failures.count - free), MAX_DELAY_MS);
  return Math.max(0, failures.lastAt + delay - now);
}

/** The login string as a key: trimmed, lower-cased, hashed (no emails in Redis). */
const accountKey = (login: string) =>
  createHash('sha256').update(login.trim().toLowerCase()).digest('base64url');

/**
 * Exponential back-off for credential guessing, per account and per client address, on top
 * of the per-route rate limit: 429 problem+json with Retry-After while a key must wait. The
 * account key is the login string, existing or not, so a lock-out says nothing about whether
 * the account exists; it is checked before any password work.
 *
 * Counts live in the cache (Redis when set, so every instance sees them) and in this process
 * too: a Redis outage, or a cache miss while its connection is being established, must not
 * reset them (the larger of the two counts wins, as with the rate limit). Within one process,
 * tries on one account run one at a time, so parallel guesses cannot all pass the check
 * before the first failure is counted; across instances, at most one per instance can.
 */
@Injectable()
export class LoginBackoff {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** This process's counts, oldest first (a Map keeps insertion order); bounded. */
  private readonly local = new Map<string, Failures>();

  constructor(
    private readonly cache: CacheService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Runs `attempt` unless the account or the client must wait. An error for which
   * `isFailure` holds counts as a failure of both keys; a success clears the account's.
   * Without `login` (registration), only the client address is counted.
   */
  async guard<T>(
    keys: { login?: string; ip: string },
    attempt: () => Promise<T>,
    isFailure: (error: unknown) => boolean,
  ): Promise<T> {
    // An account (existing or not): LOGIN_FREE_FAILURES_PER_ACCOUNT (5) free, then 1 s, 2 s, 4 s …;
    // a client address, across accounts (people behind one NAT share it): …_PER_IP (20).
    const { freeFailures } = this.config.auth;
    const scoped: Array<[string, number]> = [
      [CacheKeys.loginFailures('ip', keys.ip), freeFailures.ip],
    ];
    if (keys.login !== undefined)
      scoped.unshift([
        CacheKeys.loginFailures('account', accountKey(keys.login)),
        freeFailures.account,
      ]);
    const run = async () => {
      const now = this.clock.now().getTime();
      let wait = 0;
      for (const [key, free] of scoped)
        wait = Math.max(wait, backoffWaitMs(await this.failuresOf(key), free, now));
      if (wait > 0) throw tooManyAttempts(wait);
      try {
        const result = await attempt();
        if (keys.login !== undefined) {
          this.local.delete(scoped[0][0]);
          await this.cache.del(scoped[0][0]);
        }
        return result;
      } catch (error) {
        if (isFailure(error)) for (const [key] of scoped) await this.countFailure(key);
        throw error;
      }
    };
    return keys.login === undefined ? run() : this.oneAtATime(scoped[0][0], run);
  }

  private async failuresOf(key: string): Promise<Failures | undefined> {
    const shared = await this.cache.get<Failures>(key);
    let local = this.local.get(key);
    if (local && this.clock.now().getTime() - local.lastAt > FORGET_AFTER_SECONDS * 1000) {
      this.local.delete(key);
      local = undefined;
    }
    if (!shared || !local) return shared ?? local;
    return {
      count: Math.max(shared.count, local.count),
      lastAt: Math.max(shared.lastAt, local.lastAt),
    };
  }

  private async countFailure(key: string): Promise<void> {
    const current = await this.failuresOf(key);
    const failures = { count: (current?.count ?? 0) + 1, lastAt: this.clock.now().getTime() };
    this.local.delete(key);
    this.local.set(key, failures);
    if (this.local.size > LOCAL_MAX_KEYS) this.local.delete(this.local.keys().next().value!);
    await this.cache.set(key, failures, FORGET_AFTER_SECONDS);
  }

  private async oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const mine = previous.then(run, run);
    const settled = mine.catch(() => undefined);
    this.queues.set(key, settled);
    try {
      return await mine;
    } finally {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    }
  }
}

function tooManyAttempts(waitMs: number): HttpException {
  const seconds = Math.ceil(waitMs / 1000);
  return new HttpException(
    {
      detail: `Too many failed attempts; retry after ${seconds} s`,
      retryAfterSeconds: seconds,
    },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
