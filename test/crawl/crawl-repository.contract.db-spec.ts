import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { FixedClock } from '../../src/common/clock/clock';
import { CursorPosition } from '../../src/common/pagination/pagination';
import { loadConfig } from '../../src/config';
import { CrawlRow, CrawlStatus, TestResult } from '../../src/crawl/crawl-row';
import { CrawlRepository } from '../../src/crawl/crawl.repository';
import { MongoCrawlRepository } from '../../src/crawl/mongo/mongo-crawl.repository';
import { SqlCrawlRepository } from '../../src/crawl/sql-crawl.repository';
import { mongooseOptions } from '../../src/database/database.module';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { testTarget } from '../support/test-app';
import { openTestDatabase } from '../support/test-database';
import { JONGODB_GAPS, JongodbGap, startTestMongo, TEST_MONGO_URL } from '../support/test-mongo';

/**
 * The crawl store's contract: the same cases against every adapter of CrawlRepository.
 * - SQL on the suite's database: SQLite in memory (e2e-sqlite) and PostgreSQL (e2e-postgres);
 * - Mongo on jongodb (the MongoDB-wire emulator), or on a real MongoDB when TEST_MONGO_URL is
 *   set; once per run (with the SQLite project), since it does not depend on the SQL target.
 * Cases that need what jongodb lacks are reported skipped on it, with the reason.
 */

interface Adapter {
  name: string;
  /** Gaps of the store under test (jongodb's, or none). */
  gaps: ReadonlySet<JongodbGap>;
  setUp(clock: FixedClock): Promise<{
    repo: CrawlRepository;
    /** An entity id the store accepts (SQL: a row in `entities`, for the foreign key). */
    newEntity(): Promise<string>;
    close(): Promise<void>;
  }>;
}

const sqlAdapter: Adapter = {
  name: `SqlCrawlRepository on ${testTarget === 'postgres' ? 'PostgreSQL' : 'SQLite'}`,
  gaps: new Set(),
  async setUp(clock) {
    const db = await openTestDatabase('crawl_contract');
    const repo = new SqlCrawlRepository(db.dataSource, clock, new UnitOfWork(db.dataSource));
    return {
      repo,
      newEntity: async () => {
        const id = randomUUID();
        await db.dataSource.query(
          db.target === 'postgres'
            ? 'INSERT INTO entities (id, name, slug) VALUES ($1, $2, $3)'
            : 'INSERT INTO entities (id, name, slug) VALUES (?, ?, ?)',
          [id, `Org ${id.slice(0, 8)}`, `org-${id}`],
        );
        return id;
      },
      close: () => db.close(),
    };
  },
};

const mongoAdapter: Adapter = {
  name: `MongoCrawlRepository on ${TEST_MONGO_URL ? 'MongoDB (TEST_MONGO_URL)' : 'jongodb'}`,
  gaps: new Set(TEST_MONGO_URL ? [] : (Object.keys(JONGODB_GAPS) as JongodbGap[])),
  async setUp(clock) {
    const mongo = await startTestMongo('crawl_contract');
    const { createConnection } = await import('mongoose');
    // The app's own connection options, less the Nest module's retry settings.
    const config = loadConfig({ MONGO_URL: mongo.url, MONGO_DATABASE: mongo.database });
    const { retryAttempts, retryDelay, verboseRetryLog, ...options } = mongooseOptions(config);
    void [retryAttempts, retryDelay, verboseRetryLog];
    const connection: Connection = await createConnection(mongo.url, options).asPromise();
    const repo = new MongoCrawlRepository(connection, clock);
    await repo.createIndexes();
    return {
      repo,
      newEntity: async () => randomUUID(),
      close: async () => {
        await connection.close();
        await mongo.stop();
      },
    };
  },
};

const adapters = testTarget === 'sqlite' ? [sqlAdapter, mongoAdapter] : [sqlAdapter];

