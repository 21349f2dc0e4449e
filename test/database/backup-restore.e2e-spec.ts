import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { SystemLogService } from '../../src/analytics/system-log.service';
import { UsageService } from '../../src/analytics/usage.service';
import { BackupError } from '../../src/backup/backup-format';
import { BackupService } from '../../src/backup/backup.service';
import { ADMIN_ENV, Actor, addMember, createEntity, loginAdmin, register } from '../support/actors';
import { runCli } from '../support/cli';
import { fingerprint } from '../support/backup-fingerprint';
import { startTestApp, testTarget, TestApp } from '../support/test-app';

/** Every table of the database as it really is (not the metadata); partitions count as their parent. */
async function actualTables(db: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    testTarget === 'postgres'
      ? await db.query(
          `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
        )
      : await db.query(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`,
        );
  // TypeORM's own bookkeeping (written by the migrations) is no data.
  return rows
    .map((r) => r.name)
    .filter((name) => !['migrations', 'typeorm_metadata'].includes(name));
}

describe('backup and restore', () => {
  let source: TestApp;
  let target: TestApp;
  let dir: string;
  let backupFile: string;
  let sourcePrint: Record<string, { rows: number; sha256: string }>;
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });

  /** Users, an organisation with a member, leads, a crawl, a task with logs, analyses, events… */
  async function populate(t: TestApp) {
    await loginAdmin(t);
    const owner = await register(t, 'backup-owner');
    const member = await register(t, 'backup-member');
    const entityId = await createEntity(t, owner, 'Backup Org');
    await addMember(t, owner, entityId, member, 'member');
    for (let i = 0; i < 3; i++) {
      await t.http
        .post(`/v1/entities/${entityId}/leads`)
        .set(bearer(member))
        .send({ firstName: `Ann ${i}`, lastName: 'Lee', email: `ann${i}@example.com` })
        .expect(201);
    }
    const crawl = await t.http
      .post(`/v1/entities/${entityId}/crawls`)
      .set(bearer(owner))
      .send({ websiteUrl: 'https://backup.example.com/' })
      .expect(201);
    await t.http
      .patch(`/v1/entities/${entityId}/crawls/${crawl.body.id}`)
      .set(bearer(owner))
      .send({ seoScore: 0.7125, companyInfo: { name: 'Ünïcode “Co”', tags: ['a', 'b'], n: 1 } })
      .expect(200);
    await t.http
      .post(`/v1/entities/${entityId}/crawls/${crawl.body.id}/test-results`)
      .set(bearer(owner))
      .send({ results: [{ question: 'Q?', passed: true, testedAt: '2026-04-01T00:00:00.123Z' }] })
      .expect(200);
    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(owner))
      .send({ name: 'worker', scopes: ['tasks:work'] })
      .expect(201);
    const task = await t.http
      .post('/v1/tasks')
      .set(bearer(owner))
      .send({ name: 'Scrape', config: { targetUrl: 'https://example.com/p' } })
      .expect(201);
    await t.http
      .post('/v1/tasks/claim')
      .set('X-API-Key', key.body.key)
      .send({ workerId: 'w', leaseSeconds: 60 })
      .expect(200);
    await t.http
      .post(`/v1/tasks/${task.body.id}/logs`)
      .set('X-API-Key', key.body.key)
      .send({ entries: [{ level: 'info', message: 'line 1' }] })
      .expect(201);
    await t.http
      .post(`/v1/tasks/${task.body.id}/complete`)
      .set('X-API-Key', key.body.key)
      .send({ workerId: 'w' })
      .expect(200);
    await t.http
      .post('/v1/tool-generations')
      .set(bearer(owner))
      .send({ toolType: 'scraper', config: { language: 'python' } })
      .expect(201);
    const analysis = await t.http
      .post('/v1/analyses')
      .set(bearer(owner))
      .send({ name: 'Summary', analysisType: 'summary', parameters: { deep: true } })
      .expect(201);
    await t.http
      .post(`/v1/analyses/${analysis.body.id}/files`)
      .set(bearer(owner))
      .attach('file', Buffer.from('a,b\n1,2\n'), { filename: 'd.csv', contentType: 'text/csv' })
      .expect(201);
    t.app
      .get(SystemLogService)
      .log('backup-test', 'WARNING', 'an event with details', { nested: { ok: false }, list: [1] });
    await t.app.get(UsageService).flush();
    await t.app.get(SystemLogService).flush();
  }

  const readLines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  const writeLines = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, gzipSync(lines.join('\n')));
    return file;
  };
  const withHeader = (name: string, change: (header: Record<string, unknown>) => void) => {
    const [first, ...rest] = readLines(backupFile);
    const header = JSON.parse(first);
    change(header);
    return writeLines(name, [JSON.stringify(header), ...rest]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cs-backup-'));
    const env = { JWT_EXPIRES_IN: '3650d', UPLOAD_DIR: dir };
    source = await startTestApp({ label: 'backup-src', env: { ...ADMIN_ENV, ...env } });
    target = await startTestApp({ label: 'backup-dst', env });
    await populate(source);
    backupFile = join(dir, 'all.jsonl.gz');
    await source.app.get(BackupService).backup(backupFile);
    sourcePrint = await fingerprint(source.db);
  }, 180_000);
  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a header (schema, application, every table with its row count) and one line per row', async () => {
    const lines = readLines(backupFile).filter((l) => l !== '');
    const header = JSON.parse(lines[0]);
    const migrations = source.db.migrations.map((m) => m.name);
    expect(header).toMatchObject({
      format: 'cornerstone-backup',
      application: 'cornerstone',
      database: testTarget,
      schema: { migration: migrations.at(-1) },
      formatVersion: 2,
      crawlStore: 'sql',
      collections: [],
    });
    // Format 1's list of what was left out is no longer written: nothing is.
    expect(header).not.toHaveProperty('excluded');
    const names = header.tables.map((t: { name: string }) => t.name);
    // Every real table is there (from the metadata, not a list), parents before children.
    expect([...names].sort()).toEqual(await actualTables(source.db));
    expect(names.indexOf('users')).toBeLessThan(names.indexOf('user_memberships'));
    expect(names.indexOf('tasks')).toBeLessThan(names.indexOf('task_logs'));
    expect(names.indexOf('data_analyses')).toBeLessThan(names.indexOf('analysis_files'));
    for (const table of header.tables) {
      expect(table.rows).toBe(sourcePrint[table.name].rows);
    }
    expect(lines.length - 1).toBe(
      header.tables.reduce((n: number, t: { rows: number }) => n + t.rows, 0),
    );
    for (const table of [
      'users',
      'leads',
      'website_crawl_data',
      'tasks',
      'task_logs',
      'system_logs',
      'data_analyses',
      'analysis_files',
      'tool_generations',
      'api_keys',
      'usage_analytics',
      'entity_invitations',
    ]) {
      expect([table, sourcePrint[table].rows > 0]).toEqual([table, true]);
    }
  });

  it('restores into a fresh migrated database: identical rows in every table', async () => {
    const summary = await target.app.get(BackupService).restore(backupFile);
    expect(summary.rows).toBe(Object.values(sourcePrint).reduce((n, t) => n + t.rows, 0));
    expect(await fingerprint(target.db)).toEqual(sourcePrint);
  });

  describe('refuses a bad file with one line, and the target stays as it was', () => {
    const cases: [string, () => string, RegExp][] = [
      [
        'truncated gzip',
        () => {
          const bytes = readFileSync(backupFile);
          const file = join(dir, 'truncated.gz');
          writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
          return file;
        },
        /not a complete gzip stream.*truncated or corrupted/,
      ],
      [
        'corrupted gzip',
        () => {
          const bytes = Buffer.from(readFileSync(backupFile));
          for (let i = 20; i < bytes.length - 20; i += 7) bytes[i] ^= 0x5a;
          const file = join(dir, 'corrupted.gz');
          writeFileSync(file, bytes);
          return file;
        },
        /not a complete gzip stream|not valid JSON/,
      ],
      [
        'not gzip at all',
        () => {
          const file = join(dir, 'plain.txt');
          writeFileSync(file, 'hello');
          return file;
        },
        /not a complete gzip stream/,
      ],
      [
        'rows missing (truncated at a line)',
        () => writeLines('short.gz', readLines(backupFile).slice(0, -3)),
        /truncated: \w+ has \d+ of the \d+ rows/,
      ],
      [
        'a line that is not JSON',
        () => {
          const lines = readLines(backupFile);
          lines.splice(3, 0, '{"t":"users","r":[');
          return writeLines('badjson.gz', lines);
        },
        /line 4 is not valid JSON/,
      ],
      [
        'an unknown table',
        () => withHeader('table.gz', (h) => ((h.tables as { name: string }[])[0].name = 'nope')),
        /unknown table "nope"/,
      ],
      [
        'an unknown column',
        () =>
          withHeader(
            'column.gz',
            (h) => ((h.tables as { columns: string[] }[])[0].columns[0] = 'nope'),
          ),
        /unknown column "\w+\.nope"/,
      ],
      [
        'another application',
        () => withHeader('app.gz', (h) => (h.application = 'lumarank')),
        /backup is of application "lumarank", not "cornerstone"/,
      ],
      [
        'a newer schema',
        () =>
          withHeader(
            'newer.gz',
            (h) => (h.schema = { migration: 'Future9999999999999', timestamp: 9999999999999 }),
          ),
        /newer schema \(migration Future9999999999999 is not known to this build\)/,
      ],
      [
        'no backup header',
        () => writeLines('noheader.gz', ['{"hello":1}']),
        /not a Cornerstone backup/,
      ],
    ];
    it.each(cases)('%s (even with --force: its deletions roll back)', async (_, make, message) => {
      const file = make();
      const failure = await target.app
        .get(BackupService)
        .restore(file, { force: true })
        .then(
          () => null,
          (error: unknown) => error as Error,
        );
      expect(failure).toBeInstanceOf(BackupError);
      expect(failure!.message).toMatch(message);
      expect(failure!.message).not.toContain('\n');
      expect(await fingerprint(target.db)).toEqual(sourcePrint);
    });
  });

  it('refuses a non-empty target without --force; with --force replaces its rows', async () => {
    const backups = target.app.get(BackupService);
    await register(target, 'extra');
    await target.app.get(UsageService).flush();
    const changed = await fingerprint(target.db);
    await expect(backups.restore(backupFile)).rejects.toThrow(
      /^restore: the target database is not empty \(.*users \d+.*\); use --force to replace its contents$/,
    );
    expect(await fingerprint(target.db)).toEqual(changed);
    await backups.restore(backupFile, { force: true });
    expect(await fingerprint(target.db)).toEqual(sourcePrint);
  });

  it('runs from the CLI: exit 1 and one line on stderr for a refused file, exit 0 when restored', () => {
    // SQLite suites run in memory: the CLI gets a migrated file database of its own.
    const url =
      testTarget === 'postgres' ? target.config.database.url : `sqlite:${join(dir, 'cli.sqlite')}`;
    const cli = (args: string[]) => runCli(url, args);
    if (testTarget === 'sqlite') expect(cli(['migrate', 'up']).status).toBe(0);
    const truncated = join(dir, 'cli-truncated.gz');
    writeFileSync(truncated, readFileSync(backupFile).subarray(0, 200));
    const refused = cli(['restore', '--in', truncated, '--force']);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toMatch(
      /^restore: the file is not a complete gzip stream[^\n]*$/,
    );
    if (testTarget === 'sqlite') {
      const restored = cli(['restore', '--in', backupFile]);
      expect([restored.status, restored.stderr]).toEqual([0, expect.any(String)]);
      expect(restored.stdout).toMatch(/^Restored .*: \d+ rows in \d+ tables, schema \w+/m);
    }
    const again = cli(['restore', '--in', backupFile]);
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toMatch(/^restore: the target database is not empty [^\n]*$/);
    const out = join(dir, 'cli-backup.jsonl.gz');
    const backedUp = cli(['backup', '--out', out]);
    expect(backedUp.status).toBe(0);
    expect(backedUp.stdout).toMatch(/^Backed up to .*: \d+ rows in \d+ tables/m);
    expect(backedUp.stderr).toMatch(/^backup: \d+\/\d+ rows \(100%\)/m);
  }, 300_000);

  it('still restores a format 1 file (its `excluded` only read)', async () => {
    const file = withHeader('v1.gz', (h) => {
      h.formatVersion = 1;
      delete h.crawlStore;
      delete h.collections;
      h.excluded = [];
    });
    await target.app.get(BackupService).restore(file, { force: true });
    expect(await fingerprint(target.db)).toEqual(sourcePrint);
  });
});
