#!/usr/bin/env node
/**
 * Backup/restore throughput (issue 17): N leads + N system logs seeded straight into a scratch
 * PostgreSQL database (INSERT … SELECT generate_series), then `cli backup` and `cli restore`
 * into a second, freshly migrated scratch database, each as its own child process under
 * /usr/bin/time -v (peak RSS). Prints rows/s, peak RSS and PASS/MISS against the targets, and
 * writes bench/results/<date>-backup[-N].json.
 *
 *   npm run bench:backup                 # 1,000,000 + 1,000,000
 *   npm run bench:backup -- 200000       # a smaller N
 *   npm run bench:backup -- 200000 --no-build --profile   # reuse the build; .cpuprofile per command
 */
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { cpus, tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const { startCommand } = require('./start-command');

const ROOT = join(__dirname, '..');
const DIST = join(__dirname, '.work', 'dist');
const ADMIN_URL =
  process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const TARGETS = { backupRowsPerSec: 50_000, backupPeakRssMb: 300, restoreRowsPerSec: 20_000 };

const log = (line) => process.stderr.write(`bench:backup: ${line}\n`);

function build() {
  if (args.includes('--no-build') && existsSync(join(DIST, 'src', 'cli.js')))
    return log('reusing bench/.work/dist (--no-build)');
  log('building the app into bench/.work/dist');
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
      'build',
      '-p',
      'bench/tsconfig.bench.json',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function withClient(url, work) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function scratchDatabase(label) {
  const name = `cs_bench_backup_${label}_${Date.now().toString(36)}`;
  await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

/** One CLI command as a child process under /usr/bin/time -v: wall time, peak RSS, output. */
function cli(commandArgs, databaseUrl) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      '/usr/bin/time',
      [
        '-v',
        process.execPath,
        // --profile: a .cpuprofile per command in bench/results (bench/cpuprofile-summary.js reads it).
        ...(args.includes('--profile')
          ? ['--cpu-prof', '--cpu-prof-dir', join(__dirname, 'results')]
          : []),
        // The node flags of `npm run cli` (package.json), so the bench measures what operators run.
        ...startCommand('cli').flags,
        join(DIST, 'src', 'cli.js'),
        ...commandArgs,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...startCommand('cli').env,
          DATABASE_URL: databaseUrl,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
          LEMON_SQUEEZY_WEBHOOK_SECRET: 'bench-webhook-secret',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
      const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN);
      if (code !== 0)
        return reject(new Error(`${commandArgs[0]} exited ${code}: ${stderr.trim()}`));
      // The command's own duration (after the app context is up): "…, 12.3 s".
      const commandSec = Number(/, ([\d.]+) s$/m.exec(stdout)?.[1] ?? wallSec);
      resolve({ wallSec, commandSec, peakRssMb: Math.round(rssKb / 1024), stdout: stdout.trim() });
    });
  });
}

