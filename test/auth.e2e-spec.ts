import { createHmac } from 'node:crypto';
import { FixedClock } from '../src/common/clock/clock';
import { DEFAULT_PASSWORD, registerAdmin, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (header: object, payload: object, secret: string) => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac(
    header['alg' as keyof object] === 'HS512' ? 'sha512' : 'sha256',
    secret,
  )
    .update(body)
    .digest('base64url')}`;
};

describe('auth: register, login, me, tokens', () => {
  let t: TestApp;
  const clock = new FixedClock(new Date());
  beforeAll(async () => {
    t = await startTestApp({ label: 'auth', clock });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /v1/auth/register', () => {
    it('creates the user and answers 201 with a token and its lifetime', async () => {
      const res = await t.http
        .post('/v1/auth/register')
        .send({
          email: '  Ada@Example.TEST ',
          password: DEFAULT_PASSWORD,
          username: 'Ada.L',
          firstName: 'Ada',
          lastName: 'Lovelace',
        })
        .expect(201);
      expect(res.body).toEqual({
        user: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          email: 'ada@example.test',
          username: 'ada.l',
          firstName: 'Ada',
          lastName: 'Lovelace',
          isActive: true,
          isAdmin: false,
          lastLoginAt: null,
          version: 1,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        expiresIn: 900,
        refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/password/i);
      const [row] = await t.db.query(
        `SELECT password_hash FROM users WHERE email = 'ada@example.test'`,
      );
      expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    });

    it('answers 409 to a taken email or username, whatever their case', async () => {
      await registerUser(t.http, { email: 'taken@example.test', username: 'taken' });
      const email = await t.http
        .post('/v1/auth/register')
        .send({ email: 'TAKEN@example.test', password: DEFAULT_PASSWORD })
        .expect(409);
      expect(email.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(email.body).toMatchObject({ type: '/problems/conflict', status: 409 });
      await t.http
        .post('/v1/auth/register')
        .send({ email: 'other@example.test', username: 'TAKEN', password: DEFAULT_PASSWORD })
        .expect(409);
    });

    it('lets exactly one of many concurrent registrations of the same email through', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.http
            .post('/v1/auth/register')
            .send({ email: 'race@example.test', password: DEFAULT_PASSWORD }),
        ),
      );
      const statuses = attempts.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const [{ n }] = await t.db.query(
        `SELECT COUNT(*) AS n FROM users WHERE email = 'race@example.test'`,
      );
      expect(Number(n)).toBe(1);
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: DEFAULT_PASSWORD }, 'email'],
      ['a short password', { email: 'a@example.test', password: 'short' }, 'password'],
      [
        'a 129-character password',
        { email: 'a@example.test', password: 'p'.repeat(129) },
        'password',
      ],
      ['a missing password', { email: 'a@example.test' }, 'password'],
      [
        'an isAdmin field',
        { email: 'a@example.test', password: DEFAULT_PASSWORD, isAdmin: true },
        'isAdmin',
      ],
      [
        'an unknown field',
        { email: 'a@example.test', password: DEFAULT_PASSWORD, role: 'owner' },
        'role',
      ],
      [
        'a 10 KB first name',
        { email: 'a@example.test', password: DEFAULT_PASSWORD, firstName: 'x'.repeat(10_240) },
        'firstName',
      ],
      [
        'a username with spaces',
        { email: 'a@example.test', password: DEFAULT_PASSWORD, username: 'a b c' },
        'username',
      ],
      ['a non-string email', { email: 42, password: DEFAULT_PASSWORD }, 'email'],
    ])('refuses %s with 400 problem+json', async (_, body, field) => {
      const res = await t.http.post('/v1/auth/register').send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: '/problems/invalid-request', status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      const [{ n }] = await t.db.query(
        `SELECT COUNT(*) AS n FROM users WHERE email = 'a@example.test'`,
      );
      expect(Number(n)).toBe(0);
    });
  });

  describe('POST /v1/auth/login', () => {
    let bob: TestUser;
    beforeAll(async () => {
      bob = await registerUser(t.http, { email: 'bob@example.test', username: 'bob' });
    });

    it('signs in by email (any case) or username and records last_login_at', async () => {
      clock.advance(1_000);
      const byEmail = await t.http
        .post('/v1/auth/login')
        .send({ login: 'BOB@example.test', password: DEFAULT_PASSWORD })
        .expect(200);
      expect(byEmail.body).toMatchObject({
        user: { id: bob.user.id, email: 'bob@example.test' },
        expiresIn: 900,
      });
      expect(byEmail.body.user.lastLoginAt).toBe(clock.now().toISOString());
      const byUsername = await t.http
        .post('/v1/auth/login')
        .send({ login: 'bob', password: DEFAULT_PASSWORD })
        .expect(200);
      expect(byUsername.body.accessToken).toEqual(expect.any(String));
      const [row] = await t.db.query(`SELECT last_login_at FROM users WHERE id = '${bob.user.id}'`);
      const stored =
        t.target === 'sqlite' ? new Date(`${row.last_login_at}Z`) : new Date(row.last_login_at);
      expect(stored.toISOString()).toBe(clock.now().toISOString());
    });

    it('answers a wrong password and an unknown user with the same 401 body', async () => {
      const wrong = await t.http
        .post('/v1/auth/login')
        .send({ login: 'bob@example.test', password: 'wrong password!' })
        .expect(401);
      const unknown = await t.http
        .post('/v1/auth/login')
        .send({ login: 'nobody@example.test', password: 'wrong password!' })
        .expect(401);
      const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      expect(wrong.body).toMatchObject({
        type: '/problems/unauthenticated',
        status: 401,
        detail: 'Invalid login or password',
      });
    });

    it('spends comparable time on an unknown user and a wrong password (scrypt against a dummy hash)', async () => {
      const time = async (login: string) => {
        const started = process.hrtime.bigint();
        await t.http
          .post('/v1/auth/login')
          .send({ login, password: 'wrong password!' })
          .expect(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 9; i++) {
        wrong.push(await time('bob@example.test'));
        unknown.push(await time(`ghost${i}@example.test`));
      }
      expect(median(unknown)).toBeGreaterThan(10);
      expect(median(unknown) / median(wrong)).toBeGreaterThan(0.5);
      expect(median(unknown) / median(wrong)).toBeLessThan(2);
    });

    it('refuses an inactive user with the same 401', async () => {
      const carol = await registerUser(t.http, { email: 'carol@example.test' });
      const admin = await registerAdmin(t);
      await t.http.post(`/v1/users/${carol.user.id}/deactivate`).set(admin.auth).expect(200);
      const res = await t.http
        .post('/v1/auth/login')
        .send({ login: 'carol@example.test', password: DEFAULT_PASSWORD })
        .expect(401);
      expect(res.body.detail).toBe('Invalid login or password');
    });

    it.each([
      ['a missing login', { password: 'x' }],
      ['an unknown field', { login: 'bob', password: 'x', remember: true }],
      ['a numeric password', { login: 'bob', password: 12345678901 }],
    ])('refuses %s with 400', async (_, body) => {
      await t.http.post('/v1/auth/login').send(body).expect(400);
    });
  });

  describe('GET /v1/auth/me and bearer tokens', () => {
    let dora: TestUser;
    beforeAll(async () => {
      dora = await registerUser(t.http, { email: 'dora@example.test' });
    });

    it('returns the caller with their memberships', async () => {
      const created = await t.http
        .post('/v1/entities')
        .set(dora.auth)
        .send({ name: 'Dora Ltd' })
        .expect(201);
      const res = await t.http.get('/v1/auth/me').set(dora.auth).expect(200);
      expect(res.body).toMatchObject({
        id: dora.user.id,
        email: 'dora@example.test',
        isAdmin: false,
      });
      expect(res.body.memberships).toEqual([
        { entityId: created.body.id, entityName: 'Dora Ltd', role: 'owner' },
      ]);
    });

    it('answers 401 without a token or with a malformed header', async () => {
      await t.http.get('/v1/auth/me').expect(401);
      await t.http.get('/v1/auth/me').set('Authorization', 'Basic abc').expect(401);
      const res = await t.http
        .get('/v1/auth/me')
        .set('Authorization', 'Bearer not.a.jwt')
        .expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('refuses an unsigned token (alg none)', async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: dora.user.id, iat: now, exp: now + 600 })}.`;
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${none}`).expect(401);
    });

    it('refuses a token whose payload was tampered with', async () => {
      const [header, , signature] = dora.token.split('.');
      const other = await registerUser(t.http);
      const now = Math.floor(clock.now().getTime() / 1000);
      const forged = `${header}.${b64({ sub: other.user.id, iat: now, exp: now + 600 })}.${signature}`;
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${forged}`).expect(401);
    });

    it('refuses tokens signed with another secret or another algorithm', async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const { sid } = JSON.parse(Buffer.from(dora.token.split('.')[1], 'base64url').toString());
      const payload = { sub: dora.user.id, sid, iat: now, exp: now + 600 };
      const wrongSecret = sign(
        { alg: 'HS256', typ: 'JWT' },
        payload,
        'another-secret-another-secret-0000',
      );
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${wrongSecret}`).expect(401);
      const hs512 = sign({ alg: 'HS512', typ: 'JWT' }, payload, t.config.auth.jwtSecret);
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${hs512}`).expect(401);
      const good = sign({ alg: 'HS256', typ: 'JWT' }, payload, t.config.auth.jwtSecret);
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${good}`).expect(200);
      // Well signed, but without a session (as tokens issued before sessions existed): 401.
      const { sid: _sid, ...sessionless } = payload;
      const old = sign({ alg: 'HS256', typ: 'JWT' }, sessionless, t.config.auth.jwtSecret);
      await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${old}`).expect(401);
    });

    it('refuses a correctly signed token without exp', async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const forever = sign(
        { alg: 'HS256', typ: 'JWT' },
        { sub: dora.user.id, iat: now },
        t.config.auth.jwtSecret,
      );
      const res = await t.http
        .get('/v1/auth/me')
        .set('Authorization', `Bearer ${forever}`)
        .expect(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('refuses a token with a sub that is no user', async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      for (const sub of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 42]) {
        const token = sign(
          { alg: 'HS256', typ: 'JWT' },
          { sub, iat: now, exp: now + 600 },
          t.config.auth.jwtSecret,
        );
        await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      }
    });

    it('refuses an expired token', async () => {
      const user = await registerUser(t.http);
      await t.http.get('/v1/auth/me').set(user.auth).expect(200);
      clock.advance(901_000);
      await t.http.get('/v1/auth/me').set(user.auth).expect(401);
    });

    it("refuses a deactivated user's existing token on the next request; after activation a new sign-in works", async () => {
      const eve = await registerUser(t.http);
      const admin = await registerAdmin(t);
      await t.http.get('/v1/auth/me').set(eve.auth).expect(200); // now cached
      await t.http.post(`/v1/users/${eve.user.id}/deactivate`).set(admin.auth).expect(200);
      await t.http.get('/v1/auth/me').set(eve.auth).expect(401);
      await t.http.post(`/v1/users/${eve.user.id}/activate`).set(admin.auth).expect(200);
      // Deactivation ended every session of the user: the old token stays refused.
      await t.http.get('/v1/auth/me').set(eve.auth).expect(401);
      const again = await t.http
        .post('/v1/auth/login')
        .send({ login: eve.user.email, password: eve.password })
        .expect(200);
      await t.http
        .get('/v1/auth/me')
        .set('Authorization', `Bearer ${again.body.accessToken}`)
        .expect(200);
    });
  });
});

