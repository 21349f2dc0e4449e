import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Connection, mongo } from 'mongoose';
import { BackupError } from '../../src/backup/backup-format';
import { BackupService } from '../../src/backup/backup.service';
import { fingerprint } from '../support/backup-fingerprint';
import { runCli } from '../support/cli';
import { createEntity, registerUser } from '../support/identity';
import { startTestApp, TestApp, testTarget } from '../support/test-app';
import { startTestMongo, TestMongo, TEST_MONGO_URL } from '../support/test-mongo';

const { EJSON, Double, Int32, Long } = mongo.BSON;
const CANONICAL = { relaxed: false } as const;
const COLLECTION = 'website_crawl_data';

/**
 * Backup and restore with MONGO_URL: the crawl documents travel in the file after the tables
 * and come back identical — compared as canonical Extended JSON read with `promoteValues:
 * false`, so ids, field order, dates (ms), int32 vs double vs int64 and nested arrays all
 * count. jongodb stands in for MongoDB unless TEST_MONGO_URL is set; everything here runs on
 * it (the documents with test results are written straight into the collection, since
 * jongodb lacks the `$push` the route uses). Once per run (SQLite project): which relational
 * database is next to MongoDB plays no part.
 */
const describeOnce = testTarget === 'sqlite' ? describe : describe.skip;