describe.each(adapters)('CrawlRepository contract: $name', (adapter) => {
  const clock = new FixedClock(new Date('2026-03-01T12:00:00.000Z'));
  let repo: CrawlRepository;
  let newEntity: () => Promise<string>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ repo, newEntity, close } = await adapter.setUp(clock));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  /** A case that needs `gap`: skipped, with the reason, on a store that lacks it. */
  const itNeeds =
    (gap: JongodbGap) =>
    (name: string, fn: () => Promise<unknown>): void => {
      if (!adapter.gaps.has(gap)) return it(name, fn);
      it.skip(`${name} [real MongoDB only: ${JONGODB_GAPS[gap]}; set TEST_MONGO_URL]`, fn);
    };

  let urls = 0;
  async function insert(
    entityId: string,
    overrides: Partial<{ websiteUrl: string; companyName: string | null; createdBy: string }> = {},
  ): Promise<CrawlRow> {
    clock.advance(1);
    const n = ++urls;
    const row = await repo.insertCrawl(entityId, {
      websiteUrl: overrides.websiteUrl ?? `https://site-${n}.example.com/`,
      domain: `site-${n}.example.com`,
      companyName: overrides.companyName === undefined ? `Company ${n}` : overrides.companyName,
      createdBy: overrides.createdBy ?? randomUUID(),
    });
    if (!row) throw new Error('insert answered duplicate');
    return row;
  }
  const result = (i: number): TestResult => ({
    question: `Question ${i}?`,
    answer: i % 2 ? `Answer ${i}` : null,
    passed: i % 3 !== 0,
    score: i % 2 ? 0.5 : null,
    testedAt: new Date(Date.UTC(2026, 2, 1, 0, 0, i)),
  });

  it('inserts a pending document stamped by the clock and reads the same document back by id', async () => {
    const entityId = await newEntity();
    const createdBy = randomUUID();
    const row = await insert(entityId, { websiteUrl: 'https://acme.example/', createdBy });
    expect(row).toMatchObject({
      entityId,
      websiteUrl: 'https://acme.example/',
      crawlStatus: 'pending',
      createdBy,
      seoScore: null,
      crawledAt: null,
      companyInfo: null,
      generatedQuestions: null,
      testResults: [],
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    expect(await repo.findById(entityId, row.id, { primary: true })).toEqual(row);
  });

  it('answers null (inserting nothing) for a URL the entity already has, and accepts it in another entity', async () => {
    const [a, b] = [await newEntity(), await newEntity()];
    const first = await insert(a, { websiteUrl: 'https://dup.example/' });
    const again = await repo.insertCrawl(a, {
      websiteUrl: 'https://dup.example/',
      domain: 'dup.example',
      companyName: 'Other',
      createdBy: randomUUID(),
    });
    expect(again).toBeNull();
    expect(await repo.findByUrl(a, 'https://dup.example/')).toEqual(first);
    await expect(insert(b, { websiteUrl: 'https://dup.example/' })).resolves.toMatchObject({
      entityId: b,
    });
  });

  it('lets exactly one of 10 concurrent inserts of the same URL win (the unique index decides)', async () => {
    const entityId = await newEntity();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        repo.insertCrawl(entityId, {
          websiteUrl: 'https://race.example/',
          domain: 'race.example',
          companyName: null,
          createdBy: randomUUID(),
        }),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const page = await repo.findPage(entityId, {}, 20, null);
    expect(page.map((r) => r.websiteUrl)).toEqual(['https://race.example/']);
  });

  it('never answers another entity’s document (by id, by URL, in a page, to update or delete)', async () => {
    const [mine, theirs] = [await newEntity(), await newEntity()];
    const row = await insert(theirs, { websiteUrl: 'https://theirs.example/' });
    expect(await repo.findById(mine, row.id)).toBeNull();
    expect(await repo.findByUrl(mine, 'https://theirs.example/')).toBeNull();
    expect(await repo.findPage(mine, {}, 20, null)).toEqual([]);
    expect(await repo.updateCrawl(mine, row.id, { companyName: 'Hijacked' })).toBe(false);
    expect(await repo.deleteCrawl(mine, row.id)).toBe(false);
    expect((await repo.findById(theirs, row.id))?.companyName).toBe(row.companyName);
  });

  it('pages newest first by (created_at, id) with no repeats and no gaps, ties included', async () => {
    const entityId = await newEntity();
    const inserted: CrawlRow[] = [];
    for (let i = 0; i < 7; i++) inserted.push(await insert(entityId));
    // Three documents with the very same created_at: the id breaks the tie.
    const tied = clock.now();
    for (let i = 0; i < 3; i++) {
      clock.set(tied);
      const row = await repo.insertCrawl(entityId, {
        websiteUrl: `https://tie-${i}.example/`,
        domain: `tie-${i}.example`,
        companyName: null,
        createdBy: randomUUID(),
      });
      inserted.push(row!);
    }
    clock.advance(1);
    const expected = [...inserted]
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : -1))
      .map((r) => r.id);
    const seen: string[] = [];
    let cursor: CursorPosition | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const rows = await repo.findPage(entityId, {}, 3, cursor);
      const page = rows.slice(0, 3);
      seen.push(...page.map((r) => r.id));
      if (rows.length <= 3) break;
      cursor = { createdAt: page[2].createdAt, id: page[2].id };
    }
    expect(seen).toEqual(expected);
  });

  itNeeds('projection')(
    'leaves company_info, generated_questions and test_results out of list rows (a real projection)',
    async () => {
      const entityId = await newEntity();
      const row = await insert(entityId);
      await repo.updateCrawl(entityId, row.id, { companyInfo: { big: 'x'.repeat(1000) } });
      const [listed] = await repo.findPage(entityId, {}, 20, null);
      expect(listed.id).toBe(row.id);
      for (const heavy of ['companyInfo', 'generatedQuestions', 'testResults'])
        expect(listed).not.toHaveProperty(heavy);
    },
  );

  it('filters a page by status and by score range (unscored documents never match a range)', async () => {
    const entityId = await newEntity();
    const low = await insert(entityId);
    const high = await insert(entityId);
    const unscored = await insert(entityId);
    await repo.updateCrawl(entityId, low.id, { seoScore: 0.2, crawlStatus: 'in_progress' });
    await repo.updateCrawl(entityId, high.id, { seoScore: 0.9, crawlStatus: 'in_progress' });
    const ids = async (filters: Parameters<CrawlRepository['findPage']>[1]) =>
      (await repo.findPage(entityId, filters, 20, null)).map((r) => r.id);
    expect(await ids({ status: 'in_progress' })).toEqual([high.id, low.id]);
    expect(await ids({ status: 'pending' })).toEqual([unscored.id]);
    expect(await ids({ minScore: 0.5 })).toEqual([high.id]);
    expect(await ids({ maxScore: 0.5 })).toEqual([low.id]);
    expect(await ids({ minScore: 0, maxScore: 1 })).toEqual([high.id, low.id]);
    expect(await ids({ minScore: 0.2, maxScore: 0.2 })).toEqual([low.id]);
    expect(await ids({ status: 'completed' })).toEqual([]);
  });

  itNeeds('$text')(
    'searches company name, page title and meta description for any of the words, case-insensitively, within the entity',
    async () => {
      const [entityId, other] = [await newEntity(), await newEntity()];
      const acme = await insert(entityId, { companyName: 'Acme Rockets' });
      const title = await insert(entityId, { companyName: null });
      await repo.updateCrawl(entityId, title.id, { pageTitle: 'Welcome to Zephyr Labs' });
      const meta = await insert(entityId, { companyName: 'Plain' });
      await repo.updateCrawl(entityId, meta.id, { metaDescription: 'We build quantum widgets' });
      await insert(entityId, { companyName: 'Nothing to see' });
      await insert(other, { companyName: 'Acme Elsewhere' });
      const ids = async (search: string) =>
        (await repo.findPage(entityId, { search }, 20, null)).map((r) => r.id);
      expect(await ids('acme')).toEqual([acme.id]);
      expect(await ids('ZEPHYR')).toEqual([title.id]);
      expect(await ids('quantum')).toEqual([meta.id]);
      expect(await ids('zephyr acme')).toEqual([title.id, acme.id]);
      expect(await ids('absentword')).toEqual([]);
      expect(await ids('%_\\')).toEqual([]);
    },
  );

  it('applies a change only while the status is still the one read (a stale transition matches nothing)', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId);
    clock.advance(5);
    expect(
      await repo.updateCrawl(entityId, row.id, { crawlStatus: 'in_progress' }, 'pending'),
    ).toBe(true);
    expect(await repo.updateCrawl(entityId, row.id, { crawlStatus: 'failed' }, 'pending')).toBe(
      false,
    );
    const after = await repo.findById(entityId, row.id);
    expect(after).toMatchObject({ crawlStatus: 'in_progress', updatedAt: clock.now() });
    expect(after!.createdAt).toEqual(row.createdAt);
    expect(await repo.updateCrawl(entityId, randomUUID(), { companyName: 'x' })).toBe(false);
  });

  it('stores free-form objects, texts, scores and times exactly, and null clears them', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId);
    const companyInfo = {
      name: 'Ünïcødé GmbH 🚀',
      founded: 1999,
      tags: ['a', 'b', { nested: [1, 2.5, null, true] }],
      empty: {},
      deep: { a: { b: { c: { d: 'e' } } } },
      looksLikeOperator: '$ne',
    };
    const generatedQuestions = { questions: [{ q: 'What does it do?', weight: 0.3 }] };
    const crawledAt = new Date('2026-03-02T10:11:12.345Z');
    await repo.updateCrawl(entityId, row.id, {
      companyInfo,
      generatedQuestions,
      pageTitle: 'Title',
      metaDescription: 'Meta',
      errorMessage: null,
      seoScore: 0.125,
      crawlStatus: 'completed',
      crawledAt,
    });
    expect(await repo.findById(entityId, row.id)).toMatchObject({
      companyInfo,
      generatedQuestions,
      pageTitle: 'Title',
      metaDescription: 'Meta',
      seoScore: 0.125,
      crawlStatus: 'completed',
      crawledAt,
    });
    await repo.updateCrawl(entityId, row.id, {
      companyInfo: null,
      seoScore: null,
      pageTitle: null,
    });
    expect(await repo.findById(entityId, row.id)).toMatchObject({
      companyInfo: null,
      seoScore: null,
      pageTitle: null,
      generatedQuestions,
    });
  });

  it('treats operator-shaped values as literals: they match nothing and are stored as text', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId, { companyName: '{"$ne":null}' });
    expect((await repo.findById(entityId, row.id))?.companyName).toBe('{"$ne":null}');
    // A filter value that is an object (as if validation had been bypassed) finds nothing.
    const sneaky = { $ne: null } as unknown as string;
    expect(await repo.findByUrl(entityId, sneaky).catch(() => null)).toBeNull();
    expect(await repo.findById(entityId, sneaky).catch(() => null)).toBeNull();
    expect(await repo.findById(sneaky, row.id).catch(() => null)).toBeNull();
  });

  itNeeds('$push')('appends test results in order and keeps only the newest `keep`', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId);
    expect(await repo.appendTestResults(entityId, row.id, [result(1), result(2)], 5)).toBe(true);
    expect(await repo.appendTestResults(entityId, row.id, [3, 4, 5, 6].map(result), 5)).toBe(true);
    const after = await repo.findById(entityId, row.id);
    expect(after!.testResults).toEqual([2, 3, 4, 5, 6].map(result));
    expect(await repo.appendTestResults(entityId, randomUUID(), [result(1)], 5)).toBe(false);
    const other = await newEntity();
    expect(await repo.appendTestResults(other, row.id, [result(9)], 5)).toBe(false);
  });

  itNeeds('$push')('loses no result when appends race (atomic per call)', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId);
    await Promise.all(
      Array.from({ length: 10 }, (_, call) =>
        repo.appendTestResults(
          entityId,
          row.id,
          [0, 1, 2].map((i) => result(call * 3 + i)),
          1000,
        ),
      ),
    );
    const results = (await repo.findById(entityId, row.id))!.testResults;
    expect(results).toHaveLength(30);
    expect(new Set(results.map((r) => r.question)).size).toBe(30);
  });

  it('deletes a document once; a second delete and later reads find nothing', async () => {
    const entityId = await newEntity();
    const row = await insert(entityId);
    expect(await repo.deleteCrawl(entityId, row.id)).toBe(true);
    expect(await repo.deleteCrawl(entityId, row.id)).toBe(false);
    expect(await repo.findById(entityId, row.id)).toBeNull();
    // The URL is free again.
    await expect(insert(entityId, { websiteUrl: row.websiteUrl })).resolves.toBeTruthy();
  });

  itNeeds('$avg')(
    'counts by status and averages the scored documents of the entity only',
    async () => {
      const [entityId, other] = [await newEntity(), await newEntity()];
      expect(await repo.stats(entityId)).toEqual({
        byStatus: { pending: 0, in_progress: 0, completed: 0, failed: 0 },
        averageSeoScore: null,
      });
      const statuses: Array<[CrawlStatus, number | null]> = [
        ['pending', null],
        ['pending', 0.5],
        ['in_progress', null],
        ['completed', 0.25],
        ['completed', 1],
        ['failed', 0],
      ];
      for (const [crawlStatus, seoScore] of statuses) {
        const row = await insert(entityId);
        await repo.updateCrawl(entityId, row.id, { crawlStatus, seoScore });
      }
      const noise = await insert(other);
      await repo.updateCrawl(other, noise.id, { seoScore: 0.99 });
      const stats = await repo.stats(entityId);
      expect(stats.byStatus).toEqual({ pending: 2, in_progress: 1, completed: 2, failed: 1 });
      expect(stats.averageSeoScore).toBeCloseTo((0.5 + 0.25 + 1 + 0) / 4, 10);
    },
  );

  it('counts the documents of every entity (countAll), deleted ones no longer', async () => {
    const before = await repo.countAll();
    const [a, b] = [await newEntity(), await newEntity()];
    await insert(a);
    const gone = await insert(a);
    await insert(b);
    expect(await repo.countAll()).toBe(before + 3);
    await repo.deleteCrawl(a, gone.id);
    expect(await repo.countAll()).toBe(before + 2);
  });
});
