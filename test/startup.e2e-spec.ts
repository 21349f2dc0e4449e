import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** main.ts run through ts-node, so this needs no build. */
function start(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'src', 'main.ts')],
    {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

describe('start-up with bad configuration', () => {
  it.each([
    [
      { PORT: 'eighty' },
      /^Invalid configuration: PORT must be an integer number \(got "eighty"\)$/,
    ],
    [
      { DATABASE_URL: 'mysql://db/app' },
      /^Invalid configuration: DATABASE_URL must be postgres:\/\/.+ or sqlite:/,
    ],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: JWT_SECRET must be set in production/],
    [
      { NODE_ENV: 'production', JWT_SECRET: 'change-me-change-me-change-me-change-me' },
      /^Invalid configuration: JWT_SECRET is an example value published in this repository; set a random value/,
    ],
    [
      { NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(48) },
      /^Invalid configuration: JWT_SECRET is one character repeated; /,
    ],
  ])('exits 1 with one line naming the variable (%j)', (env, line) => {
    const result = start(env as Record<string, string>);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stdout).toBe('');
  });
});

/** A loopback port nothing listens on (bound, then closed again). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('start-up without a database', () => {
  it('exits 1 with one line saying which database it could not reach (no stack, no second retry loop)', async () => {
    const port = await closedPort();
    const result = start({ DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/cornerstone` });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Cornerstone failed to start: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/cornerstone after 5 tries: .*ECONNREFUSED`,
        ),
      ),
    ]);
    expect(result.stderr).not.toContain('secret');
    expect(result.stdout).toBe('');
  });
});

/** src/cli.ts through ts-node, like `npm run cli --` on a build. */
function cli(args: string[], env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'src', 'cli.ts'), ...args],
    {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

describe('the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cs-cli-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'cli.sqlite')}` };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its commands for --help and exits 0', () => {
    const result = cli(['--help'], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/migrate <action>/);
    expect(result.stderr).toBe('');
  });

  it('names the pending migrations in `migrate status` (exit 3 while any is pending)', () => {
    const result = cli(['migrate', 'status'], env);
    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(/^\[ \] Identity\d+ \(pending\)$/m);
    expect(result.stdout).toMatch(
      /^Pending migrations: \d+ \(Identity\d+, .*\); apply them with: npm run cli -- migrate up$/m,
    );
  });
});
