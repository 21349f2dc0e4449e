#!/usr/bin/env node
/**
 * `npm run openapi -- [file]`: writes the OpenAPI document of the built app (dist/) to `file`
 * (default openapi.json), exactly as GET /docs-json serves it. The app is created on an
 * in-memory SQLite database and never listens. `npm run openapi:lint` lints that file with
 * Redocly (redocly.yaml), the gate CI runs.
 */
const { writeFileSync } = require('node:fs');
const { resolve } = require('node:path');

async function main() {
  const out = resolve(process.argv[2] ?? 'openapi.json');
  // Column types are chosen from DATABASE_URL when the entity files load.
  Object.assign(process.env, { LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:' });
  delete process.env.REDIS_URL;
  delete process.env.MONGO_URL;
  const { loadConfig } = require('../dist/src/config');
  const { createApp } = require('../dist/src/bootstrap');
  const config = loadConfig({
    NODE_ENV: 'development',
    DATABASE_URL: 'sqlite::memory:',
    DB_MIGRATE_ON_START: 'true',
  });
  const app = await createApp(config);
  const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/docs-json' });
  await app.close();
  if (res.statusCode !== 200) throw new Error(`/docs-json answered ${res.statusCode}`);
  writeFileSync(out, `${JSON.stringify(JSON.parse(res.body), null, 2)}\n`);
  process.stdout.write(`OpenAPI document written to ${out}\n`);
}

main().catch((error) => {
  process.stderr.write(`openapi: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
