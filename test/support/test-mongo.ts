import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A MongoDB for the tests: the real one at TEST_MONGO_URL when set (`docker compose up -d
 * mongo`), otherwise jongodb — the MongoDB-wire emulator shipped as a binary by the npm package
 * @jongodb/memory-server-bin-linux-x64-gnu — started on 127.0.0.1 on a port the OS picks, and
 * stopped after. No MongoDB server can be installed on these machines.
 *
 * jongodb (0.1.6) handles what most of the crawl store needs (unique indexes and E11000,
 * sort/limit, $set, findOneAndUpdate, $regex, countDocuments, $group with $sum, $facet,
 * transactions, ping) but not everything: the cases that need what it lacks go through
 * `itRealMongo` and are reported skipped, with the reason, when it stands in.
 */

export const TEST_MONGO_URL = process.env.TEST_MONGO_URL || undefined;
/** True when the tests talk to jongodb rather than a real MongoDB. */
export const emulatedMongo = !TEST_MONGO_URL;

/** What jongodb does not do, as it answers (checked by hand against 0.1.6). */
export const JONGODB_GAPS = {
  $push: 'jongodb answers "unsupported update operator: $push"',
  $text: 'jongodb answers "unsupported query operator: $search" to $text',
  $avg: 'jongodb answers "unsupported $group accumulator: $avg"',
  projection: 'jongodb ignores projections (returns every field)',
} as const;
export type JongodbGap = keyof typeof JONGODB_GAPS;

/**
 * `it` for a case that needs what jongodb lacks: runs on a real MongoDB (TEST_MONGO_URL), and
 * is registered as skipped, with the reason in its name, on the emulator. Production code
 * keeps the real operator either way.
 */
export function itRealMongo(gap: JongodbGap, emulated = emulatedMongo) {
  return (name: string, fn: () => Promise<unknown>, timeout?: number): void => {
    if (!emulated) return it(name, fn, timeout);
    it.skip(`${name} [real MongoDB only: ${JONGODB_GAPS[gap]}; set TEST_MONGO_URL]`, fn, timeout);
  };
}

export interface TestMongo {
  /** mongodb://host:port (no database): pass the database as MONGO_DATABASE / dbName. */
  url: string;
  /** A database name of its own for this suite. */
  database: string;
  emulated: boolean;
  stop(): Promise<void>;
}

function jongodbBinary(): string {
  let dir: string;
  try {
    dir = dirname(require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json'));
  } catch {
    throw new Error(
      'jongodb is not installed (devDependency @jongodb/memory-server-bin-linux-x64-gnu, linux-x64 glibc only): run npm ci, or set TEST_MONGO_URL to a real MongoDB',
    );
  }
  const binary = join(dir, 'bin', 'jongodb');
  if (!existsSync(binary)) throw new Error(`jongodb binary missing at ${binary}`);
  return binary;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** jongodb on 127.0.0.1, port chosen by the OS; resolves once it prints its URI. */
async function startJongodb(timeoutMs = 20_000): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(jongodbBinary(), ['--host=127.0.0.1', '--port=0', '--database=test'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => running.forEach((c) => c.kill('SIGKILL')));
  }
  const lines: string[] = [];
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`jongodb did not start in ${timeoutMs} ms: ${lines.join(' | ')}`));
    }, timeoutMs);
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('JONGODB_URI=')) {
        clearTimeout(timer);
        resolve(line.slice('JONGODB_URI='.length).trim());
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`jongodb exited (${code ?? signal}) before ready: ${lines.join(' | ')}`));
    });
  });
  const url = new URL(uri);
  return { url: `mongodb://${url.host}`, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A MongoDB for one suite (call stop() in afterAll). */
export async function startTestMongo(label = 'suite'): Promise<TestMongo> {
  const database = `cs_test_${label.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  if (TEST_MONGO_URL) {
    return {
      url: TEST_MONGO_URL,
      database,
      emulated: false,
      stop: async () => {
        // The suite's database goes away with it.
        const { createConnection } = await import('mongoose');
        const connection = await createConnection(TEST_MONGO_URL, { dbName: database }).asPromise();
        await connection.dropDatabase().catch(() => undefined);
        await connection.close();
      },
    };
  }
  const { url, child } = await startJongodb();
  return { url, database, emulated: true, stop: () => stopChild(child) };
}