async function seed(url) {
  log(`seeding ${N} leads + ${N} system logs`);
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO users (id, email, password_hash) VALUES (gen_random_uuid(), 'bench@example.com', 'x')`,
    );
    const [{ id }] = (
      await c.query(
        `INSERT INTO entities (id, name, slug) VALUES (gen_random_uuid(), 'Bench', 'bench') RETURNING id`,
      )
    ).rows;
    const step = 100_000;
    for (let from = 1; from <= N; from += step) {
      const to = Math.min(N, from + step - 1);
      await c.query(
        `INSERT INTO leads (id, created_at, updated_at, entity_id, first_name, last_name, email, status, notes)
         SELECT gen_random_uuid(), now() - (g || ' seconds')::interval, now(), $1, 'First' || g, 'Last' || g,
                'lead' || g || '@example.com', 'PENDING', CASE WHEN g % 3 = 0 THEN 'note ' || g END
         FROM generate_series($2::int, $3::int) g`,
        [id, from, to],
      );
      // Spread over the last 20 days: this month's partition and the default one.
      await c.query(
        `INSERT INTO system_logs (id, created_at, service, level, message, details, request_id, user_id)
         SELECT gen_random_uuid(), now() - ((g % 1728000) || ' seconds')::interval, 'tasks', 'INFO',
                'task event ' || g, jsonb_build_object('n', g, 'ok', g % 2 = 0), 'req-' || g, NULL
         FROM generate_series($1::int, $2::int) g`,
        [from, to],
      );
    }
    await c.query('VACUUM ANALYZE');
  });
}

const count = (url, table) =>
  withClient(url, async (c) =>
    Number((await c.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n),
  );

async function main() {
  build();
  const dir = mkdtempSync(join(tmpdir(), 'cs-bench-backup-'));
  const source = await scratchDatabase('src');
  const target = await scratchDatabase('dst');
  try {
    for (const db of [source, target]) await cli(['migrate', 'up'], db.url);
    await seed(source.url);
    const rows = (await count(source.url, 'leads')) + (await count(source.url, 'system_logs'));
    const file = join(dir, 'bench.jsonl.gz');
    log('backup');
    const backup = await cli(['backup', '--out', file], source.url);
    log(backup.stdout);
    log('restore');
    const restore = await cli(['restore', '--in', file], target.url);
    log(restore.stdout);
    const restored = (await count(target.url, 'leads')) + (await count(target.url, 'system_logs'));
    // The restore's own system event lands in the target after the commit.
    if (restored < rows) throw new Error(`restored ${restored} of ${rows} rows`);
    const perSec = (run) => Math.round(rows / run.commandSec);
    const results = {
      date: new Date().toISOString(),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
        .toString()
        .trim(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      note: 'PostgreSQL, the CLI and other processes share the same cores; measured under contention from other jobs on this machine',
      rows: { leads: N, systemLogs: N, total: rows },
      fileMb: Math.round(statSync(file).size / 1048576),
      backup: {
        rowsPerSec: perSec(backup),
        seconds: backup.commandSec,
        wallSecIncludingStart: Number(backup.wallSec.toFixed(1)),
        peakRssMb: backup.peakRssMb,
      },
      restore: {
        rowsPerSec: perSec(restore),
        seconds: restore.commandSec,
        wallSecIncludingStart: Number(restore.wallSec.toFixed(1)),
        peakRssMb: restore.peakRssMb,
      },
      targets: TARGETS,
    };
    results.verdict = {
      backupRowsPerSec: perSec(backup) >= TARGETS.backupRowsPerSec ? 'PASS' : 'MISS',
      backupPeakRss: backup.peakRssMb < TARGETS.backupPeakRssMb ? 'PASS' : 'MISS',
      restoreRowsPerSec: perSec(restore) >= TARGETS.restoreRowsPerSec ? 'PASS' : 'MISS',
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    const out = join(
      __dirname,
      'results',
      `${results.date.slice(0, 10)}-backup${N === 1_000_000 ? '' : `-${N}`}.json`,
    );
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(
      [
        `rows: ${rows} (${N} leads + ${N} system logs), file ${results.fileMb} MB`,
        `backup : ${results.backup.rowsPerSec} rows/s (${backup.commandSec} s), peak RSS ${backup.peakRssMb} MB  [${results.verdict.backupRowsPerSec} ≥ ${TARGETS.backupRowsPerSec}/s, ${results.verdict.backupPeakRss} < ${TARGETS.backupPeakRssMb} MB]`,
        `restore: ${results.restore.rowsPerSec} rows/s (${restore.commandSec} s), peak RSS ${restore.peakRssMb} MB  [${results.verdict.restoreRowsPerSec} ≥ ${TARGETS.restoreRowsPerSec}/s]`,
        `results: ${out}`,
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await source.drop();
    await target.drop();
  }
}

main().catch((error) => {
  log(error.message);
  process.exit(1);
});
