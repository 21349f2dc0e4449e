import { ConfigError } from './environment';
import { loadConfig } from './app-config';

describe('loadConfig', () => {
  it('serves the embedded default with no variables set', () => {
    const config = loadConfig({ DATABASE_URL: undefined, NODE_ENV: 'development' });
    expect(config.database).toMatchObject({
      kind: 'sqlite',
      sqlitePath: './data/cornerstone.sqlite',
      migrateOnStart: true,
    });
    expect(config.redis).toBeNull();
    expect(config.mongo).toBeNull();
    expect(config.database.poolSize).toBe(5);
  });

  it('switches to PostgreSQL with production pool defaults and no migration on start', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@db:5432/app',
      JWT_SECRET: 'production-secret-production-secret-0123',
    });
    expect(config.database).toMatchObject({
      kind: 'postgres',
      poolSize: 20,
      migrateOnStart: false,
      sqlitePath: null,
    });
  });

  it("bounds V8 heap growth by default; 0 keeps V8's own; a negative value is refused", () => {
    expect(loadConfig({}).http.heapGrowingPercent).toBe(100);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).http.heapGrowingPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('names the variable and the problem in one line', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: '99999' });
    } catch (error) {
      expect((error as Error).message).toMatch(
        /^Invalid configuration: PORT must not be greater than 65535 \(got 99999\)$/,
      );
    }
  });

  it('never echoes a secret value in the error', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short-secret' })).toThrow(
      /JWT_SECRET must be at least 32 characters$/,
    );
  });

  it('requires a JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: undefined })).toThrow(
      /JWT_SECRET must be set/,
    );
  });

  it('rejects a database URL of an unknown kind', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be postgres/,
    );
  });

  it('parses CORS origins and read replicas', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://a.test, https://b.test',
      DATABASE_READ_URLS: 'postgres://r1/db,postgres://r2/db',
    });
    expect(config.http.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(config.database.readUrls).toEqual(['postgres://r1/db', 'postgres://r2/db']);
  });
});

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default, in production too', () => {
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(16) + 'z'.repeat(16) }).http
        .trustProxy,
    ).toBe(false);
  });
  it('reads a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).http.trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
  });
  it('refuses true and anything that is not an address', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '999.1.1.1' })).toThrow(/TRUST_PROXY/);
  });

  it('reads token lifetimes as durations: ACCESS_TOKEN_TTL, else JWT_EXPIRES_IN, else 15 min', () => {
    const base = {
      ACCESS_TOKEN_TTL: undefined,
      JWT_EXPIRES_IN: undefined,
      REFRESH_TOKEN_TTL: undefined,
    };
    expect(loadConfig(base).auth).toMatchObject({
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 30 * 86_400,
    });
    expect(loadConfig({ ...base, JWT_EXPIRES_IN: '1h' }).auth.accessTokenTtlSeconds).toBe(3600);
    expect(
      loadConfig({ ...base, ACCESS_TOKEN_TTL: '120', JWT_EXPIRES_IN: '1h' }).auth
        .accessTokenTtlSeconds,
    ).toBe(120);
    expect(loadConfig({ ...base, REFRESH_TOKEN_TTL: '7d' }).auth.refreshTokenTtlSeconds).toBe(
      7 * 86_400,
    );
    for (const bad of ['0', '15x', '-1m', '1.5h'])
      expect(() => loadConfig({ ...base, REFRESH_TOKEN_TTL: bad })).toThrow(/REFRESH_TOKEN_TTL/);
    expect(() => loadConfig({ ...base, ACCESS_TOKEN_TTL: '0' })).toThrow(/ACCESS_TOKEN_TTL/);
  });
});
