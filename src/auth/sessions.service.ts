import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { CacheKeys } from '../cache/cache-keys';
import { CacheService } from '../cache/cache.service';
import { Clock } from '../common/clock/clock';
import { CursorPageQueryDto, decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { AppConfig } from '../config/app-config';
import { purgeUnderLock } from '../database/batched-delete';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { IdentityCache } from '../users/identity-cache';
import { SessionTokens, UserSessions } from '../users/user-sessions';
import { SessionResponse } from './dto/session.response';
import { RefreshTokenRow, SessionsRepository, SpentRow } from './sessions.repository';

/**
 * A spent refresh token presented again this soon after it was spent is taken for a duplicate
 * of that refresh (two tabs refreshing at once, a retry after a lost answer): 401, and the
 * session lives on. Later, it is a replay of a stolen token and the whole sign-in is revoked.
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;
/** The one answer to every refresh that fails, whatever the reason (no oracle). */
export const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';
export const SESSION_PURGE_JOB = 'sessions-purge';
const PURGE_BATCH = 1_000;
/** Refresh tokens are 32 random bytes, base64url: 43 characters. */
const REFRESH_TOKEN_BYTES = 32;
const MAX_REFRESH_TOKEN_LENGTH = 200;

export interface ClientInfo {
  userAgent?: string | null;
  ip?: string | null;
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function invalidRefreshToken(): UnauthorizedException {
  return new UnauthorizedException(INVALID_REFRESH_TOKEN);
}

/** The value cached under `session:{id}`: its owner while it is live, null once revoked. */
interface SessionOwner {
  userId: string | null;
}

/**
 * Sign-ins: short-lived access tokens (JWT with `sid`) and rotating refresh tokens.
 *
 * A sign-in is a family of refresh-token rows (see Session); its id, the `sid`, is the first
 * row's. Refresh spends the presented row with one conditional UPDATE (the winner of two racing
 * refreshes is the one that changed the row) and adds the next. A spent token presented again
 * after REFRESH_REUSE_GRACE_MS revokes the family. The access guard asks `ownerOf(sid)` on every
 * request; the answer is cached under `session:{sid}` and every revocation drops it in every
 * instance (IdentityCache: deletes are broadcast), so a revoked session's access token is refused
 * from the next request on.
 */
@Injectable()
export class SessionsService implements UserSessions {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly identityCache: IdentityCache,
    private readonly uow: UnitOfWork,
  ) {}

  /** A new sign-in of the user: its first refresh token and an access token. */
  async open(userId: string, client: ClientInfo): Promise<SessionTokens> {
    const id = randomUUID();
    const refreshToken = this.newRefreshToken();
    await this.sessions.insertRefreshToken({
      id,
      userId,
      familyId: id,
      refreshTokenHash: hashRefreshToken(refreshToken),
      ...this.clientColumns(client),
      expiresAt: this.refreshExpiry(),
    });
    return { ...(await this.accessToken(userId, id)), refreshToken };
  }

  /**
   * Spends a refresh token for a new pair. Every failure is the same 401: unknown, malformed,
   * expired, revoked, spent (a replay, which also revokes its family), lost race.
   */
  async refresh(
    refreshToken: string,
    client: ClientInfo,
  ): Promise<{ userId: string; tokens: SessionTokens }> {
    if (refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH)
      throw invalidRefreshToken();
    const row = await this.sessions.findByTokenHash(hashRefreshToken(refreshToken));
    const now = this.clock.now();
    if (!row || row.revokedAt || row.expiresAt <= now) throw invalidRefreshToken();
    if (row.replacedBy) {
      if (!this.withinReuseGrace(row, now)) await this.revokeFamily(row.userId, row.familyId);
      throw invalidRefreshToken();
    }
    const next = await this.rotate(row.userId, row.familyId, client, (tx, nextId) =>
      this.sessions.spend(row.id, nextId, tx),
    );
    // Lost the race to a concurrent refresh with the same token: that one carries the session on.
    if (!next) throw invalidRefreshToken();
    return { userId: row.userId, tokens: next };
  }

  /** The user whose live sign-in `sessionId` is, or null (revoked, unknown); cached. */
  async ownerOf(sessionId: string): Promise<string | null> {
    const owner = await this.cache.wrap<SessionOwner>(CacheKeys.session(sessionId), async () => ({
      userId: await this.sessions.findActiveOwner(sessionId),
    }));
    return owner.userId;
  }

  /** The user's live sign-ins, most recently refreshed first; `current` marks the caller's. */
  async list(
    userId: string,
    currentSessionId: string | undefined,
    query: CursorPageQueryDto,
  ): Promise<Page<SessionResponse>> {
    const rows = await this.sessions.findActivePage(
      userId,
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, (row) => ({
      id: row.familyId,
      current: row.familyId === currentSessionId,
      userAgent: row.userAgent,
      ip: row.ip,
      createdAt: row.signedInAt.toISOString(),
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      expiresAt: row.expiresAt.toISOString(),
    }));
  }

  /** Ends one of the user's sign-ins; 404 when it is not theirs or already ended. */
  async revoke(userId: string, sessionId: string): Promise<void> {
    if (!(await this.revokeFamily(userId, sessionId)))
      throw new NotFoundException('Session not found');
  }

  async revokeAll(userId: string): Promise<void> {
    await this.dropOwners(await this.sessions.revokeAllOfUser(userId));
  }

  async keepOnly(userId: string, sessionId: string | undefined): Promise<SessionTokens | null> {
    await this.dropOwners(await this.sessions.revokeAllOfUser(userId, sessionId));
    if (!sessionId) return null;
    return this.rotate(userId, sessionId, {}, (tx, nextId) =>
      this.sessions.spendCurrent(userId, sessionId, nextId, tx),
    );
  }

  /**
   * Deletes refresh-token rows expired for longer than an access token lives (so no access
   * token of theirs can still be valid), one instance at a time (advisory lock).
   */
  async purgeExpired(): Promise<{ deleted: number; skipped?: true }> {
    const cutoff = new Date(
      this.clock.now().getTime() - this.config.auth.accessTokenTtlSeconds * 1000,
    );
    const outcome = await purgeUnderLock(this.uow, SESSION_PURGE_JOB, PURGE_BATCH, (limit, tx) =>
      this.sessions.deleteExpiredBefore(cutoff, limit, tx),
    );
    return outcome === null ? { deleted: 0, skipped: true } : { deleted: outcome };
  }

  /**
   * In one unit: `spend` marks the current row of the family replaced by a new id (null: it
   * was not current any more), then the new row is added, with the client that asked (or the
   * spent row's). The new pair, or null.
   */
  private async rotate(
    userId: string,
    familyId: string,
    client: ClientInfo,
    spend: (tx: Tx, nextId: string) => Promise<SpentRow | null>,
  ): Promise<SessionTokens | null> {
    const nextId = randomUUID();
    const refreshToken = this.newRefreshToken();
    const spent = await this.uow.run(async (tx) => {
      const previous = await spend(tx, nextId);
      if (!previous) return false;
      const fresh = this.clientColumns(client);
      await this.sessions.insertRefreshToken(
        {
          id: nextId,
          userId,
          familyId,
          refreshTokenHash: hashRefreshToken(refreshToken),
          userAgent: fresh.userAgent ?? previous.userAgent,
          ip: fresh.ip ?? previous.ip,
          expiresAt: this.refreshExpiry(),
        },
        { tx },
      );
      return true;
    });
    if (!spent) return null;
    return { ...(await this.accessToken(userId, familyId)), refreshToken };
  }

  private withinReuseGrace(row: RefreshTokenRow, now: Date): boolean {
    return (
      row.lastUsedAt !== null && now.getTime() - row.lastUsedAt.getTime() < REFRESH_REUSE_GRACE_MS
    );
  }

  private async revokeFamily(userId: string, familyId: string): Promise<boolean> {
    const revoked = await this.sessions.revokeFamily(userId, familyId);
    if (revoked) await this.dropOwners([familyId]);
    return revoked;
  }

  private async dropOwners(sessionIds: string[]): Promise<void> {
    if (sessionIds.length > 0)
      await this.identityCache.drop(...sessionIds.map((id) => CacheKeys.session(id)));
  }

  private async accessToken(
    userId: string,
    sessionId: string,
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const accessToken = await this.jwt.signAsync(
      { sub: userId, sid: sessionId, iat },
      { algorithm: 'HS256' },
    );
    return { accessToken, expiresIn: this.config.auth.accessTokenTtlSeconds };
  }

  private newRefreshToken(): string {
    return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
  }

  private refreshExpiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.auth.refreshTokenTtlSeconds * 1000);
  }

  private clientColumns(client: ClientInfo): { userAgent: string | null; ip: string | null } {
    return {
      userAgent: client.userAgent ? client.userAgent.slice(0, 255) : null,
      ip: client.ip ? client.ip.slice(0, 64) : null,
    };
  }
}
