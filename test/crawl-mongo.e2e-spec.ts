import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { FixedClock } from '../src/common/clock/clock';
import { CrawlRepository } from '../src/crawl/crawl.repository';
import { addMember, createEntity, registerUser, TestUser } from './support/identity';
import { ensureBuilt } from './reliability/built-app';
import { startTestApp, TestApp, testTarget } from './support/test-app';
import { itRealMongo, startTestMongo, TestMongo, TEST_MONGO_URL } from './support/test-mongo';

/**
 * The app started with MONGO_URL: every crawl route served by the Mongo adapter (jongodb, or a
 * real MongoDB with TEST_MONGO_URL), /health/ready reporting mongo, the schema's indexes built
 * at start, the connection closed on shutdown. Routes whose queries need what jongodb lacks
 * ($push, $text, $avg) are reported skipped on it, with the reason. Once per run (with the
 * SQLite project): the relational target plays no part here.
 */
const describeOnce = testTarget === 'sqlite' ? describe : describe.skip;

describeOnce(`crawls with MONGO_URL (${TEST_MONGO_URL ? 'MongoDB' : 'jongodb'})`, () => {
  let mongo: TestMongo;
  let t: TestApp;
  let connection: Connection;
  const clock = new FixedClock(new Date('2026-05-01T08:00:00.000Z'));
  let owner: TestUser;
  let member: TestUser;
  let member2: TestUser;
  let outsider: TestUser;
  let entityId: string;
  let seq = 0;

  const url = (path = '', entity = entityId) => `/v1/entities/${entity}/crawls${path}`;
  const create = async (body: Record<string, unknown> = {}, who: TestUser = member) => {
    clock.advance(1000);
    const res = await t.http
      .post(url())
      .set(who.auth)
      .send({ websiteUrl: `https://m-${++seq}.example.com/`, ...body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const stored = () => connection.collection('website_crawl_data');

  beforeAll(async () => {
    mongo = await startTestMongo('crawl_e2e');
    t = await startTestApp({
      clock,
      label: 'crawls_mongo',
      env: { MONGO_URL: mongo.url, MONGO_DATABASE: mongo.database },
    });
    const { getConnectionToken } = await import('@nestjs/mongoose');
    connection = t.app.get<Connection>(getConnectionToken(), { strict: false });
    owner = await registerUser(t.http);
    member = await registerUser(t.http);
    member2 = await registerUser(t.http);
    outsider = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
    await createEntity(t.http, outsider);
    await addMember(t.http, owner, entityId, member, 'member');
    await addMember(t.http, owner, entityId, member2, 'member');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await mongo?.stop();
  });

  it('reports mongo in /health/ready and runs on the Mongo adapter with the schema’s indexes', async () => {
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.info.mongo).toEqual({ status: 'up', responseTime: expect.any(Number) });
    expect(t.app.get(CrawlRepository, { strict: false }).store).toBe('mongo');
    const indexes = (await stored().listIndexes().toArray()).map((i) => i.name);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'uq_crawl_entity_url',
        'ix_crawl_entity_created',
        'ix_crawl_entity_status_created',
        'tx_crawl_search',
      ]),
    );
  });

  it('creates into the collection (not the SQL table), normalised; 409 on a duplicate, also under 10 concurrent creates', async () => {
    const crawl = await create({ websiteUrl: 'HTTPS://Mongo.Example:443/Docs/#x' });
    expect(crawl).toMatchObject({
      websiteUrl: 'https://mongo.example/Docs',
      domain: 'mongo.example',
      crawlStatus: 'pending',
      createdBy: member.user.id,
    });
    const doc = await stored().findOne({ _id: crawl.id } as never);
    expect(doc).toMatchObject({ entity_id: entityId, website_url: 'https://mongo.example/Docs' });
    expect(Number((await t.db.query('SELECT COUNT(*) AS n FROM website_crawl_data'))[0].n)).toBe(0);
    await t.http
      .post(url())
      .set(member2.auth)
      .send({ websiteUrl: 'https://mongo.example/Docs/' })
      .expect(409);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post(url())
          .set(member.auth)
          .send({ websiteUrl: 'https://mongo-race.example/' })
          .then((r) => r.status),
      ),
    );
    expect(statuses.sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it('lists newest first with a cursor and filters by status and score', async () => {
    const listEntity = await createEntity(t.http, owner);
    const made: string[] = [];
    for (const [i, score] of [0.2, 0.6, 0.9].entries()) {
      clock.advance(1000);
      const res = await t.http
        .post(url('', listEntity))
        .set(owner.auth)
        .send({ websiteUrl: `https://list-${i}.example/` })
        .expect(201);
      made.push(res.body.id);
      await t.http
        .patch(url(`/${res.body.id}`, listEntity))
        .set(owner.auth)
        .send({ seoScore: score, ...(i === 0 ? { crawlStatus: 'in_progress' } : {}) })
        .expect(200);
    }
    const first = await t.http.get(url('?limit=2', listEntity)).set(owner.auth).expect(200);
    const second = await t.http
      .get(url(`?limit=2&cursor=${first.body.nextCursor}`, listEntity))
      .set(owner.auth)
      .expect(200);
    const ids = (b: { items: Array<{ id: string }> }) => b.items.map((i) => i.id);
    expect([...ids(first.body), ...ids(second.body)]).toEqual([...made].reverse());
    expect(second.body.nextCursor).toBeNull();
    for (const item of first.body.items) expect(item).not.toHaveProperty('companyInfo');
    const filtered = await t.http
      .get(url('?minScore=0.5&maxScore=0.95', listEntity))
      .set(owner.auth)
      .expect(200);
    expect(ids(filtered.body)).toEqual([made[2], made[1]]);
    const byStatus = await t.http
      .get(url('?status=in_progress', listEntity))
      .set(owner.auth)
      .expect(200);
    expect(ids(byStatus.body)).toEqual([made[0]]);
  });

  itRealMongo('$text')('searches by text ($text on the entity-prefixed text index)', async () => {
    const a = await create({ companyName: 'Zanzibar Spices' });
    await create({ companyName: 'Other Things' });
    const res = await t.http.get(url('?q=zanzibar')).set(member.auth).expect(200);
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
  });

  it('finds by URL, reads the full document (cached), patches through the status machine and deletes', async () => {
    const crawl = await create();
    const byUrl = await t.http
      .get(url(`/by-url?url=${encodeURIComponent(crawl.websiteUrl.toUpperCase())}`))
      .set(member2.auth)
      .expect(200);
    expect(byUrl.body).toEqual(crawl);
    expect(
      (
        await t.http
          .get(url(`/${crawl.id}`))
          .set(member2.auth)
          .expect(200)
      ).body,
    ).toEqual(crawl);
    const patch = (body: object, who = member) =>
      t.http
        .patch(url(`/${crawl.id}`))
        .set(who.auth)
        .send(body);
    expect((await patch({ crawlStatus: 'completed' }).expect(409)).body.detail).toContain(
      'the current status is pending',
    );
    await patch({ pageTitle: 'x' }, member2).expect(403);
    await patch({ crawlStatus: 'in_progress' }).expect(200);
    clock.advance(1000);
    const done = await patch({
      crawlStatus: 'completed',
      seoScore: 0.75,
      companyInfo: { name: 'M', nested: { list: [1, { a: 'b' }] }, empty: {} },
      generatedQuestions: { q: ['Why?'] },
    }).expect(200);
    expect(done.body).toMatchObject({
      crawlStatus: 'completed',
      crawledAt: clock.now().toISOString(),
      companyInfo: { name: 'M', nested: { list: [1, { a: 'b' }] }, empty: {} },
    });
    // The cached copy was dropped by the write.
    expect((await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.seoScore).toBe(0.75);
    await t.http
      .delete(url(`/${crawl.id}`))
      .set(member2.auth)
      .expect(403);
    await t.http
      .delete(url(`/${crawl.id}`))
      .set(member.auth)
      .expect(204);
    await t.http
      .get(url(`/${crawl.id}`))
      .set(member.auth)
      .expect(404);
    expect(await stored().countDocuments({ _id: crawl.id } as never)).toBe(0);
  });

  it('versions the document: ETag from `version` ($inc on every update), If-Match conditional, 10 concurrent → one 200', async () => {
    const crawl = await create();
    expect(crawl.version).toBe(1);
    const path = url(`/${crawl.id}`);
    const first = await t.http.get(path).set(member.auth).expect(200);
    expect(first.headers.etag).toBe(`"crawl-${crawl.id}-1"`);
    await t.http.get(path).set(member.auth).set('If-None-Match', first.headers.etag).expect(304);
    const changed = await t.http
      .patch(path)
      .set(member.auth)
      .set('If-Match', first.headers.etag)
      .send({ pageTitle: 'v2' })
      .expect(200);
    expect(changed.body.version).toBe(2);
    expect(
      ((await stored().findOne({ _id: crawl.id } as never)) as { version?: number })?.version,
    ).toBe(2);
    const stale = await t.http
      .patch(path)
      .set(member.auth)
      .set('If-Match', first.headers.etag)
      .send({ pageTitle: 'lost' });
    expect(stale.status).toBe(412);
    expect(stale.headers.etag).toBe(changed.headers.etag);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.http
          .patch(path)
          .set(member.auth)
          .set('If-Match', changed.headers.etag)
          .send({ pageTitle: `race ${i}` }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(412)]);
    const refused = await t.http
      .delete(path)
      .set(member.auth)
      .set('If-Match', changed.headers.etag);
    expect(refused.status).toBe(412);
    expect(await stored().countDocuments({ _id: crawl.id } as never)).toBe(1);
  });

  it('refuses NoSQL operators anywhere with 400: nothing reaches the collection as an operator', async () => {
    const crawl = await create();
    const before = await stored().findOne({ _id: crawl.id } as never);
    for (const body of [
      { companyName: { $ne: null } },
      { companyInfo: { $set: { crawl_status: 'completed' } } },
      { companyInfo: { a: [{ b: { $gt: '' } }] } },
      { generatedQuestions: { 'x.y': 1 } },
      { crawlStatus: { $ne: 'pending' } },
    ]) {
      await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send(body)
        .expect(400);
    }
    await t.http
      .post(url())
      .set(member.auth)
      .send({ websiteUrl: { $gt: '' } })
      .expect(400);
    await t.http.get(url('?status[$ne]=pending')).set(member.auth).expect(400);
    await t.http.get(url('/by-url?url[$ne]=x')).set(member.auth).expect(400);
    expect(await stored().findOne({ _id: crawl.id } as never)).toEqual(before);
  });

  itRealMongo('$push')('appends test results with $push/$slice', async () => {
    const crawl = await create();
    const res = await t.http
      .post(url(`/${crawl.id}/test-results`))
      .set(member.auth)
      .send({ results: [{ question: 'Q?', passed: true, testedAt: '2026-05-01T00:00:00Z' }] })
      .expect(200);
    expect(res.body.testResults).toHaveLength(1);
  });

  it('refuses bad test results with 400 before any query (jongodb serves this part too)', async () => {
    const crawl = await create();
    await t.http
      .post(url(`/${crawl.id}/test-results`))
      .set(member.auth)
      .send({ results: [] })
      .expect(400);
    await t.http
      .post(url(`/${crawl.id}/test-results`))
      .set(member2.auth)
      .send({ results: [{ question: 'Q?', passed: true, testedAt: '2026-05-01T00:00:00Z' }] })
      .expect(403);
  });

  itRealMongo('$avg')('answers stats from one aggregation ($facet with $avg)', async () => {
    const res = await t.http.get(url('/stats')).set(member.auth).expect(200);
    expect(res.body.total).toBeGreaterThan(0);
  });

  it('answers 404 to an outsider on every route', async () => {
    const crawl = await create();
    for (const call of [
      t.http.get(url()),
      t.http.get(url('/stats')),
      t.http.get(url(`/${crawl.id}`)),
      t.http.patch(url(`/${crawl.id}`)).send({ pageTitle: 'x' }),
      t.http.delete(url(`/${crawl.id}`)),
    ]) {
      expect((await call.set(outsider.auth)).status).toBe(404);
    }
  });

  it('closes the Mongo connection when the app shuts down', async () => {
    const app = await startTestApp({
      label: 'crawls_mongo_close',
      env: { MONGO_URL: mongo.url, MONGO_DATABASE: mongo.database },
    });
    const { getConnectionToken } = await import('@nestjs/mongoose');
    const own = app.app.get<Connection>(getConnectionToken(), { strict: false });
    expect(own.readyState).toBe(1);
    await app.close();
    expect(own.readyState).toBe(0);
  });
});

describeOnce('crawls without MONGO_URL', () => {
  it('starts the built app on the SQL store without loading mongoose or the MongoDB driver', () => {
    ensureBuilt();
    const root = join(__dirname, '..');
    const script = `
      const { createApp } = require('./dist/src/bootstrap');
      const { loadConfig } = require('./dist/src/config');
      createApp(loadConfig({ DATABASE_URL: 'sqlite::memory:', DB_MIGRATE_ON_START: 'true' }))
        .then(async (app) => {
          const { CrawlRepository } = require('./dist/src/crawl/crawl.repository');
          const store = app.get(CrawlRepository, { strict: false }).store;
          const loaded = Object.keys(require.cache).filter((k) => k.includes('/node_modules/mongoose/') || k.includes('/node_modules/mongodb/'));
          await app.close();
          process.stdout.write(JSON.stringify({ store, loaded: loaded.length }));
        })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
    };
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: run.status, stderr: run.stderr.slice(0, 500) }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(JSON.parse(run.stdout)).toEqual({ store: 'sql', loaded: 0 });
  });
});
