import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Dedicated PostgreSQL and Redis servers for fault injection: own data directory, own free
 * port, stopped and started at will, never the shared 5432/6379. Everything is removed by
 * `destroy()` (call it in afterAll) and, as a safety net, when the test process exits.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or rejects after timeoutMs). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(500);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cleanups = new Set<() => void>();
let exitHookInstalled = false;
function onExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () =>
      cleanups.forEach((c) => {
        try {
          c();
        } catch {
          /* best effort */
        }
      }),
    );
  }
  return () => cleanups.delete(cleanup);
}

function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    /* fall through */
  }
  for (const v of ['17', '16', '15', '14']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found: set PG_BINDIR (pg_config --bindir)');
}

/** initdb refuses root: run the server binaries as the `postgres` OS user when we are root. */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [binary, args];
  return ['runuser', ['-u', 'postgres', '--', binary, ...args]];
}

function run(binary: string, args: string[], timeoutMs = 60_000): string {
  const [cmd, argv] = asPostgres(binary, args);
  return execFileSync(cmd, argv, {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ThrowawayPostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  adminUrl: string;
  /** URL of a database on this server. */
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** `immediate` = crash-like (connections cut, no checkpoint); `fast` = clean shutdown. */
  stop(mode?: 'immediate' | 'fast'): void;
  start(): void;
  isRunning(): boolean;
  destroy(): void;
}

/** A fresh cluster in a temp dir on a free port: initdb (~2 s) + pg_ctl start. */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const root = mkdtempSync(join(tmpdir(), 'cs-pg-'));
  const data = join(root, 'data');
  const log = join(root, 'server.log');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const port = await freePort();
  run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
    120_000,
  );
  let running = false;
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    `-c listen_addresses=127.0.0.1`,
    // fsync off is safe here: the OS never crashes in a test. synchronous_commit stays on, or an
    // immediate stop would lose acknowledged commits and the no-lost-writes assertion would be moot.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
    '-c shared_buffers=32MB',
  ].join(' ');
  const start = () => {
    run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = (mode: 'immediate' | 'fast' = 'immediate') => {
    if (!running) return;
    run(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };
  const unregister = onExit(() => {
    try {
      stop('immediate');
    } catch {
      /* already down */
    }
    rmSync(root, { recursive: true, force: true });
  });
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl,
    urlFor,
    async createDatabase(name: string) {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    stop,
    start,
    isRunning: () => running,
    destroy() {
      try {
        stop('immediate');
      } catch {
        /* already down */
      }
      rmSync(root, { recursive: true, force: true });
      unregister();
    },
  };
}

export interface ThrowawayRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  isRunning(): boolean;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  destroy(): Promise<void>;
}

/**
 * redis-server on a free port, nothing kept on disk; `appendonly`: an append-only file in its
 * directory (fsync every write), so a restart brings the data back.
 */
export async function startThrowawayRedis(
  options: { appendonly?: boolean } = {},
): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cs-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    if (child) return;
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        options.appendonly ? 'yes' : 'no',
        ...(options.appendonly ? ['--appendfsync', 'always'] : []),
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child.once('exit', () => (child = null));
    await waitForPort(port);
  };
  const stop = async () => {
    const c = child;
    if (!c) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
    child = null;
  };
  const unregister = onExit(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    isRunning: () => child !== null,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async destroy() {
      child?.kill('SIGCONT');
      await stop();
      rmSync(dir, { recursive: true, force: true });
      unregister();
    },
  };
}
