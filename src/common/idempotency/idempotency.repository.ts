import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../clock/clock';
import { execute, queryRows, valueRows } from '../../database/raw-sql';
import { SqlRepository, toDate } from '../../database/sql-repository';
import { StatementBatcher } from '../../database/statement-batcher';
import { Tx } from '../../database/unit-of-work';

export interface IdempotencyRecord {
  fingerprint: string;
  status: 'in_flight' | 'completed';
  responseStatus: number | null;
  response: string | null;
  createdAt: Date;
  expiresAt: Date;
}

interface Claim {
  scope: string;
  keyHash: string;
  fingerprint: string;
  createdAt: Date;
  expiresAt: Date;
}

interface Completion {
  scope: string;
  keyHash: string;
  fingerprint: string;
  responseStatus: number;
  response: string;
}

const idOf = (key: { scope: string; keyHash: string }): string => `${key.scope}\0${key.keyHash}`;

/** Every query on idempotency_keys. Always on the primary: these reads decide what runs. */
@Injectable()
export class IdempotencyRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /**
   * Claims the key with an INSERT that loses on the primary key; true when this call won.
   * Claims and completions are batched (StatementBatcher): the Idempotency-Key path adds two
   * statements to a create, and under load many of them share one round trip and one commit.
   */
  claim(
    scope: string,
    keyHash: string,
    fingerprint: string,
    createdAt: Date,
    expiresAt: Date,
  ): Promise<boolean> {
    return this.claims.submit({ scope, keyHash, fingerprint, createdAt, expiresAt });
  }

  private readonly claims = new StatementBatcher<Claim, boolean>(async (items) => {
    // Two claims of one key in one batch: the first is the one inserted, the others lose.
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (!first.has(idOf(item))) first.set(idOf(item), i);
    });
    const values = valueRows(
      [...first.values()].map((i) => {
        const { scope, keyHash, fingerprint, createdAt, expiresAt } = items[i];
        return [scope, keyHash, fingerprint, 'in_flight', createdAt, expiresAt];
      }),
    );
    const won = await this.on({ primary: true }, (m) =>
      queryRows<{ scope: string; key_hash: string }>(
        m,
        `INSERT INTO idempotency_keys (scope, key_hash, fingerprint, status, created_at, expires_at)
         VALUES ${values.sql}
         ON CONFLICT (scope, key_hash) DO NOTHING RETURNING scope, key_hash`,
        values.params,
      ),
    );
    const inserted = new Set(won.map((row) => idOf({ scope: row.scope, keyHash: row.key_hash })));
    return items.map((item, i) => first.get(idOf(item)) === i && inserted.has(idOf(item)));
  });

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
    await this.completions.submit({ scope, keyHash, fingerprint, responseStatus, response });
  }

  /** One UPDATE … FROM (VALUES …) for the batch (VALUES columns are column1… on both databases). */
  private readonly completions = new StatementBatcher<Completion, void>(async (items) => {
    const values = valueRows(
      items.map(({ scope, keyHash, fingerprint, responseStatus, response }) => [
        scope,
        keyHash,
        fingerprint,
        responseStatus,
        response,
      ]),
    );
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `UPDATE idempotency_keys SET status = 'completed', fingerprint = v.column3,
                response_status = CAST(v.column4 AS integer), response = v.column5
           FROM (VALUES ${values.sql}) AS v
          WHERE idempotency_keys.scope = v.column1 AND idempotency_keys.key_hash = v.column2
            AND idempotency_keys.status = 'in_flight'`,
        values.params,
      ),
    );
    return items.map(() => undefined);
  });

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
