import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../support/throwaway-servers';
import { join } from 'node:path';

/**
 * The built app (`node dist/src/main`) as a real process on a free port, the way it runs in
 * production: for the scale-out suites, where two instances must share only PostgreSQL and Redis.
 */
const ROOT = join(__dirname, '..', '..');
/** CORNERSTONE_DIST points at another build of the app (e.g. bench/.work/dist); default ./dist. */
const DIST = process.env.CORNERSTONE_DIST
  ? join(ROOT, process.env.CORNERSTONE_DIST)
  : join(ROOT, 'dist');
const MAIN = join(DIST, 'src', 'main.js');

/** Builds once when dist is missing (CI builds before the suites; a fresh clone may not have). */
export function ensureBuilt(): void {
  if (existsSync(MAIN)) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
}

export { freePort };

export interface AppProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** How much output a failure message shows (the end of it). */
const SHOWN_CHARS = 5_000;

/** `outputChars`: how much of the output `output()` keeps (the end; default what a failure shows). */
export async function startAppProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  entry: 'main' | 'cluster' = 'main',
  { outputChars = SHOWN_CHARS }: { outputChars?: number } = {},
): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(DIST, 'src', `${entry}.js`)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-outputChars)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-outputChars)));
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`app exited (${exited}) before ready:\n${output.slice(-SHOWN_CHARS)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`app not ready after ${timeoutMs} ms:\n${output.slice(-SHOWN_CHARS)}`);
    }
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (exited === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** fetch with JSON in and out. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body };
}
