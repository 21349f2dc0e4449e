import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm start` (package.json) is where the node flags are decided; start:cluster, the CLI
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
  const start = flagsOf(scripts.start);

  it('restore the young generation Node 20 had (Node 24 grows it to 64 MB semi-spaces)', () => {
    expect(start).toContain('--max-semi-space-size=16');
  });

  it('are the same in start:prod, start:cluster, the CLI and the Dockerfile CMD', () => {
    expect(flagsOf(scripts['start:prod'])).toEqual(start);
    expect(flagsOf(scripts['start:cluster'])).toEqual(start);
    expect(flagsOf(scripts.cli)).toEqual(start);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    expect(cmd).not.toBeNull();
    expect(flagsOf((JSON.parse(cmd![1]) as string[]).join(' '))).toEqual(start);
  });
});
