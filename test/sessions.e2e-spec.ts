import { randomUUID } from 'node:crypto';
import { REFRESH_REUSE_GRACE_MS, SESSION_PURGE_JOB } from '../src/auth/sessions.service';
import { FixedClock } from '../src/common/clock/clock';
import { PeriodicJobs } from '../src/common/scheduling/periodic-jobs';
import { DEFAULT_PASSWORD, registerAdmin, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('sessions: refresh rotation, logout, session list, revocation', () => {
  let t: TestApp;
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    t = await startTestApp({ label: 'sessions', clock });
  });
  afterAll(async () => {
    await t.close();
  });

  interface Pair {
    accessToken: string;
    refreshToken: string;
  }
  const signIn = async (user: TestUser, userAgent = 'jest'): Promise<Pair> => {
    const res = await t.http
      .post('/v1/auth/login')
      .set('User-Agent', userAgent)
      .send({ login: user.user.email, password: user.password })
      .expect(200);
    return res.body;
  };
  const refresh = (refreshToken: string) => t.http.post('/v1/auth/refresh').send({ refreshToken });
  const me = (accessToken: string) => t.http.get('/v1/auth/me').set(bearer(accessToken));

  it('signs in with a short-lived access token carrying sid and an opaque refresh token', async () => {
    const user = await registerUser(t.http);
    const res = await t.http
      .post('/v1/auth/login')
      .send({ login: user.user.email, password: user.password })
      .expect(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ id: user.user.id }),
      accessToken: expect.any(String),
      expiresIn: 900,
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    const claims = claimsOf(res.body.accessToken);
    expect(claims).toMatchObject({ sub: user.user.id, sid: expect.any(String) });
    expect(claims.exp - claims.iat).toBe(900);
    // Stored hashed only.
    const rows = await t.db.query(
      `SELECT refresh_token_hash FROM sessions WHERE id = '${claims.sid}'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].refresh_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].refresh_token_hash).not.toContain(res.body.refreshToken);
  });

  it('rotates on refresh; a replay of the spent token later revokes the whole family', async () => {
    const user = await registerUser(t.http);
    const first = await signIn(user);
    const second = (await refresh(first.refreshToken).expect(200)).body;
    expect(second.user.id).toBe(user.user.id);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(claimsOf(second.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
    await me(second.accessToken).expect(200);

    // At once again (a duplicate of that refresh): refused, but the session lives on.
    await refresh(first.refreshToken).expect(401);
    await me(second.accessToken).expect(200);

    // Later: a stolen token replayed. Every token of the family is refused from now on.
    clock.advance(REFRESH_REUSE_GRACE_MS + 1_000);
    await refresh(first.refreshToken).expect(401);
    await me(second.accessToken).expect(401);
    await me(first.accessToken).expect(401);
    await refresh(second.refreshToken).expect(401);
  });

  it('lets exactly one of concurrent refreshes with the same token win, and keeps its session', async () => {
    const user = await registerUser(t.http);
    const pair = await signIn(user);
    const answers = await Promise.all(Array.from({ length: 4 }, () => refresh(pair.refreshToken)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401]);
    const winner = answers.find((a) => a.status === 200)!.body;
    await me(winner.accessToken).expect(200);
    const next = (await refresh(winner.refreshToken).expect(200)).body;
    await me(next.accessToken).expect(200);
  });

  it('answers every bad refresh token with the same 401 problem body', async () => {
    const user = await registerUser(t.http);
    const spent = await signIn(user);
    await refresh(spent.refreshToken).expect(200);
    clock.advance(REFRESH_REUSE_GRACE_MS + 1_000);
    await refresh(spent.refreshToken).expect(401); // the replay: its family is now revoked
    const revoked = await signIn(user);
    await t.http.post('/v1/auth/logout').set(bearer(revoked.accessToken)).expect(204);

    const bodies = new Set<string>();
    for (const token of [
      'x',
      'not a token at all',
      'a'.repeat(43),
      'a'.repeat(5000),
      spent.refreshToken,
      revoked.refreshToken,
      spent.accessToken,
    ]) {
      const res = await refresh(token).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Only the per-request identifiers differ.
      const { instance: _instance, requestId: _requestId, ...problem } = res.body;
      bodies.add(JSON.stringify(problem));
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0])).toMatchObject({ status: 401, type: expect.any(String) });
  });

  it('refuses refresh tokens in the query string and as a bearer access token', async () => {
    const user = await registerUser(t.http);
    const pair = await signIn(user);
    const query = await t.http
      .post(`/v1/auth/refresh?refreshToken=${pair.refreshToken}`)
      .send({ refreshToken: pair.refreshToken })
      .expect(400);
    expect(query.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.post(`/v1/auth/refresh?refreshToken=${pair.refreshToken}`).send({}).expect(400);
    await me(pair.refreshToken).expect(401);
    // Nothing was spent by those.
    await refresh(pair.refreshToken).expect(200);
  });

  it('logout ends this session at once: its access and refresh tokens are refused', async () => {
    const user = await registerUser(t.http);
    const pair = await signIn(user);
    const other = await signIn(user);
    await me(pair.accessToken).expect(200); // cached now
    await t.http.post('/v1/auth/logout').set(bearer(pair.accessToken)).expect(204);
    await me(pair.accessToken).expect(401);
    await refresh(pair.refreshToken).expect(401);
    await me(other.accessToken).expect(200);
  });

  it('a password change ends every other session; this one continues with fresh tokens', async () => {
    const user = await registerUser(t.http);
    const current = await signIn(user, 'laptop');
    const phone = await signIn(user, 'phone');
    await me(phone.accessToken).expect(200);
    const res = await t.http
      .patch('/v1/users/me')
      .set(bearer(current.accessToken))
      .send({ password: 'a-new-Password-of-mine-42', currentPassword: user.password })
      .expect(200);
    expect(res.body).toMatchObject({
      id: user.user.id,
      tokens: {
        accessToken: expect.any(String),
        expiresIn: 900,
        refreshToken: expect.any(String),
      },
    });
    await me(phone.accessToken).expect(401);
    await refresh(phone.refreshToken).expect(401);
    await me(current.accessToken).expect(200);
    await me(res.body.tokens.accessToken).expect(200);
    expect(claimsOf(res.body.tokens.accessToken).sid).toBe(claimsOf(current.accessToken).sid);
    await refresh(res.body.tokens.refreshToken).expect(200);
    // A change of names issues nothing.
    const names = await t.http
      .patch('/v1/users/me')
      .set(bearer(current.accessToken))
      .send({ firstName: 'Ann' })
      .expect(200);
    expect(names.body.tokens).toBeUndefined();
  });

  it('deactivation ends every session of the user', async () => {
    const admin = await registerAdmin(t);
    const user = await registerUser(t.http);
    const a = await signIn(user);
    const b = await signIn(user);
    await me(a.accessToken).expect(200);
    await t.http.post(`/v1/users/${user.user.id}/deactivate`).set(admin.auth).expect(200);
    await me(a.accessToken).expect(401);
    await me(b.accessToken).expect(401);
    await refresh(a.refreshToken).expect(401);
    // Activation does not bring them back: a new sign-in is needed.
    await t.http.post(`/v1/users/${user.user.id}/activate`).set(admin.auth).expect(200);
    await me(a.accessToken).expect(401);
    await me(user.token).expect(401);
    await me((await signIn(user)).accessToken).expect(200);
  });

  it('lists your live sessions with the current one marked, and revokes one by id', async () => {
    const user = await registerUser(t.http, { password: DEFAULT_PASSWORD });
    const laptop = await signIn(user, 'laptop');
    const phone = await signIn(user, 'phone');
    const list = await t.http.get('/v1/auth/sessions').set(bearer(laptop.accessToken)).expect(200);
    const laptopId = claimsOf(laptop.accessToken).sid;
    const phoneId = claimsOf(phone.accessToken).sid;
    const registrationId = claimsOf(user.token).sid;
    expect(list.body.nextCursor).toBeNull();
    expect(list.body.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [laptopId, phoneId, registrationId].sort(),
    );
    expect(list.body.items.find((s: { id: string }) => s.id === laptopId)).toMatchObject({
      current: true,
      userAgent: 'laptop',
      ip: expect.any(String),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(list.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const paged = await t.http
      .get('/v1/auth/sessions?limit=2')
      .set(bearer(laptop.accessToken))
      .expect(200);
    expect(paged.body.items).toHaveLength(2);
    const rest = await t.http
      .get(`/v1/auth/sessions?limit=2&cursor=${paged.body.nextCursor}`)
      .set(bearer(laptop.accessToken))
      .expect(200);
    expect(rest.body.items).toHaveLength(1);

    await t.http.delete(`/v1/auth/sessions/${phoneId}`).set(bearer(laptop.accessToken)).expect(204);
    await me(phone.accessToken).expect(401);
    await refresh(phone.refreshToken).expect(401);
    await me(laptop.accessToken).expect(200);
    // Gone now, unknown, or someone else's: 404 alike.
    const stranger = await registerUser(t.http);
    for (const id of [phoneId, randomUUID(), claimsOf(stranger.token).sid]) {
      const res = await t.http
        .delete(`/v1/auth/sessions/${id}`)
        .set(bearer(laptop.accessToken))
        .expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await me(stranger.token).expect(200);
    await t.http.delete('/v1/auth/sessions/not-a-uuid').set(bearer(laptop.accessToken)).expect(400);
  });

  it('logout-all ends every session; API keys are not sessions and keep working', async () => {
    const user = await registerUser(t.http);
    const a = await signIn(user);
    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(a.accessToken))
      .send({ name: 'ci', scopes: ['tasks:read'] })
      .expect(201);
    const apiKey = { 'X-API-Key': key.body.key };
    await t.http.post('/v1/auth/logout').set(apiKey).expect(403);
    await t.http.get('/v1/auth/sessions').set(apiKey).expect(403);
    await t.http.post('/v1/auth/logout-all').set(bearer(a.accessToken)).expect(204);
    await me(a.accessToken).expect(401);
    await me(user.token).expect(401);
    await refresh(a.refreshToken).expect(401);
    await t.http.get('/v1/auth/me').set(apiKey).expect(200);
  });

  it('expires an unused refresh token after REFRESH_TOKEN_TTL (sliding), and purges expired rows', async () => {
    const user = await registerUser(t.http);
    const kept = await signIn(user);
    const idle = await signIn(user);
    const idleId = claimsOf(idle.accessToken).sid;
    clock.advance(20 * 86_400_000);
    const renewed = (await refresh(kept.refreshToken).expect(200)).body;
    clock.advance(20 * 86_400_000);
    await refresh(idle.refreshToken).expect(401);
    const next = (await refresh(renewed.refreshToken).expect(200)).body;
    await me(next.accessToken).expect(200);

    await t.app.get(PeriodicJobs).runNow(SESSION_PURGE_JOB);
    const [{ n }] = await t.db.query(
      `SELECT COUNT(*) AS n FROM sessions WHERE family_id = '${idleId}'`,
    );
    expect(Number(n)).toBe(0);
    await me(next.accessToken).expect(200);
  });
});
