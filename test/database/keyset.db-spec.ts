import { randomUUID } from 'node:crypto';
import { decodeCursor, toPage } from '../../src/common/pagination/pagination';
import { applyKeyset } from '../../src/database/keyset';
import { OrgEntity } from '../../src/entities/org.entity';
import { openTestDatabase, TestDatabase } from '../support/test-database';

/** Newest-first keyset paging on (created_at, id), walked page by page on the suite's database. */
describe('keyset paging', () => {
  let db: TestDatabase;
  const rows: Array<{ id: string; createdAt: Date }> = [];

  beforeAll(async () => {
    db = await openTestDatabase('keyset');
    // 25 rows over 5 distinct milliseconds: ties on created_at are broken by id.
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    for (let i = 0; i < 25; i++) {
      const row = { id: randomUUID(), createdAt: new Date(base + (i % 5)) };
      rows.push(row);
      await db.dataSource
        .createQueryBuilder()
        .insert()
        .into(OrgEntity)
        .values({
          ...row,
          updatedAt: row.createdAt,
          name: `k${i}`,
          slug: `keyset-${i}`,
          isActive: true,
        })
        .execute();
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  async function walk(limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const qb = db.dataSource
        .getRepository(OrgEntity)
        .createQueryBuilder('e')
        .where("e.slug LIKE 'keyset-%'");
      const found = await applyKeyset(qb, 'e', decodeCursor(cursor), limit).getMany();
      const page = toPage(found, limit, (e) => e.id);
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  }

  it('returns every row exactly once, newest first with ties broken by id, whatever the page size', async () => {
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    for (const limit of [1, 4, 7, 25, 100]) {
      const pages = await walk(limit);
      expect(pages.flat()).toEqual(expected);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
    }
  });

  it('ends with a null cursor exactly on the last page (no empty trailing page)', async () => {
    const pages = await walk(5);
    expect(pages).toHaveLength(5);
    expect(pages.every((p) => p.length === 5)).toBe(true);
  });
});
