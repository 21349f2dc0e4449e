import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Scope } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { fromJson, queryRows } from '../database/raw-sql';
import { SqlRepository, toDate } from '../database/sql-repository';
import { ApiKey } from './api-key.entity';

export interface ApiKeyRow {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  usageCount: number;
  revokedAt: Date | null;
  createdAt: Date;
}

/** What the access guard needs of a key (cached by the key's hash). */
export interface ApiKeyCredential {
  id: string;
  userId: string;
  scopes: Scope[];
  /** ISO strings: the value lives in the cache (JSON in Redis). */
  expiresAt: string | null;
  revokedAt: string | null;
}

function toApiKeyRow(raw: Record<string, unknown>): ApiKeyRow {
  return {
    id: raw.id as string,
    userId: raw.userId as string,
    name: raw.name as string,
    prefix: raw.prefix as string,
    scopes: fromJson<Scope[]>(raw.scopes),
    expiresAt: toDate(raw.expiresAt),
    lastUsedAt: toDate(raw.lastUsedAt),
    usageCount: Number(raw.usageCount),
    revokedAt: toDate(raw.revokedAt),
    createdAt: toDate(raw.createdAt)!,
  };
}

/** Every query on api_keys; user-scoped methods take the user id first. */
@Injectable()
export class ApiKeysRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  async insertKey(
    userId: string,
    values: {
      name: string;
      prefix: string;
      keyHash: string;
      scopes: Scope[];
      expiresAt: Date | null;
    },
  ): Promise<ApiKeyRow> {
    const stamp = this.stamp();
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ApiKey)
      .values({ ...stamp, userId, ...values, usageCount: 0, lastUsedAt: null, revokedAt: null })
      .execute();
    return {
      id: stamp.id,
      userId,
      name: values.name,
      prefix: values.prefix,
      scopes: values.scopes,
      expiresAt: values.expiresAt,
      lastUsedAt: null,
      usageCount: 0,
      revokedAt: null,
      createdAt: stamp.createdAt,
    };
  }

  /** The key with this hash (revoked and expired ones too: the caller decides). */
  async findCredential(keyHash: string): Promise<ApiKeyCredential | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `SELECT id, user_id AS "userId", scopes, expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM api_keys WHERE key_hash = :keyHash`,
        { keyHash },
      ),
    );
    if (!raw) return null;
    return {
      id: raw.id as string,
      userId: raw.userId as string,
      scopes: fromJson<Scope[]>(raw.scopes),
      expiresAt: toDate(raw.expiresAt)?.toISOString() ?? null,
      revokedAt: toDate(raw.revokedAt)?.toISOString() ?? null,
    };
  }

  /** One page (limit+1 rows, newest first) of the user's keys. */
  async findPage(
    userId: string,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<ApiKeyRow[]> {
    const qb = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .select('k.id', 'id')
      .addSelect('k.user_id', 'userId')
      .addSelect('k.name', 'name')
      .addSelect('k.prefix', 'prefix')
      .addSelect('k.scopes', 'scopes')
      .addSelect('k.expires_at', 'expiresAt')
      .addSelect('k.last_used_at', 'lastUsedAt')
      .addSelect('k.usage_count', 'usageCount')
      .addSelect('k.revoked_at', 'revokedAt')
      .addSelect('k.created_at', 'createdAt')
      .where('k.user_id = :userId', { userId });
    return (await applyKeyset(qb, 'k', cursor, limit).getRawMany()).map(toApiKeyRow);
  }

  /**
   * Revokes the user's key (keeps the first revocation time); its hash, for the cache, or null
   * when the user has no such key.
   */
  async revoke(userId: string, id: string): Promise<{ keyHash: string } | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows<{ keyHash: string }>(
        m,
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, :now), updated_at = :now
         WHERE user_id = :userId AND id = :id RETURNING key_hash AS "keyHash"`,
        { userId, id, now: this.clock.now() },
      ),
    );
    return raw ?? null;
  }

  /** Adds buffered uses: usage_count + n, last_used_at = the later of the two (correct across instances). */
  async addUsage(id: string, uses: number, lastUsedAt: Date): Promise<void> {
    await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `UPDATE api_keys SET usage_count = usage_count + :uses,
           last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < :at THEN :at ELSE last_used_at END
         WHERE id = :id RETURNING id`,
        { id, uses, at: lastUsedAt },
      ),
    );
  }
}
