import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { execute, queryRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository, toDate } from '../database/sql-repository';
import { Tx } from '../database/unit-of-work';
import { Session } from './session.entity';

/** A refresh token's row, as refresh needs it. */
export interface RefreshTokenRow {
  id: string;
  userId: string;
  familyId: string;
  lastUsedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
  replacedBy: string | null;
}

/** The current (unspent, unrevoked) row of a sign-in, as the session list shows it. */
export interface ActiveSessionRow extends CursorPosition {
  familyId: string;
  userAgent: string | null;
  ip: string | null;
  /** When the sign-in happened: the oldest row of the family still stored. */
  signedInAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}

export interface NewRefreshToken {
  id: string;
  userId: string;
  familyId: string;
  refreshTokenHash: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
}

export interface SpentRow {
  userAgent: string | null;
  ip: string | null;
}

const UNSPENT = 'revoked_at IS NULL AND replaced_by IS NULL';

/** Every query on sessions; user-scoped methods take the user id first. */
@Injectable()
export class SessionsRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  async insertRefreshToken(values: NewRefreshToken, options?: QueryOptions): Promise<void> {
    const { createdAt, updatedAt } = this.stamp();
    await this.on(options, (m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(Session)
        .values({ ...values, createdAt, updatedAt, lastUsedAt: null, revokedAt: null })
        .execute(),
    );
  }

  /** The row of a refresh token by its hash (spent and revoked ones too: the caller decides). */
  async findByTokenHash(refreshTokenHash: string): Promise<RefreshTokenRow | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `SELECT id, user_id AS "userId", family_id AS "familyId", last_used_at AS "lastUsedAt",
                expires_at AS "expiresAt", revoked_at AS "revokedAt", replaced_by AS "replacedBy"
         FROM sessions WHERE refresh_token_hash = :refreshTokenHash`,
        { refreshTokenHash },
      ),
    );
    if (!raw) return null;
    return {
      id: raw.id as string,
      userId: raw.userId as string,
      familyId: raw.familyId as string,
      lastUsedAt: toDate(raw.lastUsedAt),
      expiresAt: toDate(raw.expiresAt)!,
      revokedAt: toDate(raw.revokedAt),
      replacedBy: (raw.replacedBy as string | null) ?? null,
    };
  }

  /**
   * Spends a refresh token: one conditional UPDATE, so of two refreshes racing with the same
   * token exactly one changes the row (the winner) and the other gets null. The spent row's client.
   */
  async spend(id: string, replacedBy: string, tx: Tx): Promise<SpentRow | null> {
    return this.spendWhere('id = :id', { id, replacedBy }, tx);
  }

  /** Spends the current row of the user's sign-in `familyId` (a password change renews it). */
  async spendCurrent(
    userId: string,
    familyId: string,
    replacedBy: string,
    tx: Tx,
  ): Promise<SpentRow | null> {
    return this.spendWhere(
      'user_id = :userId AND family_id = :familyId',
      { userId, familyId, replacedBy },
      tx,
    );
  }

  private async spendWhere(
    condition: string,
    params: Record<string, string>,
    tx: Tx,
  ): Promise<SpentRow | null> {
    const now = this.clock.now();
    const [row] = await queryRows<SpentRow>(
      tx.manager,
      `UPDATE sessions SET replaced_by = :replacedBy, last_used_at = :now, updated_at = :now
       WHERE ${condition} AND ${UNSPENT} AND expires_at > :now
       RETURNING user_agent AS "userAgent", ip`,
      { ...params, now },
    );
    return row ? { userAgent: row.userAgent ?? null, ip: row.ip ?? null } : null;
  }

  /** The owner of a sign-in that is not revoked (its current row), or null. */
  async findActiveOwner(familyId: string): Promise<string | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows<{ userId: string }>(
        m,
        `SELECT user_id AS "userId" FROM sessions WHERE family_id = :familyId AND ${UNSPENT} LIMIT 1`,
        { familyId },
      ),
    );
    return raw?.userId ?? null;
  }

  /** Revokes every row of a sign-in; whether it had an unrevoked row of this user. */
  async revokeFamily(userId: string, familyId: string): Promise<boolean> {
    const changed = await this.on({ primary: true }, (m) =>
      execute(
        m,
        `UPDATE sessions SET revoked_at = :now, updated_at = :now
         WHERE user_id = :userId AND family_id = :familyId AND revoked_at IS NULL`,
        { userId, familyId, now: this.clock.now() },
      ),
    );
    return changed > 0;
  }

  /** Revokes every sign-in of the user except `keepFamilyId`; the ids of those it revoked. */
  async revokeAllOfUser(userId: string, keepFamilyId?: string): Promise<string[]> {
    const rows = await this.on({ primary: true }, (m) =>
      queryRows<{ familyId: string }>(
        m,
        `UPDATE sessions SET revoked_at = :now, updated_at = :now
         WHERE user_id = :userId AND revoked_at IS NULL
           ${keepFamilyId ? 'AND family_id <> :keepFamilyId' : ''}
         RETURNING family_id AS "familyId"`,
        { userId, keepFamilyId, now: this.clock.now() },
      ),
    );
    return [...new Set(rows.map((row) => row.familyId))];
  }

  /** One page (limit+1 rows, most recently refreshed first) of the user's live sign-ins. */
  async findActivePage(
    userId: string,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<ActiveSessionRow[]> {
    const qb = this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .addSelect('s.family_id', 'familyId')
      .addSelect('s.user_agent', 'userAgent')
      .addSelect('s.ip', 'ip')
      .addSelect('s.created_at', 'createdAt')
      .addSelect('s.last_used_at', 'lastUsedAt')
      .addSelect('s.expires_at', 'expiresAt')
      .addSelect(
        '(SELECT MIN(f.created_at) FROM sessions f WHERE f.family_id = s.family_id)',
        'signedInAt',
      )
      .where('s.user_id = :userId', { userId })
      .andWhere('s.revoked_at IS NULL AND s.replaced_by IS NULL')
      .andWhere('s.expires_at > :now', { now: this.clock.now() });
    const rows = await applyKeyset(qb, 's', cursor, limit).getRawMany<Record<string, unknown>>();
    return rows.map((raw) => ({
      id: raw.id as string,
      familyId: raw.familyId as string,
      userAgent: (raw.userAgent as string | null) ?? null,
      ip: (raw.ip as string | null) ?? null,
      createdAt: toDate(raw.createdAt)!,
      signedInAt: toDate(raw.signedInAt) ?? toDate(raw.createdAt)!,
      lastUsedAt: toDate(raw.lastUsedAt),
      expiresAt: toDate(raw.expiresAt)!,
    }));
  }

  /** Deletes at most `batch` rows that expired before `cutoff`; how many. */
  async deleteExpiredBefore(cutoff: Date, batch: number, tx: Tx): Promise<number> {
    return execute(
      tx.manager,
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE expires_at < :cutoff LIMIT ${batch})`,
      { cutoff },
    );
  }
}
