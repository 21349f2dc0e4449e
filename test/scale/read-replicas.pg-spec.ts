import { DataSource } from 'typeorm';
import { createScratchDatabase } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * DATABASE_READ_URLS turns on TypeORM replication: writes (and reads inside a write) go to
 * the primary, lists to the replicas. Here the same PostgreSQL database plays both parts, so
 * the app must work end to end with replication on, and the pools show where queries went.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const reason = !adminUrl
  ? 'TEST_DATABASE_URL is required (replication is a PostgreSQL feature)'
  : null;
if (reason) process.stderr.write(`read-replicas: skipped: ${reason}\n`);
const suite = reason ? describe.skip : describe;

interface CountingPool {
  connect: (...args: unknown[]) => unknown;
}

/** Counts connection checkouts on a pg Pool (TypeORM checks one out per query runner). */
function countCheckouts(pool: CountingPool): { count: number } {
  const counter = { count: 0 };
  const connect = pool.connect.bind(pool);
  pool.connect = (...args: unknown[]) => {
    counter.count++;
    return connect(...args);
  };
  return counter;
}

suite('read replicas (DATABASE_READ_URLS = the primary itself)', () => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let primary: { count: number };
  let replica: { count: number };

  beforeAll(async () => {
    const scratch = await createScratchDatabase(adminUrl!, 'replicas');
    drop = scratch.drop;
    t = await startTestApp({
      env: { DATABASE_URL: scratch.url, DATABASE_READ_URLS: `${scratch.url}, ${scratch.url}` },
    });
    const driver = t.app.get(DataSource).driver as unknown as {
      isReplicated: boolean;
      master: CountingPool;
      slaves: CountingPool[];
    };
    expect(driver.isReplicated).toBe(true);
    expect(driver.slaves).toHaveLength(2);
    primary = countCheckouts(driver.master);
    const counters = driver.slaves.map(countCheckouts);
    replica = {
      get count() {
        return counters.reduce((s, c) => s + c.count, 0);
      },
    } as { count: number };
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('is ready, registers, creates an entity and a lead, and lists them', async () => {
    expect((await t.http.get('/health/ready')).status).toBe(200);
    const reg = await t.http
      .post('/v1/auth/register')
      .send({ email: 'replica@example.com', password: 'correct horse battery' });
    expect(reg.status).toBe(201);
    const auth = { authorization: `Bearer ${reg.body.accessToken}` };
    const me = await t.http.get('/v1/auth/me').set(auth);
    expect(me.status).toBe(200);

    const writesBefore = primary.count;
    const entity = await t.http.post('/v1/entities').set(auth).send({ name: 'Replicated' });
    expect(entity.status).toBe(201);
    const lead = await t.http
      .post(`/v1/entities/${entity.body.id}/leads`)
      .set(auth)
      .send({ firstName: 'Rep', lastName: 'Lica', email: 'rep@example.com' });
    expect(lead.status).toBe(201);
    expect(primary.count).toBeGreaterThan(writesBefore);

    // Read-your-writes: the lead just created is found by id at once.
    const one = await t.http.get(`/v1/entities/${entity.body.id}/leads/${lead.body.id}`).set(auth);
    expect(one.status).toBe(200);
    expect(one.body.email).toBe('rep@example.com');

    const readsBefore = replica.count;
    const list = await t.http.get(`/v1/entities/${entity.body.id}/leads?limit=10`).set(auth);
    expect(list.status).toBe(200);
    expect(list.body.items.map((l: { id: string }) => l.id)).toEqual([lead.body.id]);
    expect(replica.count).toBeGreaterThan(readsBefore); // the list was served by a replica pool
  });
});
