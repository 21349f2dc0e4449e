import { createHash, randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { PreparedQueries } from '../../src/database/prepared-queries';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { openTestDatabase, TestDatabase } from '../support/test-database';

/** PreparedQueries on the suite's database; on PostgreSQL with one pooled connection, so its prepared statements can be inspected. */
describe('PreparedQueries', () => {
  let db: TestDatabase;
  let prepared: PreparedQueries;
  const postgres = process.env.CORNERSTONE_TEST_TARGET === 'postgres';

  beforeAll(async () => {
    db = await openTestDatabase('prepared', { DATABASE_POOL_SIZE: '1' });
    prepared = new PreparedQueries(db.dataSource);
    for (const [slug, active] of [
      ['pq-a', true],
      ['pq-b', false],
      ['pq-c', true],
    ] as const) {
      await db.dataSource.query(
        postgres
          ? 'INSERT INTO entities (id, name, slug, is_active) VALUES ($1, $2, $3, $4)'
          : 'INSERT INTO entities (id, name, slug, is_active) VALUES (?, ?, ?, ?)',
        [randomUUID(), slug, slug, postgres ? active : active ? 1 : 0],
      );
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  /** SQL that depends on which parameters are present: `active` adds a condition. */
  const bySlugPrefix = () =>
    prepared.statement(
      (p) =>
        `SELECT slug FROM entities WHERE slug LIKE :prefix` +
        (p.active !== undefined ? ' AND is_active = :active' : '') +
        ' ORDER BY slug',
    );

  it('builds one SQL text per set of parameters present, and each answers its own query', async () => {
    const statement = bySlugPrefix();
    const all = await statement.rows<{ slug: string }>({ prefix: 'pq-%', active: undefined });
    const active = await statement.rows<{ slug: string }>({ prefix: 'pq-%', active: true });
    const again = await statement.rows<{ slug: string }>({ prefix: 'pq-%' });
    expect(all.map((r) => r.slug)).toEqual(['pq-a', 'pq-b', 'pq-c']);
    expect(active.map((r) => r.slug)).toEqual(['pq-a', 'pq-c']);
    expect(again.map((r) => r.slug)).toEqual(['pq-a', 'pq-b', 'pq-c']);
  });

  it('fails with the same QueryFailedError as any TypeORM query (error translation unchanged)', async () => {
    const statement = prepared.statement(() => 'SELECT * FROM no_such_table WHERE id = :id');
    await expect(statement.rows({ id: randomUUID() })).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('runs inside a unit of work when given its tx: rolled back with it', async () => {
    const insert = prepared.statement(
      () => 'INSERT INTO entities (id, name, slug) VALUES (:id, :name, :slug)',
    );
    const uow = new UnitOfWork(db.dataSource);
    await expect(
      uow.run(async (tx) => {
        await insert.execute({ id: randomUUID(), name: 'pq-tx', slug: 'pq-tx' }, { tx });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await bySlugPrefix().rows({ prefix: 'pq-tx' })).toEqual([]);
    await uow.run((tx) =>
      insert.execute({ id: randomUUID(), name: 'pq-tx', slug: 'pq-tx' }, { tx }),
    );
    expect(await bySlugPrefix().rows({ prefix: 'pq-tx' })).toEqual([{ slug: 'pq-tx' }]);
  });

  if (postgres) {
    it('PostgreSQL: names each prepared statement by a hash of its own SQL text', async () => {
      const statement = bySlugPrefix();
      await statement.rows({ prefix: 'pq-%', active: true });
      await statement.rows({ prefix: 'pq-%' });
      const server: Array<{ name: string; statement: string }> = await db.dataSource.query(
        `SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'cs_%'`,
      );
      const ours = server.filter((s) => s.statement.includes('slug LIKE'));
      expect(ours.length).toBeGreaterThanOrEqual(2);
      for (const { name, statement: text } of ours) {
        expect(name).toBe(`cs_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
      }
      expect(new Set(ours.map((s) => s.name)).size).toBe(ours.length);
    });
  }
});
