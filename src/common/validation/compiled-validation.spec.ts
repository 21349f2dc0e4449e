import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createValidationPipe } from '../errors/validation-pipe';
import { compiledValidator } from './compiled-validation';

/**
 * Differential test: over every request DTO of the app and a few thousand generated inputs, the
 * compiled path may only accept what class-transformer + class-validator accept, with the same
 * instance. Its refusals are never seen by a client (the pipe then runs the full path), so only
 * "accepted, and identical" is checked, plus that it does accept the hot DTOs' valid bodies.
 */

type Dto = new () => object;

function requestDtos(): Map<string, Dto> {
  const root = join(__dirname, '..', '..');
  const files: string[] = [join(root, 'common', 'pagination', 'pagination.ts')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (dir.endsWith('/dto') && name.endsWith('.ts') && !name.endsWith('.response.ts'))
        files.push(path);
    }
  };
  walk(root);
  const dtos = new Map<string, Dto>();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(file) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function' || !/^[A-Z]/.test(name)) continue;
      const rules = getMetadataStorage().getTargetValidationMetadatas(
        value,
        undefined as unknown as string,
        false,
        false,
      );
      if (rules.length > 0) dtos.set(name, value as Dto);
    }
  }
  return dtos;
}

/** Deterministic (mulberry32), so a failure names an input that can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '',
  ' ',
  'a',
  '  Ann  ',
  'Ann',
  'x'.repeat(101),
  'x'.repeat(256),
  'x'.repeat(5001),
  'ann@example.com',
  ' ANN@Example.COM ',
  'not-an-email',
  'a\u0000b',
  '42',
  '-1',
  '0',
  '1000',
  '20',
  ' 7 ',
  '1.5',
  'true',
  'false',
  'PENDING',
  'CONTACTED',
  'INFO',
  'ERROR',
  'https://example.com/a',
  'ftp://example.com',
  '3f4efa3d-6ddb-469b-aa61-06b50825ddd2',
  '2026-03-01',
  '2026-03-01T00:00:00.000Z',
  'member',
  'admin',
  'owner',
  'viewer',
  'Str0ng-Passw0rd!',
  'user_name',
  'eyJ0IjoiMjAyNi0wMy0wMVQwMDowMDowMC4wMDBaIiwiaSI6IjNmNGVmYTNkIn0',
];
const OTHERS: unknown[] = [0, 1, 5, 30, 100, 101, -1, 1.5, 1e12, true, false, null, {}, [], ['a']];

/** Values for one property: the generic pools plus what its OpenAPI metadata names (enum, example). */
function pool(dto: Dto, property: string): unknown[] {
  const swagger = Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, property) as
    { enum?: unknown; example?: unknown; default?: unknown } | undefined;
  const named: unknown[] = [];
  const enumValues = swagger?.enum;
  if (Array.isArray(enumValues)) named.push(...(enumValues as unknown[]));
  else if (enumValues && typeof enumValues === 'object') named.push(...Object.values(enumValues));
  if (swagger?.example !== undefined) named.push(swagger.example);
  if (swagger?.default !== undefined) named.push(swagger.default);
  return [...named, ...named, ...STRINGS, ...OTHERS];
}

/**
 * Valid bodies of the hot DTOs: the generator mutates them one field at a time, so the region
 * around "valid" (where a wrong accept would hide) is covered, not only random noise.
 */
const VALID: Record<string, object[]> = {
  CreateLeadDto: [
    { firstName: ' Ann ', lastName: 'Lee', email: 'Ann.Lee@Example.com' },
    { firstName: 'Bo', lastName: 'Ng', email: 'bo@example.io', notes: 'met at a fair' },
    { firstName: 'Cy', lastName: 'Oh', email: 'cy@example.org', notes: null },
  ],
  UpdateLeadDto: [{ status: 'CONTACTED' }, { notes: null, firstName: 'Ann' }, { email: 'a@b.io' }],
  ListLeadsQueryDto: [{ limit: '20' }, { status: 'PENDING', limit: '5' }, { search: 'smi' }],
  LoginDto: [{ login: 'ann@example.com', password: 'Str0ng-Passw0rd!' }],
};

