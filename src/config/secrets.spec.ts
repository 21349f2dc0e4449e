import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './app-config';
import { EXAMPLE_JWT_SECRETS } from './secrets';

const ROOT = join(__dirname, '..', '..');
const production = (secret: string | undefined) => () =>
  loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret });

/** Every JWT_SECRET value written in the files a deployer copies from. */
function exampleSecrets(): string[] {
  const found: string[] = [];
  for (const file of ['.env.example', 'docker-compose.yml', 'README.md']) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/JWT_SECRET\s*[=:]\s*["']?([^\s"'`#|]+)/g)) {
      const value = m[1].match(/^\$\{JWT_SECRET:?-([^}]*)\}$/)?.[1] ?? m[1];
      if (!/^\$\{JWT_SECRET:?\?/.test(m[1]) && value.length > 0) found.push(value);
    }
  }
  return found;
}

describe('JWT_SECRET in production', () => {
  it('refuses secrets shorter than 32 bytes, one repeated character, and example values', () => {
    expect(production('s3cr3t')).toThrow(
      /JWT_SECRET (must be at least 32 characters|is shorter than 32 bytes)/,
    );
    expect(production('x'.repeat(64))).toThrow(/JWT_SECRET is one character repeated/);
    for (const example of EXAMPLE_JWT_SECRETS)
      expect(production(example)).toThrow(/JWT_SECRET is an example value/);
  });

  it('never prints the secret it refuses', () => {
    const secret = 'change-me-change-me-change-me-change-me';
    expect(production(secret)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });

  it('knows every example value in .env.example, docker-compose.yml and README', () => {
    for (const value of exampleSecrets()) expect(production(value)).toThrow(/JWT_SECRET/);
  });

  it('accepts a random secret, and outside production anything the schema accepts', () => {
    expect(production('9f2c4e8a1b7d3f6e0a5c9b2d8e4f1a7c')().auth.jwtSecret).toHaveLength(32);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).auth.jwtSecret).toBe('x'.repeat(32));
  });

  it('makes docker compose require the variable and keeps .env files out of the image', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/JWT_SECRET: \$\{JWT_SECRET:\?[^}]+\}/);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('.env*');
    expect(ignore).toContain('!.env.example');
  });
});
