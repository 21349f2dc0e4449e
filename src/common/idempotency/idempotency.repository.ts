import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../clock/clock';
import { execute, queryRows } from '../../database/raw-sql';
import { SqlRepository, toDate } from '../../database/sql-repository';
import { Tx } from '../../database/unit-of-work';

export interface IdempotencyRecord {
  fingerprint: string;
  status: 'in_flight' | 'completed';
  responseStatus: number | null;
  response: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Every query on idempotency_keys. Always on the primary: these reads decide what runs. */
@Injectable()
export class IdempotencyRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /** Claims the key with one INSERT that loses on the primary key; true when this call won. */
  async claim(
    scope: string,
    keyHash: string,
    fingerprint: string,
    createdAt: Date,
    expiresAt: Date,
  ): Promise<boolean> {
    const rows = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `INSERT INTO idempotency_keys (scope, key_hash, fingerprint, status, created_at, expires_at)
         VALUES (:scope, :keyHash, :fingerprint, 'in_flight', :createdAt, :expiresAt)
         ON CONFLICT (scope, key_hash) DO NOTHING RETURNING scope`,
        { scope, keyHash, fingerprint, createdAt, expiresAt },
      ),
    );
    return rows.length > 0;
  }

  async find(scope: string, keyHash: string): Promise<IdempotencyRecord | null> {
    const [row] = await this.on({ primary: true }, (m) =>
      queryRows<Record<string, unknown>>(
        m,
        `SELECT fingerprint, status, response_status AS "responseStatus", response,
                created_at AS "createdAt", expires_at AS "expiresAt"
           FROM idempotency_keys WHERE scope = :scope AND key_hash = :keyHash`,
        { scope, keyHash },
      ),
    );
    if (!row) return null;
    return {
      fingerprint: String(row.fingerprint),
      status: row.status as IdempotencyRecord['status'],
      responseStatus: row.responseStatus === null ? null : Number(row.responseStatus),
      response: (row.response as string | null) ?? null,
      createdAt: toDate(row.createdAt)!,
      expiresAt: toDate(row.expiresAt)!,
    };
  }

  /** Stores the response of the claimed request (the fingerprint is final only now for multipart). */
  async complete(
    scope: string,
    keyHash: string,
    fingerprint: string,
    responseStatus: number,
    response: string,
  ): Promise<void> {
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `UPDATE idempotency_keys SET status = 'completed', fingerprint = :fingerprint,
                response_status = :responseStatus, response = :response
          WHERE scope = :scope AND key_hash = :keyHash AND status = 'in_flight'`,
        { scope, keyHash, fingerprint, responseStatus, response },
      ),
    );
  }

  /** Drops the claim of a request that failed, so the client may retry with the same key. */
  async release(scope: string, keyHash: string): Promise<void> {
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `DELETE FROM idempotency_keys
          WHERE scope = :scope AND key_hash = :keyHash AND status = 'in_flight'`,
        { scope, keyHash },
      ),
    );
  }

  /**
   * Deletes the key when it expired, or when it is still in flight since before `staleBefore`
   * (its instance died mid-request); true when it did, so the caller may claim it again.
   */
  async deleteIfDead(
    scope: string,
    keyHash: string,
    now: Date,
    staleBefore: Date,
  ): Promise<boolean> {
    const deleted = await this.on({ primary: true }, (m) =>
      execute(
        m,
        `DELETE FROM idempotency_keys
          WHERE scope = :scope AND key_hash = :keyHash
            AND (expires_at <= :now OR (status = 'in_flight' AND created_at <= :staleBefore))`,
        { scope, keyHash, now, staleBefore },
      ),
    );
    return deleted > 0;
  }

  /** Deletes at most `limit` expired keys; how many it deleted. */
  async purgeExpiredBatch(now: Date, limit: number, tx: Tx): Promise<number> {
    return execute(
      tx.manager,
      `DELETE FROM idempotency_keys WHERE (scope, key_hash) IN (
         SELECT scope, key_hash FROM idempotency_keys WHERE expires_at <= :now
          LIMIT ${Math.floor(limit)})`,
      { now },
    );
  }
}
