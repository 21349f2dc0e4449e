import { tryAdvisoryLock } from '../../src/database/advisory-lock';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { openTestDatabase, TestDatabase } from '../support/test-database';

/** tryAdvisoryLock on the suite's database: one holder at a time on PostgreSQL, released at the unit's end. */
describe('tryAdvisoryLock', () => {
  let db: TestDatabase;
  let uow: UnitOfWork;

  beforeAll(async () => {
    db = await openTestDatabase('advisory');
    uow = new UnitOfWork(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('is taken by the first unit and free again once it ends', async () => {
    expect(await uow.run((tx) => tryAdvisoryLock(tx, 'job-a'))).toBe(true);
    expect(await uow.run((tx) => tryAdvisoryLock(tx, 'job-a'))).toBe(true);
  });

  it('PostgreSQL: refuses a second unit while the first holds it; other names are free', async () => {
    if (db.target !== 'postgres') {
      // SQLite units are serial (one writer): a second unit cannot run while the first is open.
      expect(await uow.run((tx) => tryAdvisoryLock(tx, 'job-b'))).toBe(true);
      return;
    }
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const isTaken = new Promise<void>((resolve) => (taken = resolve));
    const holder = uow.run(async (tx) => {
      const locked = await tryAdvisoryLock(tx, 'job-b');
      taken();
      await held;
      return locked;
    });
    await isTaken;
    const second = new UnitOfWork(db.dataSource);
    expect(await second.run((tx) => tryAdvisoryLock(tx, 'job-b'))).toBe(false);
    expect(await second.run((tx) => tryAdvisoryLock(tx, 'job-c'))).toBe(true);
    release();
    expect(await holder).toBe(true);
    expect(await second.run((tx) => tryAdvisoryLock(tx, 'job-b'))).toBe(true);
  });
});