/** JSON texts (so `__proto__` stays an own key, as JSON.parse makes it) for one DTO. */
function inputs(dto: Dto, name: string, count: number, next: () => number): string[] {
  const rules = getMetadataStorage().getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    false,
    false,
  );
  const properties = [...new Set(rules.map((r) => r.propertyName))];
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const texts: string[] = ['{}'];
  for (const valid of VALID[name] ?? []) {
    texts.push(JSON.stringify(valid));
    for (const property of properties) {
      const { [property]: _dropped, ...without } = valid as Record<string, unknown>;
      texts.push(JSON.stringify(without));
      for (const v of pool(dto, property)) texts.push(JSON.stringify({ ...valid, [property]: v }));
    }
    texts.push(JSON.stringify({ ...valid, unexpected: 1 }));
    texts.push(`${JSON.stringify(valid).slice(0, -1)},"__proto__":{"admin":true}}`);
  }
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    for (const property of properties) {
      if (next() < 0.8)
        parts.push(`${JSON.stringify(property)}:${JSON.stringify(pick(pool(dto, property)))}`);
    }
    const extra = next();
    if (extra < 0.03) parts.push('"__proto__":{"admin":true}');
    else if (extra < 0.06) parts.push('"constructor":"x"');
    else if (extra < 0.09) parts.push('"unexpected":1');
    texts.push(`{${parts.join(',')}}`);
  }
  return texts;
}

describe('compiled validation (differential, against class-transformer + class-validator)', () => {
  const pipe = createValidationPipe();
  const dtos = requestDtos();
  const full = (value: unknown, metadata: ArgumentMetadata) =>
    ValidationPipe.prototype.transform.call(pipe, value, metadata) as Promise<unknown>;

  it('finds the request DTOs of every module', () => {
    for (const name of [
      'CreateLeadDto',
      'UpdateLeadDto',
      'ListLeadsQueryDto',
      'CreateTaskDto',
      'LoginDto',
    ])
      expect(dtos.has(name)).toBe(true);
    expect(dtos.size).toBeGreaterThan(25);
  });

  it('accepts only what the full path accepts, with an identical instance', async () => {
    const next = random(20261208);
    const accepted = new Map<string, number>();
    for (const [name, dto] of dtos) {
      const validator = compiledValidator(dto);
      if (!validator) continue;
      for (const text of inputs(dto, name, 300, next)) {
        for (const type of ['body', 'query'] as const) {
          const parse = (): object =>
            type === 'query'
              ? (Object.assign(Object.create(null), JSON.parse(text)) as object)
              : (JSON.parse(text) as object);
          const fast = validator(parse());
          const value = parse();
          let reference: unknown;
          try {
            reference = await full(value, { type, metatype: dto });
          } catch {
            reference = 'refused';
          }
          if (fast === undefined) continue;
          accepted.set(name, (accepted.get(name) ?? 0) + 1);
          if (reference === 'refused') throw new Error(`${name}: compiled path accepted ${text}`);
          expect({ name, text, fast }).toStrictEqual({ name, text, fast: reference });
        }
      }
    }
    // Not vacuous: the hot bodies and queries do take the compiled path for valid input.
    // (CreateTaskDto's `config` is an object: task creates always take the full path.)
    for (const name of Object.keys(VALID)) expect(accepted.get(name) ?? 0).toBeGreaterThan(5);
  });

  it('is used by the pipe, and a refusal keeps class-validator’s messages', async () => {
    const body = { firstName: '  Ann ', lastName: 'Lee', email: 'ann@example.com' };
    const dto = dtos.get('CreateLeadDto')!;
    const instance = await pipe.transform({ ...body }, { type: 'body', metatype: dto });
    expect(instance).toBeInstanceOf(dto);
    expect(instance).toEqual({ ...body, firstName: 'Ann' });
    await expect(
      pipe.transform({ ...body, email: 'nope' }, { type: 'body', metatype: dto }),
    ).rejects.toMatchObject({
      response: { errors: [{ field: 'email', message: 'email must be an email address' }] },
    });
  });

  it('leaves classes outside the flat subset to the full path', () => {
    const nested = [...dtos.entries()].filter(([, dto]) =>
      getMetadataStorage()
        .getTargetValidationMetadatas(dto, undefined as unknown as string, false, false)
        .some((m) => m.type === 'nestedValidation'),
    );
    expect(nested.length).toBeGreaterThan(0);
    for (const [, dto] of nested) expect(compiledValidator(dto)).toBeNull();
  });
});
