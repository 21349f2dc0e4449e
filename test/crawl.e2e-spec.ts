import { FixedClock } from '../src/common/clock/clock';
import { addMember, createEntity, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp, testTarget } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;

/**
 * Every crawl route through the real app on the SQL adapter (SQLite; PostgreSQL in
 * e2e-postgres): tenant isolation, roles, API-key scopes, bad input, the status machine, the
 * cache. test/crawl-mongo.e2e-spec.ts runs the routes again with MONGO_URL set.
 */
describe('crawls (SQL store)', () => {
  let t: TestApp;
  const clock = new FixedClock(new Date('2026-04-01T08:00:00.000Z'));
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let member2: TestUser;
  let outsider: TestUser;
  let entityId: string;
  let otherEntityId: string;
  let seq = 0;

  const url = (path = '', entity = entityId) => `/v1/entities/${entity}/crawls${path}`;
  const rows = async () =>
    Number((await t.db.query('SELECT COUNT(*) AS n FROM website_crawl_data'))[0].n);
  const create = async (body: Record<string, unknown> = {}, who: TestUser = member) => {
    clock.advance(1000);
    const res = await t.http
      .post(url())
      .set(who.auth)
      .send({ websiteUrl: `https://site-${++seq}.example.com/`, ...body });
    expect(res.status).toBe(201);
    return res.body;
  };

  const apiKeys: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ clock, label: 'crawls' });
    owner = await registerUser(t.http);
    admin = await registerUser(t.http);
    member = await registerUser(t.http);
    member2 = await registerUser(t.http);
    outsider = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
    otherEntityId = await createEntity(t.http, outsider);
    await addMember(t.http, owner, entityId, admin, 'admin');
    await addMember(t.http, owner, entityId, member, 'member');
    await addMember(t.http, owner, entityId, member2, 'member');
    // Real API keys of the member, minted through the billing module's route.
    for (const [name, scopes] of [
      ['crawl_reader', ['crawls:read']],
      ['crawl_writer', ['crawls:read', 'crawls:write']],
      ['leads_only', ['leads:read', 'leads:write']],
    ] as const) {
      const res = await t.http
        .post('/v1/api-keys')
        .set(member.auth)
        .send({ name, scopes })
        .expect(201);
      apiKeys[`ck_${name}`] = res.body.key;
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST /crawls', () => {
    it('creates a pending crawl with the URL normalised, the domain derived and the caller as creator', async () => {
      clock.advance(1000);
      const res = await t.http
        .post(url())
        .set(member.auth)
        .send({
          websiteUrl: 'HTTPS://WWW.Acme-Rockets.example:443/About/#team',
          companyName: ' Acme ',
        })
        .expect(201);
      expect(res.body).toMatchObject({
        entityId,
        websiteUrl: 'https://www.acme-rockets.example/About',
        domain: 'acme-rockets.example',
        companyName: 'Acme',
        crawlStatus: 'pending',
        createdBy: member.user.id,
        seoScore: null,
        crawledAt: null,
        companyInfo: null,
        generatedQuestions: null,
        testResults: [],
        createdAt: clock.now().toISOString(),
      });
    });

    it('answers 409 for a URL the entity already has, however it is spelled, and 201 in another entity', async () => {
      await create({ websiteUrl: 'https://dup.example/path' });
      const before = await rows();
      const res = await t.http
        .post(url())
        .set(admin.auth)
        .send({ websiteUrl: 'HTTPS://DUP.example:443/path/#x' })
        .expect(409);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'websiteUrl' })]);
      expect(await rows()).toBe(before);
      await t.http
        .post(url('', otherEntityId))
        .set(outsider.auth)
        .send({ websiteUrl: 'https://dup.example/path' })
        .expect(201);
    });

    it('lets one of 10 concurrent creates of the same URL win; the other nine get 409', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.http
            .post(url())
            .set(member.auth)
            .send({ websiteUrl: 'https://race.example/' })
            .then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    });

    it.each([
      ['javascript: URL', { websiteUrl: 'javascript:alert(1)' }],
      ['file: URL', { websiteUrl: 'file:///etc/passwd' }],
      ['ftp: URL', { websiteUrl: 'ftp://example.com/' }],
      ['credentials', { websiteUrl: 'https://user:pass@example.com/' }],
      ['not a URL', { websiteUrl: 'definitely not a url' }],
      ['a host-less URL', { websiteUrl: 'https://' }],
      ['over 2,048 characters', { websiteUrl: `https://example.com/${'a'.repeat(2040)}` }],
      [
        'an operator object as companyName',
        { websiteUrl: 'https://op.example/', companyName: { $ne: null } },
      ],
      ['an operator object as websiteUrl', { websiteUrl: { $ne: null } }],
      ['a client-supplied domain', { websiteUrl: 'https://d.example/', domain: 'evil.example' }],
      ['a client-supplied createdBy', { websiteUrl: 'https://c.example/', createdBy: 'x' }],
    ])('refuses %s with 400 and writes nothing', async (_, body) => {
      const before = await rows();
      const res = await t.http.post(url()).set(member.auth).send(body).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.status).toBe(400);
      expect(await rows()).toBe(before);
    });
  });

  describe('GET /crawls (list), /stats, /by-url', () => {
    let listEntity: string;
    const created: Array<{ id: string }> = [];
    const list = (query: string) => t.http.get(url(query, listEntity)).set(owner.auth);
    beforeAll(async () => {
      listEntity = await createEntity(t.http, owner);
      const scores = [0.1, 0.5, 0.9, null, 0.7];
      const names = ['Acme Rockets', 'Zephyr Labs', 'Quantum Widgets', 'Acme Foods', 'Plain Co'];
      for (let i = 0; i < 5; i++) {
        clock.advance(1000);
        const res = await t.http
          .post(url('', listEntity))
          .set(owner.auth)
          .send({ websiteUrl: `https://list-${i}.example/`, companyName: names[i] })
          .expect(201);
        created.push(res.body);
        if (scores[i] !== null)
          await t.http
            .patch(url(`/${res.body.id}`, listEntity))
            .set(owner.auth)
            .send({ seoScore: scores[i], ...(i === 2 ? { crawlStatus: 'in_progress' } : {}) })
            .expect(200);
      }
    });
    const ids = (body: { items: Array<{ id: string }> }) => body.items.map((c) => c.id);
    const newest = () => [...created].reverse().map((c) => c.id);

    it('pages newest first with a cursor; items carry no companyInfo, generatedQuestions or testResults', async () => {
      const first = await list('?limit=2').expect(200);
      expect(ids(first.body)).toEqual(newest().slice(0, 2));
      for (const item of first.body.items) {
        expect(item).not.toHaveProperty('companyInfo');
        expect(item).not.toHaveProperty('generatedQuestions');
        expect(item).not.toHaveProperty('testResults');
      }
      const second = await list(`?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      const third = await list(`?limit=2&cursor=${second.body.nextCursor}`).expect(200);
      expect([...ids(first.body), ...ids(second.body), ...ids(third.body)]).toEqual(newest());
      expect(third.body.nextCursor).toBeNull();
    });

    it('filters by status, score range and text', async () => {
      expect(ids((await list('?status=in_progress').expect(200)).body)).toEqual([created[2].id]);
      expect(ids((await list('?minScore=0.6').expect(200)).body)).toEqual([
        created[4].id,
        created[2].id,
      ]);
      expect(ids((await list('?maxScore=0.1').expect(200)).body)).toEqual([created[0].id]);
      expect(ids((await list('?q=acme').expect(200)).body)).toEqual([created[3].id, created[0].id]);
      expect(ids((await list('?q=zephyr%20quantum').expect(200)).body)).toEqual([
        created[2].id,
        created[1].id,
      ]);
      expect(ids((await list('?q=nowhere').expect(200)).body)).toEqual([]);
    });

    it.each([
      ['minScore above maxScore', '?minScore=0.8&maxScore=0.2'],
      ['a score above 1', '?minScore=1.5'],
      ['a negative score', '?maxScore=-1'],
      ['an unknown status', '?status=done'],
      ['a forged cursor', '?cursor=bm90LWEtY3Vyc29y'],
      ['an operator-shaped filter', '?status[$ne]=x'],
      ['a 201-character search', `?q=${'a'.repeat(201)}`],
    ])('refuses %s with 400', async (_, query) => {
      const res = await list(query).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it('counts by status and averages the scored crawls', async () => {
      const res = await t.http.get(url('/stats', listEntity)).set(member.auth);
      expect(res.status).toBe(404); // member is not in listEntity
      const stats = await t.http.get(url('/stats', listEntity)).set(owner.auth).expect(200);
      expect(stats.body).toEqual({
        total: 5,
        byStatus: { pending: 4, in_progress: 1, completed: 0, failed: 0 },
        averageSeoScore: expect.any(Number),
      });
      expect(stats.body.averageSeoScore).toBeCloseTo((0.1 + 0.5 + 0.9 + 0.7) / 4, 10);
    });

    it('finds a crawl by any spelling of its URL, and answers 404 / 400 otherwise', async () => {
      const res = await t.http
        .get(
          url(`/by-url?url=${encodeURIComponent('HTTPS://LIST-1.example:443/#top')}`, listEntity),
        )
        .set(owner.auth)
        .expect(200);
      expect(res.body).toMatchObject({ id: created[1].id, websiteUrl: 'https://list-1.example/' });
      expect(res.body.testResults).toEqual([]);
      await t.http
        .get(url(`/by-url?url=${encodeURIComponent('https://list-9.example/')}`, listEntity))
        .set(owner.auth)
        .expect(404);
      await t.http
        .get(url(`/by-url?url=${encodeURIComponent('https://list-1.example/')}`, otherEntityId))
        .set(outsider.auth)
        .expect(404);
      await t.http
        .get(url('/by-url?url=javascript:alert(1)', listEntity))
        .set(owner.auth)
        .expect(400);
      await t.http.get(url('/by-url', listEntity)).set(owner.auth).expect(400);
    });
  });

  describe('GET /crawls/:crawlId', () => {
    it('answers the full document, and 404 to another entity or an unknown id', async () => {
      const crawl = await create();
      const res = await t.http
        .get(url(`/${crawl.id}`))
        .set(member2.auth)
        .expect(200);
      expect(res.body).toEqual(crawl);
      await t.http
        .get(url(`/${crawl.id.toUpperCase()}`))
        .set(member.auth)
        .expect(200);
      // The id exists, but in entityId: the outsider's own entity does not have it.
      await t.http
        .get(url(`/${crawl.id}`, otherEntityId))
        .set(outsider.auth)
        .expect(404);
      await t.http
        .get(url(`/${crawl.id}`))
        .set(outsider.auth)
        .expect(404);
      await t.http.get(url('/00000000-0000-4000-8000-000000000000')).set(member.auth).expect(404);
      await t.http.get(url('/not-a-uuid')).set(member.auth).expect(400);
    });

    it('serves reads from the cache and drops the copy on every write', async () => {
      const crawl = await create();
      await t.http
        .get(url(`/${crawl.id}`))
        .set(member.auth)
        .expect(200);
      // A change behind the API's back is not seen while the copy is cached…
      await t.db.query(
        `UPDATE website_crawl_data SET page_title = 'Behind' WHERE id = '${crawl.id}'`,
      );
      expect((await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.pageTitle).toBeNull();
      // …and a write through the API drops it.
      await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send({ companyName: 'Fresh' })
        .expect(200);
      const after = await t.http
        .get(url(`/${crawl.id}`))
        .set(member.auth)
        .expect(200);
      expect(after.body).toMatchObject({ companyName: 'Fresh', pageTitle: 'Behind' });
      await t.http
        .post(url(`/${crawl.id}/test-results`))
        .set(member.auth)
        .send({ results: [{ question: 'Q?', passed: true, testedAt: '2026-04-01T00:00:00.000Z' }] })
        .expect(200);
      expect(
        (await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.testResults,
      ).toHaveLength(1);
      await t.http
        .delete(url(`/${crawl.id}`))
        .set(member.auth)
        .expect(204);
      await t.http
        .get(url(`/${crawl.id}`))
        .set(member.auth)
        .expect(404);
    });
  });

  describe('PATCH /crawls/:crawlId', () => {
    it('walks pending → in_progress → completed (setting crawledAt) → pending, and refuses other moves with 409 naming the status', async () => {
      const crawl = await create();
      const patch = (body: object) =>
        t.http
          .patch(url(`/${crawl.id}`))
          .set(member.auth)
          .send(body);
      const skip = await patch({ crawlStatus: 'completed' }).expect(409);
      expect(skip.headers['content-type']).toMatch(PROBLEM);
      expect(skip.body.detail).toContain('the current status is pending');
      await patch({ crawlStatus: 'in_progress' }).expect(200);
      clock.advance(5000);
      const done = await patch({
        crawlStatus: 'completed',
        seoScore: 0.8,
        pageTitle: 'Home',
        metaDescription: 'We sell things',
        companyInfo: { name: 'Acme', sectors: ['retail'], address: { city: 'Lyon' } },
        generatedQuestions: { questions: ['What does Acme sell?'] },
      }).expect(200);
      expect(done.body).toMatchObject({
        crawlStatus: 'completed',
        crawledAt: clock.now().toISOString(),
        seoScore: 0.8,
        companyInfo: { name: 'Acme', sectors: ['retail'], address: { city: 'Lyon' } },
      });
      const back = await patch({ crawlStatus: 'in_progress' }).expect(409);
      expect(back.body.detail).toContain('the current status is completed');
      await patch({ crawlStatus: 'pending' }).expect(200);
      await patch({ crawlStatus: 'in_progress' }).expect(200);
      await patch({ crawlStatus: 'failed', errorMessage: 'DNS lookup failed' }).expect(200);
      const failed = await patch({ crawlStatus: 'completed' }).expect(409);
      expect(failed.body.detail).toContain('the current status is failed');
    });

    it('lets the creator, admins and owners edit, and refuses other members with 403', async () => {
      const crawl = await create({}, member);
      const patch = (who: TestUser, body: object) =>
        t.http
          .patch(url(`/${crawl.id}`))
          .set(who.auth)
          .send(body);
      await patch(member, { pageTitle: 'by creator' }).expect(200);
      await patch(admin, { pageTitle: 'by admin' }).expect(200);
      await patch(owner, { pageTitle: 'by owner' }).expect(200);
      const refused = await patch(member2, { pageTitle: 'by another member' }).expect(403);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      await patch(outsider, { pageTitle: 'x' }).expect(404);
      expect((await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.pageTitle).toBe(
        'by owner',
      );
    });

    it.each([
      ['seoScore above 1', { seoScore: 1.01 }],
      ['seoScore below 0', { seoScore: -0.1 }],
      ['seoScore as text', { seoScore: '0.5' }],
      ['an unknown status', { crawlStatus: 'done' }],
      ['a null status', { crawlStatus: null }],
      ['an operator object as companyName', { companyName: { $ne: null } }],
      ['a $ key in companyInfo', { companyInfo: { $where: 'sleep(1000)' } }],
      ['a $ key deep in companyInfo', { companyInfo: { a: { b: [{ c: { $gt: '' } }] } } }],
      ['a dotted key in generatedQuestions', { generatedQuestions: { 'a.b': 1 } }],
      ['an array as companyInfo', { companyInfo: [1, 2] }],
      ['a string as generatedQuestions', { generatedQuestions: 'x' }],
      ['an unknown field', { domain: 'evil.example' }],
    ])('refuses %s with 400 and changes nothing', async (_, body) => {
      const crawl = await create();
      const res = await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send(body)
        .expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect((await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body).toEqual(crawl);
    });

    it('answers 413 for a companyInfo over 256 KB and for a body over 1 MiB, changing nothing', async () => {
      const crawl = await create();
      const big = await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send({ companyInfo: { blob: 'x'.repeat(300 * 1024) } })
        .expect(413);
      expect(big.headers['content-type']).toMatch(PROBLEM);
      await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send({ companyInfo: { blob: 'x'.repeat(1100 * 1024) } })
        .expect(413);
      // Just under the limit is fine.
      await t.http
        .patch(url(`/${crawl.id}`))
        .set(member.auth)
        .send({ companyInfo: { blob: 'x'.repeat(250 * 1024) } })
        .expect(200);
    });
  });

  describe('POST /crawls/:crawlId/test-results', () => {
    const results = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({
        question: `Q${from + i}?`,
        answer: `A${from + i}`,
        passed: (from + i) % 2 === 0,
        score: 0.5,
        testedAt: new Date(Date.UTC(2026, 3, 1, 0, 0, 0, from + i)).toISOString(),
      }));

    it('appends in order and keeps only the newest 1,000', async () => {
      const crawl = await create();
      const first = await t.http
        .post(url(`/${crawl.id}/test-results`))
        .set(member.auth)
        .send({
          results: [{ question: 'Is it fast?', passed: true, testedAt: '2026-04-01T10:00:00Z' }],
        })
        .expect(200);
      expect(first.body.testResults).toEqual([
        {
          question: 'Is it fast?',
          answer: null,
          passed: true,
          score: null,
          testedAt: '2026-04-01T10:00:00.000Z',
        },
      ]);
      for (let call = 0; call < 10; call++) {
        await t.http
          .post(url(`/${crawl.id}/test-results`))
          .set(member.auth)
          .send({ results: results(100, call * 100) })
          .expect(200);
      }
      const kept = (await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.testResults;
      expect(kept).toHaveLength(1000);
      expect(kept[0].question).toBe('Q0?');
      expect(kept[999].question).toBe('Q999?');
    });

    it.each([
      ['no results', { results: [] }],
      ['101 results', { results: results(101) }],
      [
        'a result without question',
        { results: [{ passed: true, testedAt: '2026-04-01T00:00:00Z' }] },
      ],
      [
        'a score above 1',
        { results: [{ question: 'q', passed: true, score: 2, testedAt: '2026-04-01T00:00:00Z' }] },
      ],
      ['a bad date', { results: [{ question: 'q', passed: true, testedAt: 'yesterday' }] }],
      [
        'an operator object as answer',
        {
          results: [
            { question: 'q', answer: { $ne: 1 }, passed: true, testedAt: '2026-04-01T00:00:00Z' },
          ],
        },
      ],
      [
        'an unknown field in a result',
        { results: [{ question: 'q', passed: true, testedAt: '2026-04-01T00:00:00Z', extra: 1 }] },
      ],
    ])('refuses %s with 400', async (_, body) => {
      const crawl = await create();
      await t.http
        .post(url(`/${crawl.id}/test-results`))
        .set(member.auth)
        .send(body)
        .expect(400);
      expect((await t.http.get(url(`/${crawl.id}`)).set(member.auth)).body.testResults).toEqual([]);
    });

    it('is an edit: another member gets 403, an unknown crawl 404', async () => {
      const crawl = await create({}, member);
      await t.http
        .post(url(`/${crawl.id}/test-results`))
        .set(member2.auth)
        .send({ results: results(1) })
        .expect(403);
      await t.http
        .post(url('/00000000-0000-4000-8000-000000000000/test-results'))
        .set(member.auth)
        .send({ results: results(1) })
        .expect(404);
    });
  });

  describe('DELETE /crawls/:crawlId', () => {
    it('lets the creator or an admin delete; another member gets 403; a second delete 404', async () => {
      const mine = await create({}, member);
      const theirs = await create({}, member2);
      await t.http
        .delete(url(`/${mine.id}`))
        .set(member2.auth)
        .expect(403);
      await t.http
        .delete(url(`/${mine.id}`))
        .set(member.auth)
        .expect(204);
      await t.http
        .delete(url(`/${mine.id}`))
        .set(member.auth)
        .expect(404);
      await t.http
        .delete(url(`/${theirs.id}`))
        .set(outsider.auth)
        .expect(404);
      await t.http
        .delete(url(`/${theirs.id}`))
        .set(admin.auth)
        .expect(204);
    });
  });

  describe('API keys', () => {
    const key = (name: string) => ({ 'X-API-Key': apiKeys[name] });
    it('need crawls:read to read and crawls:write to write', async () => {
      const crawl = await create();
      await t.http.get(url()).set(key('ck_crawl_reader')).expect(200);
      await t.http
        .get(url(`/${crawl.id}`))
        .set(key('ck_crawl_reader'))
        .expect(200);
      await t.http.get(url('/stats')).set(key('ck_crawl_reader')).expect(200);
      const refused = await t.http
        .post(url())
        .set(key('ck_crawl_reader'))
        .send({ websiteUrl: 'https://key.example/' })
        .expect(403);
      expect(refused.body.detail).toContain('crawls:write');
      await t.http
        .delete(url(`/${crawl.id}`))
        .set(key('ck_crawl_reader'))
        .expect(403);
      await t.http.get(url()).set(key('ck_leads_only')).expect(403);
      const made = await t.http
        .post(url())
        .set(key('ck_crawl_writer'))
        .send({ websiteUrl: 'https://key.example/' })
        .expect(201);
      expect(made.body.createdBy).toBe(member.user.id);
      await t.http
        .patch(url(`/${made.body.id}`))
        .set(key('ck_crawl_writer'))
        .send({ crawlStatus: 'in_progress' })
        .expect(200);
    });
  });

  it('keeps tenants apart: an outsider gets 404 on every route of the entity', async () => {
    const crawl = await create();
    const id = crawl.id;
    const calls = [
      t.http.get(url()),
      t.http.post(url()).send({ websiteUrl: 'https://o.example/' }),
      t.http.get(url('/stats')),
      t.http.get(url(`/by-url?url=${encodeURIComponent(crawl.websiteUrl)}`)),
      t.http.get(url(`/${id}`)),
      t.http.patch(url(`/${id}`)).send({ pageTitle: 'x' }),
      t.http
        .post(url(`/${id}/test-results`))
        .send({ results: [{ question: 'q', passed: true, testedAt: '2026-04-01T00:00:00Z' }] }),
      t.http.delete(url(`/${id}`)),
    ];
    for (const call of calls) {
      const res = await call.set(outsider.auth);
      expect(res.status).toBe(404);
    }
    expect((await t.http.get(url(`/${id}`)).set(member.auth)).body).toEqual(crawl);
  });

  it(`uses the SQL store (${testTarget})`, async () => {
    expect(
      Number((await t.db.query('SELECT COUNT(*) AS n FROM website_crawl_data'))[0].n),
    ).toBeGreaterThan(0);
  });
});
