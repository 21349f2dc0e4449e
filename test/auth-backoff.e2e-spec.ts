import { FixedClock } from '../src/common/clock/clock';
import { DEFAULT_PASSWORD, registerUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;

/**
 * Credential guessing meets an exponential back-off per account and per client address
 * (LoginBackoff), at the limits a deployment gets by default: 5 failures per account, 20 per
 * address. The clock is the app's FixedClock, so waiting is advancing it.
 */
describe('sign-in back-off', () => {
  let t: TestApp;
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    t = await startTestApp({
      label: 'backoff',
      clock,
      env: { LOGIN_FREE_FAILURES_PER_ACCOUNT: '5', LOGIN_FREE_FAILURES_PER_IP: '20' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const fastify = () => t.app.getHttpAdapter().getInstance();
  const login = (ip: string, body: { login: string; password: string }) =>
    fastify().inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: ip,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const statuses = async (ip: string, body: { login: string; password: string }, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await login(ip, body)).statusCode);
    return out;
  };

  it('makes an account wait after 5 failures, doubling the wait, and answers the same for an account that does not exist', async () => {
    const user = await registerUser(t.http);
    const wrong = { login: user.user.email, password: 'not the password at all' };
    const ghost = { login: 'nobody-here@example.test', password: 'not the password at all' };
    for (const [ip, body] of [
      ['10.3.0.1', wrong],
      ['10.3.0.2', ghost],
    ] as const) {
      expect(await statuses(ip, body, 5)).toEqual([401, 401, 401, 401, 401]);
      const blocked = await login(ip, body);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(PROBLEM);
      expect(blocked.headers['retry-after']).toBe('1');
      expect(JSON.parse(blocked.body)).toMatchObject({ status: 429 });
    }
    // The right password does not get through while the account waits (from anywhere).
    const right = { login: user.user.email, password: DEFAULT_PASSWORD };
    expect((await login('10.3.0.9', right)).statusCode).toBe(429);

    // After the wait, one more try; a sixth failure doubles the next wait.
    clock.advance(1_000);
    expect((await login('10.3.0.1', wrong)).statusCode).toBe(401);
    const doubled = await login('10.3.0.1', wrong);
    expect(doubled.statusCode).toBe(429);
    expect(doubled.headers['retry-after']).toBe('2');
    clock.advance(2_000);
    expect((await login('10.3.0.1', right)).statusCode).toBe(200);
    // A success clears the account's count: five fresh failures before the next wait.
    expect(await statuses('10.3.0.1', wrong, 6)).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('stops parallel guesses at the limit: they are tried one at a time per account', async () => {
    const user = await registerUser(t.http);
    const wrong = { login: user.user.email, password: 'a parallel wrong guess' };
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`10.4.0.${i + 1}`, wrong)),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(7);
  });

  it('makes a client address wait after 20 failures across accounts; other addresses go on', async () => {
    clock.advance(60 * 60_000);
    const ip = '10.5.0.1';
    const codes: number[] = [];
    for (let i = 0; i < 21; i++)
      codes.push(
        (await login(ip, { login: `spray-${i}@example.test`, password: 'Spring2026!' })).statusCode,
      );
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes[20]).toBe(429);
    const user = await registerUser(t.http);
    // Even a right password, for an account with no failures, waits behind its address …
    expect(
      (await login(ip, { login: user.user.email, password: DEFAULT_PASSWORD })).statusCode,
    ).toBe(429);
    // … while from another address it signs in.
    expect(
      (await login('10.5.0.2', { login: user.user.email, password: DEFAULT_PASSWORD })).statusCode,
    ).toBe(200);
  });

  it('counts "already registered" answers against the client address', async () => {
    clock.advance(60 * 60_000);
    const taken = await registerUser(t.http);
    const ip = '10.6.0.1';
    const register = (email: string) =>
      fastify().inject({
        method: 'POST',
        url: '/v1/auth/register',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email, password: DEFAULT_PASSWORD }),
      });
    for (let i = 0; i < 20; i++) expect((await register(taken.user.email)).statusCode).toBe(409);
    const probing = await register(taken.user.email);
    expect(probing.statusCode).toBe(429);
    expect(Number(probing.headers['retry-after'])).toBeGreaterThan(0);
    // The answer no longer tells whether an email has an account.
    expect((await register('fresh-after-probe@example.test')).statusCode).toBe(429);
  });
});

describe('password policy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ label: 'password-policy' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['1111111111', 'password12', 'qwertyuiop', 'P@ssw0rd123', 'abcdefghij'])(
    'refuses the common password %s at registration with 400 and creates nothing',
    async (password) => {
      const email = `weak-${password.length}-${Math.random().toString(36).slice(2)}@example.test`;
      const res = await t.http.post('/v1/auth/register').send({ email, password });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.errors).toEqual([
        { field: 'password', message: expect.stringMatching(/too easy to guess/) },
      ]);
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM users WHERE email = '${email}'`);
      expect(Number(n)).toBe(0);
    },
  );

  it('refuses a password built from the account own email or username', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'margaretha.lindqvist@example.test', password: 'margarethalindqvist' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('password');
    // The same password is fine for someone else.
    const other = await t.http
      .post('/v1/auth/register')
      .send({ email: 'someone.else@example.test', password: 'margarethalindqvist' });
    expect(other.status).toBe(201);
  });

  it('refuses a weak new password on PATCH /v1/users/me, keeping the old one', async () => {
    const user = await registerUser(t.http);
    const res = await t.http
      .patch('/v1/users/me')
      .set(user.auth)
      .send({ password: 'password123', currentPassword: DEFAULT_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('password');
    await t.http
      .post('/v1/auth/login')
      .send({ login: user.user.email, password: DEFAULT_PASSWORD })
      .expect(200);
  });
});
