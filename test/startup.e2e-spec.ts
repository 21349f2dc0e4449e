import { spawnSync } from 'node:child_process';
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
  ])('exits 1 with one line naming the variable (%j)', (env, line) => {
    const result = start(env as Record<string, string>);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stdout).toBe('');
  });
});