describe('auth: token lifetime from ACCESS_TOKEN_TTL (or its older name JWT_EXPIRES_IN)', () => {
  it.each([
    ['ACCESS_TOKEN_TTL', '600', 600],
    ['ACCESS_TOKEN_TTL', '2h', 7200],
    ['JWT_EXPIRES_IN', '900', 900],
    ['JWT_EXPIRES_IN', '1h', 3600],
  ])('%s=%s gives tokens that live %i seconds', async (name, value, seconds) => {
    const t = await startTestApp({ label: 'jwtttl', env: { [name]: value } });
    try {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: 'ttl@example.test', password: DEFAULT_PASSWORD })
        .expect(201);
      expect(res.body.expiresIn).toBe(seconds);
      const payload = JSON.parse(
        Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString(),
      );
      expect(payload.exp - payload.iat).toBe(seconds);
      expect(
        JSON.parse(Buffer.from(res.body.accessToken.split('.')[0], 'base64url').toString()),
      ).toEqual({
        alg: 'HS256',
        typ: 'JWT',
      });
    } finally {
      await t.close();
    }
  });
});

describe('identity routes in the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'identitydocs' });
  });
  afterAll(async () => {
    await t.close();
  });

  const routes: [string, string, boolean, boolean][] = [
    // method, path, has a JSON body, authenticated
    ['post', '/v1/auth/register', true, false],
    ['post', '/v1/auth/login', true, false],
    ['post', '/v1/auth/refresh', true, false],
    ['post', '/v1/auth/logout', false, true],
    ['post', '/v1/auth/logout-all', false, true],
    ['get', '/v1/auth/sessions', false, true],
    ['delete', '/v1/auth/sessions/{id}', false, true],
    ['get', '/v1/auth/me', false, true],
    ['get', '/v1/users', false, true],
    ['get', '/v1/users/{id}', false, true],
    ['patch', '/v1/users/me', true, true],
    ['post', '/v1/users/{id}/activate', false, true],
    ['post', '/v1/users/{id}/deactivate', false, true],
    ['post', '/v1/entities', true, true],
    ['get', '/v1/entities', false, true],
    ['get', '/v1/entities/{entityId}', false, true],
    ['patch', '/v1/entities/{entityId}', true, true],
    ['delete', '/v1/entities/{entityId}', false, true],
    ['get', '/v1/entities/{entityId}/members', false, true],
    ['post', '/v1/entities/{entityId}/members', true, true],
    ['patch', '/v1/entities/{entityId}/members/{userId}', true, true],
    ['delete', '/v1/entities/{entityId}/members/{userId}', false, true],
    ['get', '/v1/entities/{entityId}/invitations', false, true],
    ['delete', '/v1/entities/{entityId}/invitations/{invitationId}', false, true],
    ['get', '/v1/invitations', false, true],
    ['post', '/v1/invitations/{invitationId}/accept', false, true],
    ['post', '/v1/invitations/{invitationId}/decline', false, true],
    ['post', '/v1/admin/entities/{id}/members', true, true],
  ];

  it.each(routes)(
    'documents %s %s with its schemas and security',
    async (method, path, hasBody, authenticated) => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      const op = doc.paths[path]?.[method];
      expect(op).toBeDefined();
      if (hasBody)
        expect(op.requestBody.content['application/json'].schema.$ref).toMatch(
          /^#\/components\/schemas\/\w+Dto$/,
        );
      const success = Object.entries(
        op.responses as Record<string, { content?: Record<string, { schema: unknown }> }>,
      ).find(([code]) => Number(code) < 300)!;
      // Every success but 204 No Content documents its body.
      if (success[0] !== '204')
        expect(success[1].content!['application/json'].schema).toBeDefined();
      expect(op.security ?? []).toEqual(authenticated ? [{ bearer: [] }, { 'api-key': [] }] : []);
    },
  );
});