describeOnce(
  `backup and restore with MONGO_URL (${TEST_MONGO_URL ? 'MongoDB' : 'jongodb'})`,
  () => {
    let mongoDb: TestMongo;
    let source: TestApp;
    let dir: string;
    let file: string;
    let sourceDocs: string[];
    let sourcePrint: Awaited<ReturnType<typeof fingerprint>>;
    const apps: TestApp[] = [];
    let databases = 0;
    /** @nestjs/mongoose is ESM-only: imported in beforeAll (as test/crawl-mongo.e2e-spec.ts does). */
    let connectionToken: string;

    const withMongo = async (label: string) => {
      const app = await startTestApp({
        label,
        env: { MONGO_URL: mongoDb.url, MONGO_DATABASE: `${mongoDb.database}_${++databases}` },
      });
      apps.push(app);
      return app;
    };
    const collection = (t: TestApp) =>
      t.app.get<Connection>(connectionToken, { strict: false }).db!.collection(COLLECTION);
    /** Every document as canonical Extended JSON, by _id: what "identical" means here. */
    const documents = async (t: TestApp) =>
      (
        await collection(t)
          .find({}, { sort: { _id: 1 }, promoteValues: false })
          .toArray()
      ).map((doc) => EJSON.stringify(doc, CANONICAL));
    const checksums = (docs: string[]) =>
      docs.map((doc) => createHash('sha256').update(doc).digest('hex'));
    const readLines = (path: string) =>
      gunzipSync(readFileSync(path))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
    const writeLines = (name: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, gzipSync(lines.join('\n')));
      return path;
    };
    const refusal = (t: TestApp, path: string, force = false) =>
      t.app
        .get(BackupService)
        .restore(path, { force })
        .then(
          () => null,
          (error: unknown) => error as Error,
        );

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cs-backup-mongo-'));
      connectionToken = (await import('@nestjs/mongoose')).getConnectionToken();
      mongoDb = await startTestMongo('backup');
      source = await withMongo('backup-mongo-src');
      const owner = await registerUser(source.http);
      const entityId = await createEntity(source.http, owner);
      const crawls = `/v1/entities/${entityId}/crawls`;
      const ids: string[] = [];
      for (const i of [1, 2, 3]) {
        const res = await source.http
          .post(crawls)
          .set(owner.auth)
          .send({ websiteUrl: `https://m${i}.example.com/`, companyName: `Ünïcode “${i}”` })
          .expect(201);
        ids.push(res.body.id);
      }
      await source.http
        .patch(`${crawls}/${ids[0]}`)
        .set(owner.auth)
        .send({ seoScore: 0.7125, companyInfo: { pages: [{ url: '/a', links: ['/b', '/c'] }] } })
        .expect(200);
      // Stored as another writer (the LumaRank seed) would: every BSON type the store can hold.
      const at = new Date('2026-04-01T00:00:00.123Z');
      await collection(source).insertMany([
        {
          _id: randomUUID(),
          entity_id: entityId,
          website_url: 'https://seeded.example.com',
          domain: 'seeded.example.com',
          company_name: null,
          page_title: 'Seeded',
          meta_description: null,
          crawl_status: 'completed',
          error_message: null,
          company_info: {
            pages: [
              { url: '/', headings: ['h1', ['nested', { deep: [1, 2.5, null] }]], seen: at },
              { url: '/empty', headings: [] },
            ],
            empty: {},
          },
          generated_questions: { questions: ['Q1?', 'Q2?'] },
          test_results: [
            { question: 'Q1?', answer: 'A', passed: true, score: new Double(1), tested_at: at },
            { question: 'Q2?', answer: null, passed: false, score: null, tested_at: at },
          ],
          seo_score: new Double(0.5),
          created_by: owner.user.id,
          crawled_at: at,
          version: new Int32(7),
          created_at: at,
          updated_at: new Date('2026-04-02T10:20:30.456Z'),
        },
        { _id: randomUUID(), entity_id: entityId, big: Long.fromString('9007199254740993') },
      ] as never[]);
      file = join(dir, 'mongo.jsonl.gz');
      await source.app.get(BackupService).backup(file);
      sourceDocs = await documents(source);
      sourcePrint = await fingerprint(source.db);
    }, 180_000);
    afterAll(async () => {
      for (const app of apps) await app.close();
      await mongoDb?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('writes the documents after the tables, their count in the header, and warns of nothing', () => {
      const [first, ...rest] = readLines(file);
      const header = JSON.parse(first);
      expect(header).toMatchObject({
        formatVersion: 2,
        crawlStore: 'mongo',
        collections: [{ name: COLLECTION, documents: 5 }],
      });
      expect(header).not.toHaveProperty('excluded');
      const rows = header.tables.reduce((n: number, t: { rows: number }) => n + t.rows, 0);
      expect(rest).toHaveLength(rows + 5);
      // The relational table stays empty with MONGO_URL: nothing is in the file twice.
      expect(header.tables.find((t: { name: string }) => t.name === COLLECTION).rows).toBe(0);
      const docs = rest.slice(rows).map((line) => JSON.parse(line));
      expect(docs.every((d) => d.c === COLLECTION)).toBe(true);
      expect(docs.map((d) => JSON.stringify(d.d))).toEqual(sourceDocs);
    });

    it('restores into a fresh deployment: identical tables and documents (count and per-document checksum)', async () => {
      const target = await withMongo('backup-mongo-dst');
      const summary = await target.app.get(BackupService).restore(file);
      expect(summary.collections).toEqual([{ name: COLLECTION, documents: 5 }]);
      expect(checksums(await documents(target))).toEqual(checksums(sourceDocs));
      expect(await documents(target)).toEqual(sourceDocs);
      expect(await fingerprint(target.db)).toEqual(sourcePrint);
      // …and the app serves them: a restored document reads back through the API's store.
      expect(await collection(target).countDocuments({ version: 7 })).toBe(1);
    });

    it('leaves nothing behind when the documents fail: truncated, duplicated, malformed', async () => {
      const target = await withMongo('backup-mongo-fail');
      const empty = await fingerprint(target.db);
      const lines = readLines(file);
      const header = JSON.parse(lines[0]);
      const more = { ...header, collections: [{ name: COLLECTION, documents: 6 }] };
      const cases: [string, string, RegExp][] = [
        [
          'a document missing',
          writeLines('docs-short.gz', lines.slice(0, -1)),
          /truncated: website_crawl_data has 4 of the 5 documents/,
        ],
        [
          'a duplicated _id (the insert itself fails half-way)',
          writeLines('docs-dup.gz', [JSON.stringify(more), ...lines.slice(1), lines.at(-1)!]),
          /^restore failed, nothing restored: .*(E11000|duplicate)/i,
        ],
        [
          'a document that is none',
          writeLines('docs-bad.gz', [...lines.slice(0, -1), `{"c":"${COLLECTION}","d":5}`]),
          /line \d+: a document of website_crawl_data: not a document with an _id/,
        ],
        [
          'an unknown collection',
          writeLines('docs-other.gz', [...lines.slice(0, -1), `{"c":"other","d":{"_id":"x"}}`]),
          /unknown collection "other"/,
        ],
      ];
      for (const [what, path, message] of cases) {
        const failure = await refusal(target, path);
        expect([what, failure]).toEqual([what, expect.any(BackupError)]);
        expect([what, failure!.message]).toEqual([what, expect.stringMatching(message)]);
        expect(failure!.message).not.toContain('\n');
        expect([what, await collection(target).countDocuments({})]).toEqual([what, 0]);
        expect(await fingerprint(target.db)).toEqual(empty);
      }
    });

    it('refuses a non-empty collection without --force; --force replaces it, after the rows are all in', async () => {
      const target = await withMongo('backup-mongo-force');
      await collection(target).insertOne({ _id: 'already-there' } as never);
      const refused = await refusal(target, file);
      expect(refused?.message).toMatch(
        /^restore: the target database is not empty \(website_crawl_data \(MongoDB\) 1\); use --force/,
      );
      // A file broken in its rows fails before MongoDB is touched, --force or not.
      const lines = readLines(file);
      const broken = writeLines('rows-short.gz', [lines[0], ...lines.slice(2)]);
      expect((await refusal(target, broken, true))?.message).toMatch(/truncated: \w+ has/);
      expect(await documents(target)).toEqual([
        EJSON.stringify({ _id: 'already-there' }, CANONICAL),
      ]);
      await target.app.get(BackupService).restore(file, { force: true });
      expect(await documents(target)).toEqual(sourceDocs);
      expect(await fingerprint(target.db)).toEqual(sourcePrint);
    });

    it('refuses, in one line, a backup of the other crawl store', async () => {
      const plain = await startTestApp({ label: 'backup-plain' });
      apps.push(plain);
      expect((await refusal(plain, file, true))?.message).toBe(
        'restore: the backup was taken with MONGO_URL (crawl documents in MongoDB) and this deployment keeps crawls in the relational database: set MONGO_URL to restore it',
      );
      const sqlFile = join(dir, 'sql.jsonl.gz');
      await plain.app.get(BackupService).backup(sqlFile);
      const target = await withMongo('backup-mongo-cross');
      expect((await refusal(target, sqlFile, true))?.message).toBe(
        'restore: the backup was taken without MONGO_URL (crawl documents in the relational table) and this deployment keeps crawls in MongoDB: restore it without MONGO_URL',
      );
    });

    it('runs from the CLI: restore and backup with MONGO_URL, exit 1 and one line without it', () => {
      const mongoEnv = { MONGO_URL: mongoDb.url, MONGO_DATABASE: `${mongoDb.database}_cli` };
      const url = `sqlite:${join(dir, 'cli.sqlite')}`;
      expect(runCli(url, ['migrate', 'up'], mongoEnv).status).toBe(0);
      const restored = runCli(url, ['restore', '--in', file], mongoEnv);
      expect([restored.status, restored.stderr]).toEqual([0, expect.any(String)]);
      expect(restored.stdout).toMatch(/, 5 documents in MongoDB website_crawl_data, schema /);
      const backedUp = runCli(url, ['backup', '--out', join(dir, 'cli.jsonl.gz')], mongoEnv);
      expect(backedUp.status).toBe(0);
      expect(backedUp.stdout).toMatch(/, 5 documents in MongoDB website_crawl_data, schema /);
      expect(backedUp.stderr).not.toMatch(/warning/);
      const plainUrl = `sqlite:${join(dir, 'cli-plain.sqlite')}`;
      expect(runCli(plainUrl, ['migrate', 'up']).status).toBe(0);
      const refused = runCli(plainUrl, ['restore', '--in', file]);
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^restore: the backup was taken with MONGO_URL[^\n]*$/);
    }, 300_000);
  },
);
