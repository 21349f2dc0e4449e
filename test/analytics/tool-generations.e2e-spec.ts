import { randomUUID } from 'node:crypto';
import { FixedClock } from '../../src/common/clock/clock';
import { Actor, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('tool generations', () => {
  let t: TestApp;
  let owner: Actor;
  let stranger: Actor;
  const clock = new FixedClock(new Date('2026-04-01T00:00:00.000Z'));
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const create = (who: Actor, body: Record<string, unknown> = {}) => {
    clock.advance(1000);
    return t.http
      .post('/v1/tool-generations')
      .set(bearer(who))
      .send({ toolType: 'scraper', config: { language: 'python' }, ...body });
  };

  beforeAll(async () => {
    t = await startTestApp({ label: 'toolgen', clock, env: { JWT_EXPIRES_IN: '3650d' } });
    owner = await register(t, 'gen-owner');
    stranger = await register(t, 'gen-stranger');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates, lists (keyset, filters), reads, updates to a terminal state and deletes', async () => {
    const a = await create(owner).expect(201);
    expect(a.body).toMatchObject({
      userId: owner.id,
      toolType: 'scraper',
      status: 'pending',
      config: { language: 'python' },
      result: null,
    });
    const b = await create(owner, { toolType: 'email-template' }).expect(201);
    const page = await t.http.get('/v1/tool-generations?limit=1').set(bearer(owner)).expect(200);
    expect(page.body.items.map((x: { id: string }) => x.id)).toEqual([b.body.id]);
    const next = await t.http
      .get(`/v1/tool-generations?limit=1&cursor=${page.body.nextCursor}`)
      .set(bearer(owner))
      .expect(200);
    expect(next.body.items.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    expect(next.body.nextCursor).toBeNull();
    const filtered = await t.http
      .get('/v1/tool-generations?toolType=email-template&status=pending')
      .set(bearer(owner))
      .expect(200);
    expect(filtered.body.items).toHaveLength(1);

    await t.http.get(`/v1/tool-generations/${a.body.id}`).set(bearer(owner)).expect(200);
    const processing = await t.http
      .patch(`/v1/tool-generations/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'processing' })
      .expect(200);
    expect(processing.body.status).toBe('processing');
    const done = await t.http
      .patch(`/v1/tool-generations/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { code: 'print(1)' } })
      .expect(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { code: 'print(1)' } });
    const again = await t.http
      .patch(`/v1/tool-generations/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'failed' })
      .expect(409);
    expect(again.headers['content-type']).toMatch(PROBLEM);
    expect(again.body.currentStatus).toBe('completed');
    await t.http
      .patch(`/v1/tool-generations/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'processing' })
      .expect(200);
    await t.http
      .patch(`/v1/tool-generations/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'pending' })
      .expect(409);

    await t.http.delete(`/v1/tool-generations/${a.body.id}`).set(bearer(owner)).expect(204);
    await t.http.get(`/v1/tool-generations/${a.body.id}`).set(bearer(owner)).expect(404);
  });

  it('answers 404 to another user on every route, and changes nothing', async () => {
    const mine = await create(owner).expect(201);
    const id = mine.body.id as string;
    await t.http.get(`/v1/tool-generations/${id}`).set(bearer(stranger)).expect(404);
    await t.http
      .patch(`/v1/tool-generations/${id}`)
      .set(bearer(stranger))
      .send({ status: 'failed' })
      .expect(404);
    await t.http.delete(`/v1/tool-generations/${id}`).set(bearer(stranger)).expect(404);
    const list = await t.http.get('/v1/tool-generations').set(bearer(stranger)).expect(200);
    expect(list.body.items).toEqual([]);
    const still = await t.http.get(`/v1/tool-generations/${id}`).set(bearer(owner)).expect(200);
    expect(still.body.status).toBe('pending');
    await t.http.get(`/v1/tool-generations/${randomUUID()}`).set(bearer(owner)).expect(404);
  });

  it('answers 400 to bad input and 401 without credentials', async () => {
    for (const body of [
      { toolType: 'Bad Type', config: {} },
      { toolType: 'scraper', config: [] },
      { toolType: 'scraper', config: { big: 'x'.repeat(70_000) } },
      { toolType: 'scraper', config: { nul: 'a\u0000b' } },
      { toolType: 'scraper' },
    ]) {
      const res = await t.http.post('/v1/tool-generations').set(bearer(owner)).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    await t.http.get('/v1/tool-generations?status=done').set(bearer(owner)).expect(400);
    await t.http.get('/v1/tool-generations/not-a-uuid').set(bearer(owner)).expect(400);
    await t.http.get('/v1/tool-generations').expect(401);
  });
});
