import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm start` (package.json) is where the node flags and the process environment are decided; start:cluster, the CLI
 * (backup, restore) and the Dockerfile's CMD must run the same ones, or production and the
 * benches (which read package.json themselves) measure different processes.
 */
describe('node flags of the server', () => {
  const root = join(__dirname, '..');
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<
    string,
    string
  >;
  const flagsOf = (command: string) => command.split(/\s+/).filter((a) => a.startsWith('--'));
  /** The `NAME=value` words (`exec env NAME=value node …`). */
  const envOf = (command: string) =>
    command.split(/\s+/).filter((a) => /^[A-Z_][A-Z0-9_]*=/.test(a));
  const start = flagsOf(scripts.start);

  it('restore the young generation Node 20 had (Node 24 grows it to 64 MB semi-spaces)', () => {
    expect(start).toContain('--max-semi-space-size=16');
  });

  it('fix glibc’s mmap threshold, so freed large buffers (scrypt’s 16 MiB) leave the RSS', () => {
    expect(envOf(scripts.start)).toEqual(['MALLOC_MMAP_THRESHOLD_=131072']);
  });

  it('are the same in start:prod, start:cluster, the CLI and the Dockerfile', () => {
    for (const script of ['start:prod', 'start:cluster', 'cli']) {
      expect(flagsOf(scripts[script])).toEqual(start);
      expect(envOf(scripts[script])).toEqual(envOf(scripts.start));
    }
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    expect(flagsOf((JSON.parse(cmd![1]) as string[]).join(' '))).toEqual(start);
    // The runtime stage's ENV lines (after the last FROM) hold the same assignments.
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const dockerEnv = [...runtime.matchAll(/^ENV (\S+=\S+)$/gm)].map((m) => m[1]);
    expect(dockerEnv).toEqual(expect.arrayContaining(envOf(scripts.start)));
  });
});
