import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Tx, UnitOfWork } from '../../src/database/unit-of-work';
import { openTestDatabase, TestDatabase } from '../support/test-database';

/** The unit of work on the suite's database (SQLite in memory, or PostgreSQL). */
describe('UnitOfWork', () => {
  let db: TestDatabase;
  let uow: UnitOfWork;

  beforeAll(async () => {
    db = await openTestDatabase('uow');
    uow = new UnitOfWork(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });

  const insert = (manager: EntityManager, slug: string) =>
    manager.query(
      db.target === 'postgres'
        ? 'INSERT INTO entities (id, name, slug) VALUES ($1, $2, $3)'
        : 'INSERT INTO entities (id, name, slug) VALUES (?, ?, ?)',
      [randomUUID(), slug, slug],
    );
  const slugs = async (prefix: string): Promise<string[]> => {
    const rows: Array<{ slug: string }> = await db.dataSource.query(
      `SELECT slug FROM entities WHERE slug LIKE '${prefix}%' ORDER BY slug`,
    );
    return rows.map((r) => r.slug);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('commits every statement of the unit when the callback resolves', async () => {
    const result = await uow.run(async ({ manager }) => {
      await insert(manager, 'commit-a');
      await insert(manager, 'commit-b');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await slugs('commit-')).toEqual(['commit-a', 'commit-b']);
  });

  it('rolls every statement back when the callback throws, and rethrows', async () => {
    await expect(
      uow.run(async ({ manager }) => {
        await insert(manager, 'rollback-a');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await slugs('rollback-')).toEqual([]);
  });

  it('rolls back when a statement fails (a unique violation), leaving nothing half-written', async () => {
    await expect(
      uow.run(async ({ manager }) => {
        await insert(manager, 'dup-a');
        await insert(manager, 'dup-a');
      }),
    ).rejects.toThrow();
    expect(await slugs('dup-')).toEqual([]);
  });

  it('lets a callee join the caller’s unit with { within: tx }: both commit or neither', async () => {
    const callee = (slug: string, tx: Tx) =>
      uow.run(async ({ manager }) => insert(manager, slug), { within: tx });
    await expect(
      uow.run(async (tx) => {
        await insert(tx.manager, 'join-outer');
        await callee('join-inner', tx);
        throw new Error('outer fails after the callee');
      }),
    ).rejects.toThrow('outer fails');
    expect(await slugs('join-')).toEqual([]);
    await uow.run(async (tx) => {
      await insert(tx.manager, 'join-outer');
      await callee('join-inner', tx);
    });
    expect(await slugs('join-')).toEqual(['join-inner', 'join-outer']);
  });

  it('refuses a nested run() that was not handed the outer unit', async () => {
    await expect(
      uow.run(async ({ manager }) => {
        await insert(manager, 'nested-outer');
        await uow.run(async (inner) => insert(inner.manager, 'nested-inner'));
      }),
    ).rejects.toThrow(/pass \{ within: tx \}/);
    expect(await slugs('nested-')).toEqual([]);
  });

  if (process.env.CORNERSTONE_TEST_TARGET !== 'postgres') {
    it('SQLite: another request’s statement waits for the open unit and is not rolled back with it', async () => {
      const events: string[] = [];
      const unit = uow
        .run(async ({ manager }) => {
          await insert(manager, 'gate-unit');
          events.push('unit wrote');
          await sleep(50);
          events.push('unit throws');
          throw new Error('unit fails');
        })
        .catch(() => events.push('unit rolled back'));
      await sleep(5);
      // A plain statement on the shared connection, as another request would send it.
      const outside = insert(db.dataSource.manager, 'gate-outside').then(() =>
        events.push('outside wrote'),
      );
      await Promise.all([unit, outside]);
      // The outside statement ran only after the unit had ended (its rollback included).
      expect(events.slice(0, 2)).toEqual(['unit wrote', 'unit throws']);
      expect(events.slice(2).sort()).toEqual(['outside wrote', 'unit rolled back']);
      expect(await slugs('gate-')).toEqual(['gate-outside']);
    });

    it('SQLite: two concurrent units run one after the other, never interleaved', async () => {
      const events: string[] = [];
      const unit = (name: string) =>
        uow.run(async ({ manager }) => {
          events.push(`${name} begins`);
          await insert(manager, `serial-${name}`);
          await sleep(20);
          events.push(`${name} ends`);
        });
      await Promise.all([unit('a'), unit('b')]);
      expect(events).toEqual(['a begins', 'a ends', 'b begins', 'b ends']);
      expect(await slugs('serial-')).toEqual(['serial-a', 'serial-b']);
    });
  } else {
    it('PostgreSQL: runs at the isolation level asked for, READ COMMITTED by default', async () => {
      const level = (manager: EntityManager) =>
        manager
          .query('SHOW transaction_isolation')
          .then((rows: Array<{ transaction_isolation: string }>) => rows[0].transaction_isolation);
      expect(await uow.run(({ manager }) => level(manager))).toBe('read committed');
      expect(await uow.run(({ manager }) => level(manager), { isolation: 'SERIALIZABLE' })).toBe(
        'serializable',
      );
    });

    it('PostgreSQL: concurrent units each hold their own pooled connection', async () => {
      const pid = () =>
        uow.run(async ({ manager }) => {
          const [row] = await manager.query('SELECT pg_backend_pid() AS pid');
          await sleep(50);
          return row.pid as number;
        });
      const [a, b] = await Promise.all([pid(), pid()]);
      expect(a).not.toBe(b);
    });
  }
});
