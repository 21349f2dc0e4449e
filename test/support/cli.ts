import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm run cli -- <args>` from the TypeScript sources against `databaseUrl`, as its own process
 * (exit code, stdout and stderr are what is asserted). The webhook secret is set so the CLI's
 * start-up says nothing about it on stderr: the suites assert "one line on stderr". `env` adds
 * to (or overrides) the environment, e.g. MONGO_URL.
 */
export function runCli(databaseUrl: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register', 'src/cli.ts', ...args], {
    cwd: join(__dirname, '..', '..'),
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TS_NODE_TRANSPILE_ONLY: '1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      LEMON_SQUEEZY_WEBHOOK_SECRET: 'test-webhook-secret',
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
}
