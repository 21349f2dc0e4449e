import { randomUUID } from 'node:crypto';
import { AddressInfo, connect } from 'node:net';
import { Actor, ADMIN_ENV, buildWorld, World } from '../support/actors';
import {
  buildPath,
  entityParamOf,
  isIdParam,
  listOperations,
  Operation,
  Parameter,
  sampleObject,
  sampleValue,
  Schema,
  typeOf,
} from '../support/openapi-operations';
import { rowCounts } from '../support/row-counts';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Hostile input for every operation of /docs-json, no per-route code: each category below
 * loops over the whole route table. Callers are real users who pass the route's guard
 * (platform admin on admin routes, the entity owner elsewhere), so requests reach parsing
 * and validation. Expectations: 4xx problem+json, never 5xx, every table's row count
 * unchanged, Object.prototype untouched.
 */

interface HostileRequest {
  name: string;
  path?: string;
  query?: string;
  /** Raw body text (sent as is) */
  payload?: string | Buffer;
  contentType?: string | null;
}

interface Response {
  status: number;
  contentType: string;
  body: string;
}

jest.setTimeout(300_000);

describe('hostile input on every operation of the OpenAPI document', () => {
  let t: TestApp;
  let world: World;
  let ops: Operation[];
  let baseline: Record<string, number>;
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    t = await startTestApp({ label: 'hostile', env: ADMIN_ENV });
    world = await buildWorld(t);
    const doc = await t.http.get('/docs-json').expect(200);
    ops = listOperations(doc.body);
    baseline = await rowCounts(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  const actorFor = (op: Operation): Actor | undefined =>
    op.access?.kind === 'admin'
      ? world.admin
      : op.access?.kind === 'public'
        ? undefined
        : world.owner;

  async function send(op: Operation, req: HostileRequest): Promise<Response> {
    const actor = actorFor(op);
    const headers: Record<string, string> = {};
    if (actor) headers.authorization = `Bearer ${actor.token}`;
    if (req.contentType !== null && req.payload !== undefined)
      headers['content-type'] = req.contentType ?? 'application/json';
    const url = (req.path ?? buildPath(op, world.entityId)) + (req.query ? `?${req.query}` : '');
    const res = await t.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: op.method.toUpperCase() as 'GET', url, headers, payload: req.payload });
    return {
      status: res.statusCode,
      contentType: String(res.headers['content-type'] ?? ''),
      body: res.body,
    };
  }

  /** A 4xx problem+json whose body agrees with the status line. */
  function rejection(res: Response): string | null {
    if (res.status < 400 || res.status >= 500) return `status ${res.status}`;
    if (!res.contentType.startsWith('application/problem+json'))
      return `status ${res.status} but content-type ${res.contentType}`;
    try {
      const problem = JSON.parse(res.body);
      if (
        problem.status !== res.status ||
        typeof problem.type !== 'string' ||
        typeof problem.detail !== 'string'
      ) {
        return `malformed problem body`;
      }
      if (/\bat .+\.(js|ts):\d+/.test(res.body)) return 'stack trace in the body';
    } catch {
      return 'body is not JSON';
    }
    return null;
  }

  async function expectAllRejected(
    build: (op: Operation) => HostileRequest[],
    filter: (op: Operation) => boolean,
    /** When set, only this status counts as refused (so a 409 from an earlier case cannot hide a miss). */
    status?: number,
  ) {
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops.filter(filter)) {
      for (const req of build(op)) {
        const res = await send(op, req);
        sent++;
        const why =
          rejection(res) ?? (status && res.status !== status ? `status ${res.status}` : null);
        if (why) failures.push(`${op.label} — ${req.name}: ${why} ${res.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(t.db)).toEqual(baseline);
    return sent;
  }

  const hasJsonBody = (op: Operation) => op.body !== undefined;
  const json = (value: unknown) => JSON.stringify(value);
  const validBody = (op: Operation) => sampleObject(op.body);
  const fields = (op: Operation) => Object.entries(op.body?.properties ?? {});

  it('finds the operations to attack in the OpenAPI document', () => {
    process.stdout.write(
      `hostile input: ${ops.length} operations, ${ops.filter(hasJsonBody).length} with a JSON body\n`,
    );
    expect(ops.length).toBeGreaterThan(3);
    expect(ops.filter(hasJsonBody).length).toBeGreaterThan(0);
  });

  it('refuses malformed, empty, non-object, deep, poisoned and oversized JSON bodies', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const sent = await expectAllRejected((op) => {
      const valid = validBody(op);
      const first = Object.keys(op.body?.properties ?? {})[0] ?? 'name';
      return [
        { name: 'malformed JSON', payload: '{"a": ' },
        { name: 'JSON with a trailing comma', payload: '{"a":1,}' },
        { name: 'NaN literal', payload: '{"a": NaN}' },
        { name: 'empty JSON body', payload: '' },
        { name: 'array body', payload: '[]' },
        { name: 'array of valid bodies', payload: json([valid, valid]) },
        { name: 'string body', payload: '"hello"' },
        { name: 'number body', payload: '42' },
        { name: 'boolean body', payload: 'true' },
        { name: 'null body', payload: 'null' },
        { name: 'depth 10,000 array', payload: deep },
        { name: 'depth 10,000 object', payload: deepObject },
        {
          name: '__proto__ at the top',
          payload: `{"__proto__":{"polluted":true,"isAdmin":true},${json(valid).slice(1)}`,
        },
        {
          name: '__proto__ inside a field',
          payload: json({ ...valid, [first]: 'x' }).replace(
            /}$/,
            ',"nested":{"__proto__":{"polluted":true}}}',
          ),
        },
        {
          name: 'constructor.prototype',
          payload: `{"constructor":{"prototype":{"polluted":true}},${json(valid).slice(1)}`,
        },
        { name: '2 MiB body', payload: json({ ...valid, [first]: 'x'.repeat(2 * 1024 * 1024) }) },
        { name: 'text/plain', payload: json(valid), contentType: 'text/plain' },
        {
          name: 'form-urlencoded',
          payload: 'a=1&b=2',
          contentType: 'application/x-www-form-urlencoded',
        },
        { name: 'application/xml', payload: '<a>1</a>', contentType: 'application/xml' },
        { name: 'no Content-Type', payload: json(valid), contentType: null },
        { name: 'application/jsonp', payload: json(valid), contentType: 'application/jsonp' },
        {
          name: 'multipart/form-data on a JSON route',
          payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
          contentType: 'multipart/form-data; boundary=x',
        },
        { name: 'JSON declared, binary sent', payload: Buffer.from([0xff, 0xfe, 0x00, 0x01]) },
      ];
    }, hasJsonBody);
    expect(sent).toBeGreaterThan(0);
  });

  it('refuses a malformed Idempotency-Key with 400 on every route that takes one, a valid body notwithstanding', async () => {
    const idempotent = ops.filter((op) =>
      op.headerParams.some((p) => p.name === 'Idempotency-Key'),
    );
    expect(idempotent.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    let ip = 0;
    for (const op of idempotent) {
      for (const [name, key] of [
        ['empty', ''],
        ['256 characters', 'k'.repeat(256)],
        ['non-ASCII', 'clé-é'],
        ['a tab', 'a\tb'],
      ]) {
        const actor = actorFor(op);
        const res = await t.app
          .getHttpAdapter()
          .getInstance()
          .inject({
            method: 'POST',
            url: buildPath(op, world.entityId),
            // Public intake is throttled per address: each request comes from its own.
            remoteAddress: `10.78.${Math.floor(++ip / 250)}.${ip % 250}`,
            headers: {
              ...(actor ? { authorization: `Bearer ${actor.token}` } : {}),
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            payload: json(op.body ? validBody(op) : {}),
          });
        const why =
          rejection({
            status: res.statusCode,
            contentType: String(res.headers['content-type'] ?? ''),
            body: res.body,
          }) ?? (res.statusCode !== 400 ? `status ${res.statusCode}` : null);
        if (why) failures.push(`${op.label} — key ${name}: ${why} ${res.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(t.db)).toEqual(baseline);
  });

  it('refuses 100,000-key bodies at once with a small problem, and caps the errors of 900 unknown keys', async () => {
    const wide = (n: number, prefix = 'k') =>
      json(Object.fromEntries(Array.from({ length: n }, (_, i) => [prefix + i.toString(36), 1])));
    const hundredThousand = wide(100_000); // just under 1 MB: under the body limit
    expect(hundredThousand.length).toBeLessThan(t.config.http.bodyLimitBytes);
    const spread = json(
      Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`o${i}`, JSON.parse(wide(900))])),
    );
    const failures: string[] = [];
    for (const op of ops.filter(hasJsonBody)) {
      const valid = validBody(op);
      const cases: HostileRequest[] = [
        { name: '100,000 keys in one object', payload: hundredThousand },
        { name: '100 objects of 900 keys (90,000 in all)', payload: spread },
        // Under the parser's per-object bound: validation answers, its list is capped.
        { name: '900 unknown keys', payload: json({ ...valid, ...JSON.parse(wide(900, 'x')) }) },
        {
          name: 'one 200 KB unknown key',
          payload: json({ ...valid, ['k'.repeat(200 * 1024)]: 1 }),
        },
      ];
      for (const req of cases) {
        const res = await send(op, req);
        const why = rejection(res);
        if (why) failures.push(`${op.label} — ${req.name}: ${why} ${res.body.slice(0, 200)}`);
        else if (
          res.status !== 400 &&
          res.status !== 401 &&
          res.status !== 403 &&
          res.status !== 404
        )
          failures.push(`${op.label} — ${req.name}: status ${res.status}`);
        else if (Buffer.byteLength(res.body) >= 4096)
          failures.push(`${op.label} — ${req.name}: ${Buffer.byteLength(res.body)}-byte problem`);
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(t.db)).toEqual(baseline);
  });

  it('refuses unknown fields, missing required fields and nulls in required fields', async () => {
    await expectAllRejected((op) => {
      const valid = validBody(op);
      const documented = Object.keys(op.body?.properties ?? {});
      const cases: HostileRequest[] = [
        { name: 'unknown field', payload: json({ ...valid, unexpectedField: 'x' }) },
      ];
      // Privilege fields smuggled into a body that does not document them.
      for (const [key, value] of Object.entries({
        isAdmin: true,
        role: 'owner',
        id: randomUUID(),
        entityId: randomUUID(),
        userId: randomUUID(),
      })) {
        if (!documented.includes(key))
          cases.push({ name: `undocumented ${key}`, payload: json({ ...valid, [key]: value }) });
      }
      for (const field of op.body?.required ?? []) {
        const { [field]: _omitted, ...rest } = valid;
        cases.push({ name: `missing required ${field}`, payload: json(rest) });
        cases.push({
          name: `null in required ${field}`,
          payload: json({ ...valid, [field]: null }),
        });
      }
      return cases;
    }, hasJsonBody);
  });

  it('refuses null in every optional field the document does not mark nullable', async () => {
    // class-validator's @IsOptional() lets null through; on a NOT NULL column that used to
    // reach the database (PATCH /v1/entities/:id {"slug": null} answered 500).
    let fieldsTried = 0;
    await expectAllRejected(
      (op) => {
        const valid = validBody(op);
        const required = op.body?.required ?? [];
        return fields(op)
          .filter(([field, schema]) => !required.includes(field) && !schema.nullable)
          .map(([field]) => {
            fieldsTried++;
            return {
              name: `null in optional ${field}`,
              payload: json({ ...valid, [field]: null }),
            };
          });
      },
      hasJsonBody,
      400,
    );
    expect(fieldsTried).toBeGreaterThan(20);
  });

  it('refuses wrong types, 100 KB strings, operator objects and absurd numbers in every field', async () => {
    const wrongTypes: Record<string, unknown[]> = {
      string: [12345, true, ['a'], { a: 1 }],
      integer: ['12', 'abc', true, 1.5, [1], { a: 1 }],
      number: ['12', 'abc', true, [1], { a: 1 }],
      boolean: ['true', 1, 'yes', [true]],
      array: ['x', 1, { a: 1 }],
      object: ['x', 1, [1], true],
      enum: ['definitely-not-a-member', 12345, ['x']],
    };
    await expectAllRejected((op) => {
      const valid = validBody(op);
      const cases: HostileRequest[] = [];
      for (const [field, schema] of fields(op)) {
        const type = typeOf(schema);
        for (const value of wrongTypes[type] ?? []) {
          cases.push({
            name: `${field} (${type}) = ${json(value)}`,
            payload: json({ ...valid, [field]: value }),
          });
        }
        cases.push({
          name: `${field} = {"$gt":""}`,
          payload: json({ ...valid, [field]: { $gt: '' } }),
        });
        cases.push({
          name: `${field} = {"$ne":null}`,
          payload: json({ ...valid, [field]: { $ne: null } }),
        });
        if (type === 'string' || type === 'enum') {
          cases.push({
            name: `${field} = 100 KB string`,
            payload: json({ ...valid, [field]: 'a'.repeat(100 * 1024) }),
          });
          cases.push({
            name: `${field} = lone surrogate`,
            payload: json({ ...valid, [field]: 'a\ud800b' }),
          });
          cases.push({
            name: `${field} = NUL character`,
            payload: json({ ...valid, [field]: 'a\u0000b' }),
          });
        }
        if (type === 'integer' || type === 'number') {
          for (const raw of ['-1000000000', '1e308', '1e400', '-1e400', '9007199254740993']) {
            cases.push({
              name: `${field} = ${raw}`,
              payload: json({ ...valid, [field]: 0 }).replace(`"${field}":0`, `"${field}":${raw}`),
            });
          }
        }
        if (type === 'array') {
          cases.push({
            name: `${field} = 100,000 items`,
            payload: json({ ...valid, [field]: Array.from({ length: 100_000 }, () => 1) }),
          });
        }
      }
      return cases;
    }, hasJsonBody);
  });

  const hostileIds = [
    'not-a-uuid',
    "1' OR '1'='1",
    '1; DROP TABLE users; --',
    '../../etc/passwd',
    '00000000-0000-0000-0000-00000000000g',
    '%00',
    '-1',
    '9999999999999999999999',
    '{"$gt":""}',
    'a'.repeat(199),
  ];

  it('refuses invalid UUIDs in every id path parameter', async () => {
    await expectAllRejected(
      (op) =>
        op.pathParams.filter(isIdParam).flatMap((p) =>
          hostileIds.map((value) => ({
            name: `${p.name} = ${value.slice(0, 40)}`,
            path: buildPath(op, world.entityId, { [p.name]: value }),
            payload: op.body ? json(validBody(op)) : undefined,
          })),
        ),
      (op) => op.pathParams.some(isIdParam),
    );
  });

  const forgedCursors = [
    'not a cursor',
    '!!!!',
    Buffer.from('["not-a-date","x"]').toString('base64url'),
    Buffer.from(`["2024-01-01T00:00:00.000Z","' OR 1=1 --"]`).toString('base64url'),
    Buffer.from('{"__proto__":{"polluted":true}}').toString('base64url'),
    Buffer.from('[1e400, null]').toString('base64url'),
    Buffer.from('"just a string"').toString('base64url'),
    'A'.repeat(500),
  ];

  const queryCases = (p: Parameter): string[] => {
    const schema: Schema = p.schema ?? {};
    const name = encodeURIComponent(p.name);
    if (p.name === 'cursor') return forgedCursors.map((c) => `cursor=${encodeURIComponent(c)}`);
    const type = typeOf(schema);
    if (type === 'integer' || type === 'number') {
      return (
        [
          'abc',
          '-1',
          '0.5',
          '1e9',
          'NaN',
          'Infinity',
          '1;DROP TABLE users',
          '99999999999999999999999',
        ]
          .map((v) => `${name}=${encodeURIComponent(v)}`)
          .filter((q) => !(q.endsWith('-1') && (schema.minimum ?? 0) < -1))
          // 0.5 is hostile for an integer, but a valid value of a number within its range (a 0–1 score).
          .filter(
            (q) =>
              !(
                q.endsWith('=0.5') &&
                type === 'number' &&
                (schema.minimum ?? -Infinity) <= 0.5 &&
                (schema.maximum ?? Infinity) >= 0.5
              ),
          )
      );
    }
    if (type === 'enum')
      return [`${name}=not-a-member`, `${name}=${encodeURIComponent("' OR 1=1 --")}`];
    if (type === 'boolean') return [`${name}=maybe`];
    return [];
  };

  it('refuses hostile query parameters and forged cursors', async () => {
    await expectAllRejected(
      (op) => {
        const cases: HostileRequest[] = op.queryParams.flatMap((p) =>
          queryCases(p).map((query) => ({ name: `?${query.slice(0, 60)}`, query })),
        );
        cases.push({ name: 'unknown query parameter', query: 'unexpectedParam=1' });
        cases.push({
          name: 'operator-shaped query key',
          query: `${encodeURIComponent(op.queryParams[0].name)}[$gt]=`,
        });
        return cases;
      },
      // Only operations that declare query parameters validate the query string.
      (op) => op.queryParams.length > 0 && op.method === 'get',
    );
  });

  it('refuses malformed and hostile multipart forms on every upload operation', async () => {
    const boundary = 'cs-hostile-boundary';
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    type Part = {
      name: string;
      value?: string;
      file?: { filename: string; type: string; data: Buffer };
    };
    const form = (parts: Part[]) =>
      Buffer.concat([
        ...parts.flatMap((p) => [
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
              (p.file ? `; filename="${p.file.filename}"\r\nContent-Type: ${p.file.type}` : '') +
              '\r\n\r\n',
          ),
          p.file ? p.file.data : Buffer.from(p.value ?? ''),
          Buffer.from('\r\n'),
        ]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
    const multipartType = `multipart/form-data; boundary=${boundary}`;
    let ip = 0;
    const failures: string[] = [];
    const uploads = ops.filter((op) => op.multipart);
    for (const op of uploads) {
      const props = Object.entries(op.multipart?.properties ?? {});
      const fileField = props.find(([, p]) => p.format === 'binary')?.[0] ?? 'file';
      const fileRequired = op.multipart?.required?.includes(fileField) ?? false;
      const textFields: Part[] = props
        .filter(
          ([, p]) =>
            p.format !== 'binary' &&
            op.multipart?.required?.includes(props.find(([n]) => n)![0]) !== undefined,
        )
        .filter(([name]) => op.multipart?.required?.includes(name))
        .map(([name, p]) => ({ name, value: String(sampleValue(p, name)) }));
      const pdf = (filename = 'resume.pdf'): Part => ({
        name: fileField,
        file: { filename, type: 'application/pdf', data: PDF },
      });
      const cases: HostileRequest[] = [
        { name: 'text/plain', payload: 'hello', contentType: 'text/plain' },
        {
          name: 'multipart without a boundary',
          payload: form([...textFields, pdf()]),
          contentType: 'multipart/form-data',
        },
        {
          name: 'multipart garbage',
          payload: 'this is not a multipart body',
          contentType: multipartType,
        },
        {
          name: 'truncated multipart',
          payload: form([...textFields, pdf()]).subarray(0, 60),
          contentType: multipartType,
        },
        {
          name: 'file that is not a document',
          payload: form([
            ...textFields,
            {
              name: fileField,
              file: {
                filename: 'resume.pdf',
                type: 'application/pdf',
                data: Buffer.from('MZ\x90\x00 not a pdf'),
              },
            },
          ]),
          contentType: multipartType,
        },
        {
          name: 'path in the file name',
          payload: form([...textFields, pdf('../../../etc/passwd.pdf')]),
          contentType: multipartType,
        },
        {
          name: 'file sent twice',
          payload: form([...textFields, pdf(), pdf()]),
          contentType: multipartType,
        },
        {
          name: 'a text field sent twice',
          payload: form([...textFields, ...textFields.slice(0, 1), pdf()]),
          contentType: multipartType,
        },
        {
          name: 'unknown field',
          payload: form([...textFields, { name: 'unexpectedField', value: 'x' }, pdf()]),
          contentType: multipartType,
        },
        {
          name: '__proto__ field',
          payload: form([...textFields, { name: '__proto__', value: 'polluted' }, pdf()]),
          contentType: multipartType,
        },
        {
          name: 'constructor field',
          payload: form([...textFields, { name: 'constructor', value: 'x' }, pdf()]),
          contentType: multipartType,
        },
        {
          name: '20 KB text field',
          payload: form([
            ...textFields.map((f, i) => (i === 0 ? { ...f, value: 'a'.repeat(20 * 1024) } : f)),
            pdf(),
          ]),
          contentType: multipartType,
        },
        {
          name: 'NUL in a text field',
          payload: form([
            ...textFields.map((f, i) => (i === 0 ? { ...f, value: 'a\u0000b' } : f)),
            pdf(),
          ]),
          contentType: multipartType,
        },
        {
          name: '40 parts',
          payload: form([
            ...textFields,
            ...Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, value: 'x' })),
            pdf(),
          ]),
          contentType: multipartType,
        },
        {
          name: '100,000 text fields',
          payload: form([
            ...textFields,
            ...Array.from({ length: 100_000 }, (_, i) => ({ name: `f${i}`, value: 'x' })),
            pdf(),
          ]),
          contentType: multipartType,
        },
        {
          name: 'file over MAX_UPLOAD_BYTES',
          payload: form([
            ...textFields,
            {
              name: fileField,
              file: {
                filename: 'big.pdf',
                type: 'application/pdf',
                data: Buffer.concat([PDF, Buffer.alloc(t.config.uploads.maxBytes + 1024, 0x20)]),
              },
            },
          ]),
          contentType: multipartType,
        },
      ];
      if (fileRequired)
        cases.push({
          name: 'required file missing',
          payload: form(textFields),
          contentType: multipartType,
        });
      if (!op.body)
        cases.push({
          name: 'JSON instead of a form',
          payload: json(Object.fromEntries(textFields.map((f) => [f.name, f.value]))),
        });
      for (const req of cases) {
        // Upload routes may be throttled per address (public intake): each request comes from its own.
        const actor = actorFor(op);
        const res = await t.app
          .getHttpAdapter()
          .getInstance()
          .inject({
            method: op.method.toUpperCase() as 'POST',
            url: buildPath(op, world.entityId),
            remoteAddress: `10.77.${Math.floor(++ip / 250)}.${ip % 250}`,
            headers: {
              ...(actor ? { authorization: `Bearer ${actor.token}` } : {}),
              ...(req.contentType !== null
                ? { 'content-type': req.contentType ?? 'application/json' }
                : {}),
            },
            payload: req.payload,
          });
        const why = rejection({
          status: res.statusCode,
          contentType: String(res.headers['content-type'] ?? ''),
          body: res.body,
        });
        if (why) failures.push(`${op.label} — ${req.name}: ${why} ${res.body.slice(0, 200)}`);
      }
    }
    process.stdout.write(`hostile input: ${uploads.length} multipart operations attacked\n`);
    expect(failures).toEqual([]);
    expect(await rowCounts(t.db)).toEqual(baseline);
  });

  it('never answers 5xx to SQL metacharacters, NUL bytes or operator strings in valid bodies', async () => {
    const nasty = [
      "' OR '1'='1",
      "'; DROP TABLE users; --",
      'Robert"); DELETE FROM users; --',
      "%_%\\'",
      '$gt',
      '{"$gt":""}',
      'x\u0000y',
      '\ud800',
      '${jndi:ldap://x}',
      '<script>alert(1)</script>',
    ];
    const failures: string[] = [];
    const seen: Record<string, number> = {};
    for (const op of ops.filter(hasJsonBody)) {
      for (const [field, schema] of fields(op)) {
        if (typeOf(schema) !== 'string') continue;
        for (const value of nasty) {
          const res = await send(op, {
            name: field,
            payload: json({ ...validBody(op), [field]: value }),
          });
          seen[res.status] = (seen[res.status] ?? 0) + 1;
          if (res.status >= 500 || (res.status >= 400 && rejection(res))) {
            failures.push(
              `${op.label} — ${field} = ${JSON.stringify(value)}: ${res.status} ${res.body.slice(0, 200)}`,
            );
          }
        }
      }
    }
    // Free-text query parameters (search…): metacharacters, NUL, LIKE wildcards, long values.
    for (const op of ops.filter((o) => o.method === 'get')) {
      for (const p of op.queryParams.filter(
        (q) => typeOf(q.schema) === 'string' && q.name !== 'cursor' && !q.schema?.format,
      )) {
        for (const value of [
          "' OR 1=1 --",
          '%00',
          '%25',
          '_',
          '%5C',
          encodeURIComponent('x\u0000y'),
          'x'.repeat(3000),
          encodeURIComponent('{"$gt":""}'),
        ]) {
          const res = await send(op, {
            name: p.name,
            query: `${encodeURIComponent(p.name)}=${value}`,
          });
          seen[res.status] = (seen[res.status] ?? 0) + 1;
          if (res.status >= 500 || (res.status >= 400 && rejection(res))) {
            failures.push(
              `${op.label} — ?${p.name}=${value.slice(0, 40)}: ${res.status} ${res.body.slice(0, 200)}`,
            );
          }
        }
      }
    }
    for (const op of ops.filter((o) => o.pathParams.length > 0)) {
      for (const value of ["' OR 1=1 --", 'x\u0000y']) {
        const values = Object.fromEntries(
          op.pathParams.filter((p) => p.name !== entityParamOf(op)).map((p) => [p.name, value]),
        );
        if (Object.keys(values).length === 0) continue;
        const res = await send(op, {
          name: 'path',
          path: buildPath(op, world.entityId, values),
          payload: op.body ? json(validBody(op)) : undefined,
        });
        if (res.status >= 500)
          failures.push(
            `${op.label} — path ${JSON.stringify(value)}: ${res.status} ${res.body.slice(0, 200)}`,
          );
      }
    }
    process.stdout.write(
      `hostile input: metacharacter requests answered ${JSON.stringify(seen)}\n`,
    );
    expect(failures).toEqual([]);
    // The tables are all still there and nothing was removed.
    const after = await rowCounts(t.db);
    expect(Object.keys(after)).toEqual(Object.keys(baseline));
    for (const [table, n] of Object.entries(baseline))
      expect(after[table]).toBeGreaterThanOrEqual(n);
  });

  it('generates bodies the API accepts, so each hostile case is the only thing wrong with its request', async () => {
    // Runs after the row-count checks: valid bodies do write. Informational for routes whose
    // validity depends on data (an existing member's email); hard-fails only on a 5xx.
    const refused: string[] = [];
    const failures: string[] = [];
    const bodyOps = ops.filter(hasJsonBody);
    for (const op of bodyOps) {
      const res = await send(op, { name: 'valid', payload: json(validBody(op)) });
      if (res.status >= 500) failures.push(`${op.label}: ${res.status} ${res.body.slice(0, 200)}`);
      else if (res.status === 400 || res.status === 415)
        refused.push(`${op.label}: ${res.body.slice(0, 200)}`);
    }
    if (refused.length)
      process.stdout.write(
        `hostile input: generated body refused by ${refused.length}/${bodyOps.length} operations:\n  ${refused.join('\n  ')}\n`,
      );
    expect(failures).toEqual([]);
    expect(refused.length).toBeLessThanOrEqual(Math.floor(bodyOps.length / 2));
  });

  it('answers over-long URLs and oversized headers on every operation with problem+json, echoing nothing', async () => {
    // Over a real socket: Node's parser answers 431 before Fastify or inject() see a request.
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const raw = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(head));
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => socket.destroy(new Error('no answer in 5 s')));
      });
    const marker = 'ECHOMARKER';
    const failures: string[] = [];
    const check = (
      label: string,
      status: number,
      headers: Record<string, unknown>,
      body: string,
    ) => {
      const why = rejection({ status, contentType: String(headers['content-type'] ?? ''), body });
      if (why) failures.push(`${label}: ${why} ${body.slice(0, 200)}`);
      if (body.includes(marker)) failures.push(`${label}: the body echoes the request`);
      if (!headers['x-request-id']) failures.push(`${label}: no X-Request-Id`);
      if (!headers['content-security-policy']) failures.push(`${label}: no security headers`);
      if (Buffer.byteLength(body) >= 4096) failures.push(`${label}: ${body.length}-byte body`);
    };
    const parse = (text: string) => {
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
    };
    let sent = 0;
    for (const op of ops) {
      const method = op.method.toUpperCase();
      const path = buildPath(op, world.entityId);
      // A path parameter over the router's limit (414).
      const param = op.pathParams.find((p) => p.name !== entityParamOf(op)) ?? op.pathParams[0];
      if (param) {
        const long = buildPath(op, world.entityId, { [param.name]: marker + 'a'.repeat(300) });
        const res = await t.app
          .getHttpAdapter()
          .getInstance()
          .inject({ method: method as 'GET', url: long });
        sent++;
        if (res.statusCode !== 414)
          failures.push(`${op.label} long param: status ${res.statusCode}`);
        check(`${op.label} long param`, res.statusCode, res.headers, res.body);
      }
      // A 20 KB query string, and a 20 KB header (431 from Node's parser).
      for (const [label, head] of [
        [
          '20 KB URL',
          `${method} ${path}?q=${marker}${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        ],
        [
          '20 KB header',
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${marker}${'a'.repeat(20_000)}\r\n\r\n`,
        ],
      ]) {
        const res = parse(await raw(head));
        sent++;
        if (res.status !== 431) failures.push(`${op.label} ${label}: status ${res.status}`);
        check(`${op.label} ${label}`, res.status, res.headers, res.body);
      }
    }
    expect(sent).toBeGreaterThan(ops.length * 2);
    expect(failures).toEqual([]);
  });

  it('leaves Object.prototype untouched', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
