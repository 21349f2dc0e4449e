import { randomBytes, scrypt as scryptCallback, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';

/**
 * scrypt cost. N=2^14, r=8, p=1 costs ~38 ms per hash on the 2-core reference machine
 * (measured: N=2^13 ~18 ms, 2^14 ~38 ms, 2^15 ~92 ms), inside the 20–100 ms budget.
 * The parameters travel in every hash string, so raising them later only affects new hashes.
 */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
/** Refuse absurd parameters read from a stored hash (a tampered row must not pin the CPU). */
const MAX_N = 2 ** 20;

function scrypt(
  password: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** `scrypt$N$r$p$<salt b64url>$<key b64url>`; null when the string is not one of ours. */
export function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((v) => (/^\d{1,8}$/.test(v) ? Number(v) : NaN));
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return null;
  if (salt.length < 8 || key.length < 16) return null;
  return { N, r, p, salt, key };
}

/** Password hashing with node:crypto scrypt: per-user salt, parameters in the hash, constant-time verify. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy: Promise<string> | null = null;

  onModuleInit(): void {
    this.dummy ??= this.hash('cornerstone-dummy-password');
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const { N, r, p } = SCRYPT_PARAMS;
    const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 128 * N * r * 2 });
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(password: string, encoded: string | null | undefined): Promise<boolean> {
    const parsed = encoded ? parseHash(encoded) : null;
    if (!parsed) {
      // Same work as a real check, so a missing/foreign hash does not answer faster.
      await this.verifyDummy(password);
      return false;
    }
    const { N, r, p, salt, key } = parsed;
    const candidate = await scrypt(password, salt, key.length, {
      N,
      r,
      p,
      maxmem: 128 * N * r * 2,
    });
    return timingSafeEqual(candidate, key);
  }

  /** Burns one verification's worth of time: used for unknown users so timing does not reveal them. */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= this.hash('cornerstone-dummy-password');
    const parsed = parseHash(await this.dummy)!;
    const candidate = await scrypt(password, parsed.salt, parsed.key.length, {
      N: parsed.N,
      r: parsed.r,
      p: parsed.p,
      maxmem: 128 * parsed.N * parsed.r * 2,
    });
    timingSafeEqual(candidate, parsed.key);
  }

  /** True when the stored hash uses weaker parameters than today's (re-hash on next login). */
  needsRehash(encoded: string): boolean {
    const parsed = parseHash(encoded);
    return (
      !parsed ||
      parsed.N < SCRYPT_PARAMS.N ||
      parsed.r < SCRYPT_PARAMS.r ||
      parsed.p < SCRYPT_PARAMS.p
    );
  }
}
