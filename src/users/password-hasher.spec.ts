import { scrypt } from 'node:crypto';
import { parseHash, PasswordHasher, SCRYPT_PARAMS } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('stores scrypt with its parameters and a per-user salt', async () => {
    const a = await hasher.hash('correct horse battery');
    const b = await hasher.hash('correct horse battery');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(parseHash(a)).toMatchObject(SCRYPT_PARAMS);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('correct horse battery');
    await expect(hasher.verify('correct horse battery', hash)).resolves.toBe(true);
    await expect(hasher.verify('correct horse batterY', hash)).resolves.toBe(false);
    await expect(hasher.verify('', hash)).resolves.toBe(false);
  });

  it('verifies hashes made with other (older) parameters, which need a re-hash', async () => {
    const old = await new Promise<string>((resolve, reject) => {
      const salt = Buffer.from('0123456789abcdef');
      scrypt('pw-0123456789', salt, 32, { N: 1024, r: 8, p: 1 }, (e, key) =>
        e
          ? reject(e)
          : resolve(`scrypt$1024$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`),
      );
    });
    await expect(hasher.verify('pw-0123456789', old)).resolves.toBe(true);
    expect(hasher.needsRehash(old)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('pw-0123456789'))).toBe(false);
  });

  it.each([
    ['a missing hash', null],
    ['a foreign format', '$2b$10$abcdefghijklmnopqrstuv'],
    [
      'N not a power of two',
      'scrypt$1000$8$1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY',
    ],
    [
      'an absurd N',
      'scrypt$1073741824$8$1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY',
    ],
    ['a short salt', 'scrypt$16384$8$1$YQ$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY'],
  ])('refuses %s without throwing', async (_, stored) => {
    await expect(hasher.verify('anything-at-all', stored)).resolves.toBe(false);
  });

  it('costs tens of milliseconds per hash (reported, budget 20–100 ms on the reference machine)', async () => {
    await hasher.hash('warm-up-password');
    const started = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) await hasher.hash('measure-this-password');
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / 5;
    // Loose bounds: the suite shares the CPU; bench/ measures it properly.
    expect(ms).toBeGreaterThan(5);
    expect(ms).toBeLessThan(1_000);
  });
});
