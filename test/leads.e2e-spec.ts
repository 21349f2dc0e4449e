import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FixedClock } from '../src/common/clock/clock';
import { COUNT_CAP } from '../src/leads/dto/list-leads.query.dto';
import { LeadStatus } from '../src/leads/lead.entity';
import { LeadsBulkLoad } from '../src/leads/leads.bulk-load';
import { LeadsService } from '../src/leads/leads.service';
import { doc, docx, odt, pdf, pdfWithHtml, plainZip } from './support/documents';
import { addMember, createEntity, registerUser, TestUser } from './support/identity';
import { runCli } from './support/cli';
import { createScratchDatabase } from './support/databases';
import { startTestApp, TestApp, testTarget } from './support/test-app';

const MAX_BYTES = 64 * 1024;
const PROBLEM = /^application\/problem\+json/;

/** Files under the upload dir (recursively), temp area included. */
function storedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

describe('leads', () => {
  let t: TestApp;
  let uploads: string;
  const clock = new FixedClock(new Date());
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let entityId: string;
  let otherEntityId: string;
  let seq = 0;

  const url = (path = '', entity = entityId) => `/v1/entities/${entity}/leads${path}`;
  const leadCount = async () => Number((await t.db.query('SELECT COUNT(*) AS n FROM leads'))[0].n);
  const newLead = async (overrides: Record<string, unknown> = {}, who: TestUser = member) => {
    clock.advance(1000);
    seq++;
    const res = await t.http
      .post(url())
      .set(who.auth)
      .send({
        firstName: `First${seq}`,
        lastName: `Last${seq}`,
        email: `lead${seq}@example.com`,
        ...overrides,
      });
    expect(res.status).toBe(201);
    return res.body;
  };
  const upload = (
    fields: Record<string, string>,
    file?: { data: Buffer; filename?: string; filepath?: string; contentType?: string },
    who = member,
  ) => {
    clock.advance(1000);
    let req = t.http.post(url()).set(who.auth);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) {
      req = req.attach('resume', file.data, {
        filename: file.filename ?? 'cv.pdf',
        contentType: file.contentType ?? 'application/pdf',
        ...(file.filepath ? { filepath: file.filepath } : {}),
      } as never);
    }
    return req;
  };
  const fields = (n: string) => ({
    firstName: 'Up',
    lastName: `Loader${n}`,
    email: `upload-${n}@example.com`,
  });

  beforeAll(async () => {
    uploads = mkdtempSync(join(tmpdir(), 'cs-leads-'));
    t = await startTestApp({
      label: 'leads',
      clock,
      env: { UPLOAD_DIR: uploads, MAX_UPLOAD_BYTES: String(MAX_BYTES) },
    });
    owner = await registerUser(t.http);
    admin = await registerUser(t.http);
    member = await registerUser(t.http);
    outsider = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
    otherEntityId = await createEntity(t.http, outsider);
    await addMember(t.http, owner, entityId, admin, 'admin');
    await addMember(t.http, owner, entityId, member, 'member');
  });

  afterAll(async () => {
    await t?.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  describe('create (JSON)', () => {
    it('creates a lead with the email lower-cased, PENDING, no resume', async () => {
      const body = await newLead({
        firstName: '  Ada ',
        lastName: 'Lovelace',
        email: 'Ada.Lovelace@Example.COM',
        notes: 'met at a fair',
      });
      expect(body).toMatchObject({
        entityId,
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada.lovelace@example.com',
        status: 'PENDING',
        reachedOutAt: null,
        notes: 'met at a fair',
        resume: null,
      });
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body).not.toHaveProperty('resumePath');
      const rows = await t.db.query(`SELECT email, entity_id FROM leads WHERE id = '${body.id}'`);
      expect(rows).toEqual([{ email: 'ada.lovelace@example.com', entity_id: entityId }]);
    });

    it('answers 409 to a duplicate email in the same entity, whatever its case', async () => {
      await newLead({ email: 'dup@example.com' });
      const res = await t.http
        .post(url())
        .set(member.auth)
        .send({ firstName: 'A', lastName: 'B', email: 'DUP@example.com' });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it('accepts the same email in another entity', async () => {
      const res = await t.http
        .post(url('', otherEntityId))
        .set(outsider.auth)
        .send({ firstName: 'A', lastName: 'B', email: 'dup@example.com' });
      expect(res.status).toBe(201);
    });

    it('lets exactly one of ten concurrent duplicate submissions through', async () => {
      const body = { firstName: 'Race', lastName: 'Condition', email: 'race@example.com' };
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http.post(url()).set(member.auth).send(body)),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(9);
      const rows = await t.db.query(
        `SELECT COUNT(*) AS n FROM leads WHERE email = 'race@example.com'`,
      );
      expect(Number(rows[0].n)).toBe(1);
    });

    it.each([
      ['missing fields', { firstName: 'A' }, 'lastName'],
      [
        'an email with spaces',
        { firstName: 'A', lastName: 'B', email: 'a b@example.com' },
        'email',
      ],
      [
        'an unknown field',
        { firstName: 'A', lastName: 'B', email: 'x1@example.com', role: 'admin' },
        'role',
      ],
      [
        'a status on create',
        { firstName: 'A', lastName: 'B', email: 'x2@example.com', status: 'REACHED_OUT' },
        'status',
      ],
      [
        'a blank first name',
        { firstName: '   ', lastName: 'B', email: 'x3@example.com' },
        'firstName',
      ],
      [
        'a 101-character last name',
        { firstName: 'A', lastName: 'x'.repeat(101), email: 'x4@example.com' },
        'lastName',
      ],
      [
        '5,001 characters of notes',
        { firstName: 'A', lastName: 'B', email: 'x5@example.com', notes: 'n'.repeat(5001) },
        'notes',
      ],
      [
        'a number for a name',
        { firstName: 42, lastName: 'B', email: 'x6@example.com' },
        'firstName',
      ],
      [
        'a NUL character in a name',
        { firstName: 'A\u0000B', lastName: 'B', email: 'x7@example.com' },
        null,
      ],
      ['a JSON array body', [{ firstName: 'A', lastName: 'B', email: 'x8@example.com' }], 'body'],
    ])('answers 400 to %s and writes nothing', async (_, body, field) => {
      const before = await leadCount();
      const res = await t.http.post(url()).set(member.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await leadCount()).toBe(before);
    });

    it('answers 415 to a body that is neither JSON nor multipart', async () => {
      const res = await t.http
        .post(url())
        .set(member.auth)
        .set('Content-Type', 'text/plain')
        .send('firstName=A');
      expect(res.status).toBe(415);
    });
  });

  describe('create (multipart) and resumes', () => {
    it.each([
      ['PDF', pdf(), 'application/pdf', 'cv.pdf'],
      [
        'DOCX',
        docx(),
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'cv.docx',
      ],
      ['ODT', odt(), 'application/vnd.oasis.opendocument.text', 'cv.odt'],
      ['DOC', doc(), 'application/msword', 'cv.doc'],
    ])(
      'stores a %s resume under a generated key and serves it back as an attachment',
      async (kind, data, type, filename) => {
        const res = await upload(
          { ...fields(kind), notes: 'via form' },
          { data, filename, contentType: 'text/html' },
        );
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({
          email: `upload-${kind.toLowerCase()}@example.com`,
          notes: 'via form',
        });
        expect(res.body.resume).toEqual({
          contentType: type,
          size: data.length,
          fileName: filename,
        });
        const [row] = await t.db.query(`SELECT resume_path FROM leads WHERE id = '${res.body.id}'`);
        expect(row.resume_path).toMatch(
          new RegExp(`^resumes/[0-9a-f-]{36}\\.${filename.split('.')[1]}$`),
        );
        expect(existsSync(join(uploads, row.resume_path))).toBe(true);

        const file = await t.http
          .get(url(`/${res.body.id}/resume`))
          .set(member.auth)
          .buffer(true)
          .parse((r, cb) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => cb(null, Buffer.concat(chunks)));
          });
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe(type);
        expect(file.headers['content-disposition']).toMatch(/^attachment; filename="cv\.\w+"/);
        expect(file.headers['x-content-type-options']).toBe('nosniff');
        expect(Buffer.compare(file.body as Buffer, data)).toBe(0);
      },
    );

    it('accepts a form without a file (resume is optional for members)', async () => {
      const res = await upload(fields('nofile'));
      expect(res.status).toBe(201);
      expect(res.body.resume).toBeNull();
      const missing = await t.http.get(url(`/${res.body.id}/resume`)).set(member.auth);
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toMatch(PROBLEM);
    });

    it('keeps a non-ASCII file name as metadata and encodes it in Content-Disposition', async () => {
      const res = await upload(fields('unicode'), {
        data: pdf(),
        filename: 'Lebenslauf Müller.pdf',
      });
      expect(res.status).toBe(201);
      expect(res.body.resume.fileName).toBe('Lebenslauf Müller.pdf');
      const file = await t.http.get(url(`/${res.body.id}/resume`)).set(member.auth);
      expect(file.headers['content-disposition']).toBe(
        `attachment; filename="Lebenslauf M_ller.pdf"; filename*=UTF-8''${encodeURIComponent('Lebenslauf Müller.pdf')}`,
      );
    });

    describe('refuses bad uploads with problem+json and leaves no row and no file', () => {
      const cases: Array<[string, () => ReturnType<typeof upload>, number]> = [
        [
          'a text file claiming to be a PDF',
          () => upload(fields('txt'), { data: Buffer.from('just some text, not a pdf at all') }),
          415,
        ],
        [
          'a PDF header on an HTML page',
          () => upload(fields('html'), { data: pdfWithHtml() }),
          415,
        ],
        [
          'a PDF with an HTML page after its first KiB',
          () =>
            upload(fields('latehtml'), {
              data: pdf(`${'(padding) Tj '.repeat(200)}<html><script>alert(1)</script></html>`),
            }),
          415,
        ],
        [
          'a file name with a right-to-left override (cv\u202Efdp.exe shows as cvexe.pdf)',
          () => upload(fields('bidi'), { data: pdf(), filename: 'cv\u202Efdp.exe' }),
          400,
        ],
        [
          'a file name with a C1 control character',
          () => upload(fields('c1'), { data: pdf(), filename: 'cv\u0085.pdf' }),
          400,
        ],
        [
          'a zip that is not a document',
          () => upload(fields('zip'), { data: plainZip(), filename: 'cv.docx' }),
          415,
        ],
        [
          'a PDF without its %%EOF trailer',
          () => upload(fields('trunc'), { data: pdf().subarray(0, 40) }),
          415,
        ],
        ['a zero-byte file', () => upload(fields('empty'), { data: Buffer.alloc(0) }), 400],
        [
          'a file over MAX_UPLOAD_BYTES',
          () => upload(fields('big'), { data: Buffer.concat([pdf(), Buffer.alloc(MAX_BYTES)]) }),
          413,
        ],
        [
          'a path-traversal file name',
          () => upload(fields('trav'), { data: pdf(), filepath: '../../etc/passwd' }),
          400,
        ],
        [
          'a file under another field name',
          () => {
            clock.advance(1000);
            return t.http
              .post(url())
              .set(member.auth)
              .field('firstName', 'A')
              .field('lastName', 'B')
              .field('email', 'ff@example.com')
              .attach('avatar', pdf(), 'cv.pdf');
          },
          400,
        ],
        [
          'two files',
          () => {
            clock.advance(1000);
            return t.http
              .post(url())
              .set(member.auth)
              .field('firstName', 'A')
              .field('lastName', 'B')
              .field('email', 'two@example.com')
              .attach('resume', pdf(), 'a.pdf')
              .attach('resume', pdf(), 'b.pdf');
          },
          413,
        ],
        [
          'an invalid email next to a valid file',
          () => upload({ ...fields('bademail'), email: 'not an email' }, { data: pdf() }),
          400,
        ],
        [
          'an unknown field next to a valid file',
          () => upload({ ...fields('unknown'), isAdmin: 'true' }, { data: pdf() }),
          400,
        ],
        [
          'a NUL character in a form field',
          () => upload({ ...fields('nul'), firstName: 'A\u0000B' }, { data: pdf() }),
          400,
        ],
        [
          'a missing last name next to a valid file',
          () => upload({ firstName: 'A', email: 'nolast@example.com' }, { data: pdf() }),
          400,
        ],
      ];
      it.each(cases)('%s', async (_, send, status) => {
        const before = await leadCount();
        const filesBefore = storedFiles(uploads).length;
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(await leadCount()).toBe(before);
        expect(storedFiles(uploads)).toHaveLength(filesBefore);
      });
    });

    it('removes the stored file when the row cannot be inserted (duplicate email)', async () => {
      await newLead({ email: 'dup-file@example.com' });
      const filesBefore = storedFiles(uploads).length;
      const res = await upload(
        { firstName: 'A', lastName: 'B', email: 'dup-file@example.com' },
        { data: pdf() },
      );
      expect(res.status).toBe(409);
      expect(storedFiles(uploads)).toHaveLength(filesBefore);
    });
  });

  describe('list', () => {
    let listEntity: string;
    let listOwner: TestUser;
    const list = (query: string) =>
      t.http.get(`${url('', listEntity)}?${query}`).set(listOwner.auth);
    const people = [
      ['Maria', 'Smith', 'maria.smith@example.com'],
      ['John', 'Smithers', 'jsm@example.com'],
      ['Anna', 'Blacksmith', 'anna@example.org'],
      ['Peter', 'Jones', 'peter.jones@smithco.example'],
      ['Zoe', 'Perc%ent', 'zoe@example.com'],
      ['Yan', 'Under_score', 'yan@example.com'],
      ['Liam', "O'Brien", 'liam@example.com'],
      ['Noah', 'Underxscore', 'noah@example.com'],
      ['Emma', 'Percxent', 'emma@example.com'],
      ['Olga', 'Back\\slash', 'olga@example.com'],
    ];
    const ids: string[] = [];

    beforeAll(async () => {
      listOwner = await registerUser(t.http);
      listEntity = await createEntity(t.http, listOwner);
      for (const [firstName, lastName, email] of people) {
        clock.advance(1000);
        const res = await t.http
          .post(url('', listEntity))
          .set(listOwner.auth)
          .send({ firstName, lastName, email });
        expect(res.status).toBe(201);
        ids.unshift(res.body.id); // newest first
      }
    });

    it('lists newest first and pages with the cursor without repeats or gaps', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await list(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(ids);
      expect(pages).toBe(4);
    });

    it('defaults to 20 items and answers {items, nextCursor}', async () => {
      const res = await list('');
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.items).toHaveLength(people.length);
      expect(res.body.nextCursor).toBeNull();
    });

    it.each([
      ['smith', ['Maria Smith', 'John Smithers', 'Anna Blacksmith', 'Peter Jones']],
      ['SMITH', ['Maria Smith', 'John Smithers', 'Anna Blacksmith', 'Peter Jones']],
      ['example.org', ['Anna Blacksmith']],
      ['%', ['Zoe Perc%ent']],
      ['_', ['Yan Under_score']],
      ["'", ["Liam O'Brien"]],
      ['\\', ['Olga Back\\slash']],
      ["' OR 1=1 --", []],
      ['zzzq', []],
    ])(
      'searches first name, last name and email case-insensitively: %s',
      async (search, expected) => {
        const res = await list(`search=${encodeURIComponent(search)}`);
        expect(res.status).toBe(200);
        const names = res.body.items.map(
          (i: { firstName: string; lastName: string }) => `${i.firstName} ${i.lastName}`,
        );
        expect(names.sort()).toEqual([...expected].sort());
      },
    );

    it('pages search results with the cursor', async () => {
      const first = await list('search=smith&limit=2');
      expect(first.body.items).toHaveLength(2);
      const second = await list(`search=smith&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items).toHaveLength(2);
      expect(second.body.nextCursor).toBeNull();
      const all = [...first.body.items, ...second.body.items].map((i: { id: string }) => i.id);
      expect(new Set(all).size).toBe(4);
    });

    it('filters by status and by creation time', async () => {
      await t.http
        .patch(`${url('', listEntity)}/${ids[0]}`)
        .set(listOwner.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(200);
      const reached = await list('status=REACHED_OUT');
      expect(reached.body.items.map((i: { id: string }) => i.id)).toEqual([ids[0]]);
      const pending = await list('status=PENDING');
      expect(pending.body.items).toHaveLength(people.length - 1);

      const all = (await list('limit=100')).body.items;
      const from = all[3].createdAt;
      const to = all[1].createdAt;
      const window = await list(
        `createdFrom=${encodeURIComponent(from)}&createdTo=${encodeURIComponent(to)}`,
      );
      expect(window.body.items.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[3]]);
    });

    it('answers numbered pages with total', async () => {
      const res = await list('page=2&limit=4');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        total: people.length,
        totalIsEstimate: false,
        page: 2,
        limit: 4,
      });
      expect(res.body.items.map((i: { id: string }) => i.id)).toEqual(ids.slice(4, 8));
      const searched = await list('page=1&limit=2&search=smith');
      expect(searched.body.total).toBe(4);
      expect(searched.body.items).toHaveLength(2);
      const beyond = await list('page=9&limit=4');
      expect(beyond.body).toMatchObject({ items: [], total: people.length });
    });

    it('counts exactly up to 10,000 matches, then answers total 10,000 with totalIsEstimate', async () => {
      const big = await createEntity(t.http, owner);
      const base = clock.now().getTime() - 86_400_000;
      const rows = Array.from({ length: COUNT_CAP + 10 }, (_, i) => {
        const at = new Date(base + i);
        return {
          id: randomUUID(),
          entityId: big,
          firstName: i < 7 ? 'Rare' : 'Common',
          lastName: `Name${i}`,
          email: `bulk-${i}@example.com`,
          resumePath: null,
          resumeContentType: null,
          resumeSize: null,
          resumeFileName: null,
          status: (i < 3 ? 'REACHED_OUT' : 'PENDING') as LeadStatus,
          reachedOutAt: i < 3 ? at : null,
          notes: null,
          createdAt: at,
          updatedAt: at,
        };
      });
      await t.app.get(LeadsBulkLoad).insertBatch(rows);
      const page = (query: string) =>
        t.http
          .get(`${url('', big)}?page=1&limit=5&${query}`)
          .set(owner.auth)
          .expect(200);
      expect((await page('')).body).toMatchObject({ total: COUNT_CAP, totalIsEstimate: true });
      expect((await page('search=common')).body).toMatchObject({
        total: COUNT_CAP,
        totalIsEstimate: true,
      });
      expect((await page('search=rare')).body).toMatchObject({ total: 7, totalIsEstimate: false });
      expect((await page('status=REACHED_OUT')).body).toMatchObject({
        total: 3,
        totalIsEstimate: false,
      });
      // 10,007 pending: over the cap. Seven fewer: exactly at the cap, which is still exact.
      expect((await page('status=PENDING')).body).toMatchObject({
        total: COUNT_CAP,
        totalIsEstimate: true,
      });
      await t.db.query(
        `DELETE FROM leads WHERE entity_id = '${big}' AND last_name IN (${[3, 4, 5, 6, 7, 8, 9].map((i) => `'Name${i}'`).join(', ')})`,
      );
      expect((await page('status=PENDING')).body).toMatchObject({
        total: COUNT_CAP,
        totalIsEstimate: false,
      });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1000', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=abc', 'limit'],
      ['status=DONE', 'status'],
      [`search=${'x'.repeat(10 * 1024)}`, 'search'],
      ['cursor=not-a-cursor', 'cursor'],
      [
        `cursor=${Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', "1' OR '1'='1"])).toString('base64url')}`,
        'cursor',
      ],
      ['cursor=abc$', 'cursor'],
      ['page=101&limit=100', 'page'],
      ['page=0', 'page'],
      ['page=1&cursor=eyJ4IjoxfQ', 'page'],
      ['createdFrom=yesterday', 'createdFrom'],
      ['search=a%00b', 'search'],
      ['unknown=1', 'unknown'],
      ['status=PENDING&status=REACHED_OUT', 'status'],
    ])('answers 400 to %s', async (query, field) => {
      const res = await list(query);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      if (res.body.errors)
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('accepts page × limit = 10,000 exactly', async () => {
      const res = await list('page=100&limit=100');
      expect(res.status).toBe(200);
    });

    it("accepts a well-formed cursor from another entity's list without leaking its rows", async () => {
      const foreign = await t.http.get(`${url('', entityId)}?limit=1`).set(member.auth);
      const res = await list(`cursor=${foreign.body.nextCursor}`);
      expect(res.status).toBe(200);
      for (const item of res.body.items) expect(item.entityId).toBe(listEntity);
    });
  });

  describe('get, update and the status rule', () => {
    it('gets a lead; 404 for an unknown id; 400 for a malformed id', async () => {
      const lead = await newLead();
      const res = await t.http
        .get(url(`/${lead.id}`))
        .set(member.auth)
        .expect(200);
      expect(res.body).toEqual(lead);
      await t.http.get(url('/00000000-0000-4000-8000-000000000000')).set(member.auth).expect(404);
      await t.http.get(url('/not-a-uuid')).set(member.auth).expect(400);
    });

    it('updates fields; email stays unique and lower-cased', async () => {
      const lead = await newLead();
      const other = await newLead();
      clock.advance(1000);
      const res = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({
          firstName: 'Grace',
          lastName: 'Hopper',
          email: 'Grace@Example.com',
          notes: 'navy',
        });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace@example.com',
        notes: 'navy',
      });
      expect(new Date(res.body.updatedAt).getTime()).toBe(clock.now().getTime());
      const cleared = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({ notes: null })
        .expect(200);
      expect(cleared.body.notes).toBeNull();
      const dup = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({ email: other.email });
      expect(dup.status).toBe(409);
    });

    it.each([
      [{ status: 'DONE' }, 'status'],
      [{ status: null }, 'status'],
      [{ firstName: null }, 'firstName'],
      [{ email: 'a b@example.com' }, 'email'],
      [{ reachedOutAt: '2020-01-01T00:00:00Z' }, 'reachedOutAt'],
      [{ entityId: '00000000-0000-4000-8000-000000000000' }, 'entityId'],
    ])('answers 400 to %j', async (body, field) => {
      const lead = await newLead();
      const res = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      const after = await t.http.get(url(`/${lead.id}`)).set(member.auth);
      expect(after.body).toEqual(lead);
    });

    it('sets reachedOutAt on PENDING → REACHED_OUT, keeps it on a repeat, clears it on the way back', async () => {
      const lead = await newLead();
      clock.advance(60_000);
      const reachedAt = clock.now().toISOString();
      const reached = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(200);
      expect(reached.body).toMatchObject({ status: 'REACHED_OUT', reachedOutAt: reachedAt });

      clock.advance(60_000);
      const again = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({ status: 'REACHED_OUT', notes: 'called twice' })
        .expect(200);
      expect(again.body).toMatchObject({
        status: 'REACHED_OUT',
        reachedOutAt: reachedAt,
        notes: 'called twice',
      });

      const back = await t.http
        .patch(url(`/${lead.id}`))
        .set(member.auth)
        .send({ status: 'PENDING' })
        .expect(200);
      expect(back.body).toMatchObject({ status: 'PENDING', reachedOutAt: null });
      const [row] = await t.db.query(
        `SELECT status, reached_out_at FROM leads WHERE id = '${lead.id}'`,
      );
      expect(row).toEqual({ status: 'PENDING', reached_out_at: null });
    });

    it('answers 404 when patching a lead that does not exist', async () => {
      await t.http
        .patch(url('/00000000-0000-4000-8000-000000000000'))
        .set(member.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(404);
      await t.http
        .patch(url('/00000000-0000-4000-8000-000000000000'))
        .set(member.auth)
        .send({ notes: 'x' })
        .expect(404);
    });
  });

  describe('stats and recent', () => {
    let statsEntity: string;
    let statsOwner: TestUser;
    beforeAll(async () => {
      statsOwner = await registerUser(t.http);
      statsEntity = await createEntity(t.http, statsOwner);
    });
    const make = async (email: string) => {
      clock.advance(1000);
      const res = await t.http
        .post(url('', statsEntity))
        .set(statsOwner.auth)
        .send({ firstName: 'S', lastName: 'T', email });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };

    it('counts by status and the leads reached out to in the last 7 days', async () => {
      // Move back in time for the old lead (moving forward would expire the tokens, which use the same clock).
      const now = clock.now().getTime();
      clock.set(new Date(now - 8 * 24 * 3600 * 1000));
      const old = await make('old@example.com');
      await t.http
        .patch(`${url('', statsEntity)}/${old}`)
        .set(statsOwner.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(200);
      clock.set(new Date(now));
      const fresh = await make('fresh@example.com');
      await t.http
        .patch(`${url('', statsEntity)}/${fresh}`)
        .set(statsOwner.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(200);
      await make('pending@example.com');
      const res = await t.http.get(url('/stats', statsEntity)).set(statsOwner.auth).expect(200);
      expect(res.body).toEqual({
        total: 3,
        byStatus: { PENDING: 1, REACHED_OUT: 2 },
        reachedOutLast7Days: 1,
      });
      const empty = await t.http.get(url('/stats', otherEntityId)).set(outsider.auth).expect(200);
      expect(empty.body.byStatus).toEqual({ PENDING: expect.any(Number), REACHED_OUT: 0 });
    });

    it('lists the leads created in the last N days', async () => {
      const week = await t.http
        .get(`${url('/recent', statsEntity)}?days=7`)
        .set(statsOwner.auth)
        .expect(200);
      expect(week.body.items.map((i: { email: string }) => i.email)).toEqual([
        'pending@example.com',
        'fresh@example.com',
      ]);
      const month = await t.http
        .get(`${url('/recent', statsEntity)}?days=30&limit=1`)
        .set(statsOwner.auth)
        .expect(200);
      expect(month.body.items).toHaveLength(1);
      expect(month.body.nextCursor).toEqual(expect.any(String));
      const defaults = await t.http
        .get(url('/recent', statsEntity))
        .set(statsOwner.auth)
        .expect(200);
      expect(defaults.body.items).toHaveLength(2);
      for (const days of ['0', '366', '-1', 'abc']) {
        await t.http
          .get(`${url('/recent', statsEntity)}?days=${days}`)
          .set(statsOwner.auth)
          .expect(400);
      }
    });
  });

  describe('delete', () => {
    it('is for admins and owners: a member gets 403 and the lead stays', async () => {
      const lead = await newLead();
      await t.http
        .delete(url(`/${lead.id}`))
        .set(member.auth)
        .expect(403);
      await t.http
        .get(url(`/${lead.id}`))
        .set(member.auth)
        .expect(200);
    });

    it('deletes the row and the stored resume', async () => {
      const res = await upload(fields('todelete'), { data: pdf() });
      expect(res.status).toBe(201);
      const [row] = await t.db.query(`SELECT resume_path FROM leads WHERE id = '${res.body.id}'`);
      const path = join(uploads, row.resume_path);
      expect(existsSync(path)).toBe(true);
      await t.http
        .delete(url(`/${res.body.id}`))
        .set(admin.auth)
        .expect(204);
      expect(existsSync(path)).toBe(false);
      await t.http
        .get(url(`/${res.body.id}`))
        .set(member.auth)
        .expect(404);
      await t.http
        .get(url(`/${res.body.id}/resume`))
        .set(member.auth)
        .expect(404);
      await t.http
        .delete(url(`/${res.body.id}`))
        .set(owner.auth)
        .expect(404);
    });
  });

  describe('deleting an entity', () => {
    /** A new entity of the owner with `n` leads that have a resume; its id and the files' paths. */
    async function entityWithResumes(n: number): Promise<{ id: string; paths: string[] }> {
      const id = await createEntity(t.http, owner);
      for (let i = 0; i < n; i++) {
        clock.advance(1000);
        await t.http
          .post(url('', id))
          .set(owner.auth)
          .field('firstName', 'Gone')
          .field('lastName', `Soon${i}`)
          .field('email', `gone-${id.slice(0, 8)}-${i}@example.com`)
          .attach('resume', pdf(), 'cv.pdf')
          .expect(201);
      }
      const rows = await t.db.query(
        `SELECT resume_path FROM leads WHERE entity_id = '${id}' AND resume_path IS NOT NULL`,
      );
      const paths = rows.map((r: { resume_path: string }) => join(uploads, r.resume_path));
      expect(paths).toHaveLength(n);
      for (const path of paths) expect(existsSync(path)).toBe(true);
      return { id, paths };
    }
    const resumeColumns = (id: string) =>
      t.db.query(
        `SELECT resume_path, resume_content_type, resume_size, resume_file_name FROM leads WHERE entity_id = '${id}'`,
      );

    it('purges the resumes of its leads (files and columns) and leaves other entities alone', async () => {
      const keptFiles = storedFiles(uploads).length;
      const doomed = await entityWithResumes(3);
      await t.http.delete(`/v1/entities/${doomed.id}`).set(owner.auth).expect(204);
      for (const path of doomed.paths) expect(existsSync(path)).toBe(false);
      const columns = await resumeColumns(doomed.id);
      expect(columns).toHaveLength(3); // the rows stay, as the entity itself does (soft delete)
      for (const row of columns) expect(Object.values(row)).toEqual([null, null, null, null]);
      expect(storedFiles(uploads)).toHaveLength(keptFiles);
    });

    it('the cleanup sweep purges resumes a deletion left behind (a purge cut short)', async () => {
      const doomed = await entityWithResumes(2);
      // The entity deleted without its purge, as when the process died in between.
      await t.db.query(
        `UPDATE entities SET is_active = ${testTarget === 'postgres' ? 'false' : '0'} WHERE id = '${doomed.id}'`,
      );
      const service = t.app.get(LeadsService);
      expect(await service.purgeResumesOfDeletedEntities()).toBe(2);
      for (const path of doomed.paths) expect(existsSync(path)).toBe(false);
      expect(await service.purgeResumesOfDeletedEntities()).toBe(0);
      const [live] = await t.db.query(
        `SELECT COUNT(*) AS n FROM leads WHERE entity_id = '${entityId}' AND resume_path IS NOT NULL`,
      );
      expect(Number(live.n)).toBeGreaterThan(0); // the live entity's resumes are untouched
    });
  });

  describe('public intake edge cases', () => {
    it('answers 404 for a deleted entity and stores nothing', async () => {
      const doomed = await createEntity(t.http, owner);
      await t.http.delete(`/v1/entities/${doomed}`).set(owner.auth).expect(204);
      const filesBefore = storedFiles(uploads).length;
      const res = await t.http
        .post(`/v1/public/entities/${doomed}/leads`)
        .field('firstName', 'A')
        .field('lastName', 'B')
        .field('email', 'gone@example.com')
        .attach('resume', pdf(), 'cv.pdf');
      expect(res.status).toBe(404);
      expect(storedFiles(uploads)).toHaveLength(filesBefore);
      await t.http.get(url('', doomed)).set(owner.auth).expect(404);
    });

    it('refuses a resume that is not a document (415) and keeps nothing', async () => {
      const before = await leadCount();
      const filesBefore = storedFiles(uploads).length;
      const res = await t.http
        .post(`/v1/public/entities/${entityId}/leads`)
        .field('firstName', 'A')
        .field('lastName', 'B')
        .field('email', 'html@example.com')
        .attach('resume', Buffer.from('<html><script>alert(1)</script></html>'), {
          filename: 'cv.pdf',
          contentType: 'application/pdf',
        });
      expect(res.status).toBe(415);
      expect(await leadCount()).toBe(before);
      expect(storedFiles(uploads)).toHaveLength(filesBefore);
    });

    it('answers 400 to a malformed entity id', async () => {
      await t.http.post('/v1/public/entities/not-a-uuid/leads').field('firstName', 'A').expect(400);
    });
  });

  describe('tenant isolation and authentication', () => {
    let lead: { id: string };
    beforeAll(async () => {
      const res = await upload(fields('isolated'), { data: pdf() });
      lead = res.body;
    });

    it.each([
      ['list', 'get', ''],
      ['get', 'get', '/LEAD'],
      ['resume', 'get', '/LEAD/resume'],
      ['stats', 'get', '/stats'],
      ['recent', 'get', '/recent'],
      ['patch', 'patch', '/LEAD'],
      ['delete', 'delete', '/LEAD'],
      ['create', 'post', ''],
    ])('answers 404 to a member of another entity (%s)', async (_, method, path) => {
      const res = await (
        t.http as unknown as Record<string, (u: string) => ReturnType<TestApp['http']['get']>>
      )
        [method](url(path.replace('LEAD', lead.id)))
        .set(outsider.auth)
        .send(
          method === 'patch'
            ? { notes: 'x' }
            : method === 'post'
              ? { firstName: 'a', lastName: 'b', email: 'iso@example.com' }
              : undefined,
        );
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it("answers 404 when a lead of A is asked for under the outsider's own entity B", async () => {
      await t.http
        .get(url(`/${lead.id}`, otherEntityId))
        .set(outsider.auth)
        .expect(404);
      await t.http
        .get(url(`/${lead.id}/resume`, otherEntityId))
        .set(outsider.auth)
        .expect(404);
      await t.http
        .patch(url(`/${lead.id}`, otherEntityId))
        .set(outsider.auth)
        .send({ status: 'REACHED_OUT' })
        .expect(404);
      await t.http
        .delete(url(`/${lead.id}`, otherEntityId))
        .set(outsider.auth)
        .expect(404);
      const listed = await t.http.get(url('', otherEntityId)).set(outsider.auth).expect(200);
      expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(lead.id);
      const [row] = await t.db.query(`SELECT status FROM leads WHERE id = '${lead.id}'`);
      expect(row.status).toBe('PENDING');
    });

    it('answers 401 without credentials', async () => {
      await t.http.get(url()).expect(401);
      await t.http.get(url(`/${lead.id}/resume`)).expect(401);
    });
  });
});

describe('public lead intake', () => {
  let t: TestApp;
  let uploads: string;
  let owner: TestUser;
  let entityId: string;
  const intake = (entity: string) => t.http.post(`/v1/public/entities/${entity}/leads`);

  beforeAll(async () => {
    uploads = mkdtempSync(join(tmpdir(), 'cs-intake-'));
    t = await startTestApp({ label: 'intake', env: { UPLOAD_DIR: uploads } });
    owner = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('validates, then answers 201 with only {id, createdAt}, then throttles at 5 a minute per IP', async () => {
    // 1: no resume
    const noResume = await intake(entityId)
      .field('firstName', 'A')
      .field('lastName', 'B')
      .field('email', 'a@example.com');
    expect(noResume.status).toBe(400);
    expect(noResume.body.errors).toEqual([{ field: 'resume', message: 'is required' }]);
    // 2: JSON is not accepted here
    const json = await intake(entityId).send({
      firstName: 'A',
      lastName: 'B',
      email: 'a@example.com',
    });
    expect(json.status).toBe(415);
    // 3: unknown entity
    const unknown = await intake('00000000-0000-4000-8000-000000000000')
      .field('firstName', 'A')
      .field('lastName', 'B')
      .field('email', 'a@example.com')
      .attach('resume', pdf(), 'cv.pdf');
    expect(unknown.status).toBe(404);
    expect(storedFiles(uploads)).toHaveLength(0);
    // 4: accepted
    const ok = await intake(entityId)
      .field('firstName', 'Pub')
      .field('lastName', 'Lic')
      .field('email', 'Public@Example.com')
      .attach('resume', pdf(), 'cv.pdf');
    expect(ok.status).toBe(201);
    expect(Object.keys(ok.body).sort()).toEqual(['createdAt', 'id']);
    const lead = await t.http
      .get(`/v1/entities/${entityId}/leads/${ok.body.id}`)
      .set(owner.auth)
      .expect(200);
    expect(lead.body).toMatchObject({
      email: 'public@example.com',
      resume: { contentType: 'application/pdf' },
    });
    // 5: duplicate → 409, file cleaned up
    const dup = await intake(entityId)
      .field('firstName', 'Pub')
      .field('lastName', 'Lic')
      .field('email', 'public@example.com')
      .attach('resume', pdf(), 'cv.pdf');
    expect(dup.status).toBe(409);
    expect(storedFiles(uploads)).toHaveLength(1);
    // 6: over the limit
    const limited = await intake(entityId)
      .field('firstName', 'X')
      .field('lastName', 'Y')
      .field('email', 'x@example.com')
      .attach('resume', pdf(), 'cv.pdf');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(storedFiles(uploads)).toHaveLength(1);
  });
});

describe('uploads at the default limit (MAX_UPLOAD_BYTES = 5 MiB)', () => {
  let t: TestApp;
  let dir: string;
  let owner: TestUser;
  let entityId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cs-big-'));
    t = await startTestApp({ label: 'uploads', env: { UPLOAD_DIR: dir } });
    owner = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (data: Buffer, email: string) =>
    t.http
      .post(`/v1/entities/${entityId}/leads`)
      .set(owner.auth)
      .field('firstName', 'Big')
      .field('lastName', 'File')
      .field('email', email)
      .attach('resume', data, 'cv.pdf');

  it('accepts a 4 MiB resume (far above the 1 MiB JSON body limit) and streams it back intact', async () => {
    const data = pdf('x'.repeat(4 * 1024 * 1024));
    const res = await send(data, 'big@example.com');
    expect(res.status).toBe(201);
    expect(res.body.resume.size).toBe(data.length);
    const file = await t.http
      .get(`/v1/entities/${entityId}/leads/${res.body.id}/resume`)
      .set(owner.auth)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(file.status).toBe(200);
    expect(file.headers['content-length']).toBe(String(data.length));
    expect(Buffer.compare(file.body as Buffer, data)).toBe(0);
  });

  it('answers 413 just over 5 MiB and keeps nothing', async () => {
    const res = await send(pdf('x'.repeat(5 * 1024 * 1024)), 'toobig@example.com');
    expect(res.status).toBe(413);
    expect(storedFiles(dir)).toHaveLength(1);
  });
});

describe('seed-demo CLI', () => {
  let t: TestApp;
  let dir: string;
  let dropScratch = async () => undefined as void;
  let entityId: string;
  let owner: TestUser;

  const cli = (args: string[]) => runCli(t.config.database.url, args);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cs-seed-'));
    let url = `sqlite:${join(dir, 'seed.sqlite')}`;
    if (testTarget === 'postgres') {
      const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, 'seed');
      url = scratch.url;
      dropScratch = scratch.drop;
    }
    t = await startTestApp({
      label: 'seed',
      env: { DATABASE_URL: url, UPLOAD_DIR: join(dir, 'uploads') },
    });
    owner = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
  });
  afterAll(async () => {
    await t?.close();
    await dropScratch();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inserts N leads in batches (dropping and rebuilding the secondary indexes on PostgreSQL)', async () => {
    const run = cli([
      'seed-demo',
      '--leads',
      '2500',
      '--entity',
      entityId,
      '--batch',
      '1000',
      '--defer-indexes-from',
      '2000',
    ]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/inserted 2500 leads/);
    const [row] = await t.db.query(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT email) AS e FROM leads WHERE entity_id = '${entityId}'`,
    );
    expect(Number(row.n)).toBe(2500);
    expect(Number(row.e)).toBe(2500);
    if (t.target === 'postgres') {
      const indexes = await t.db.query(
        `SELECT indexname FROM pg_indexes WHERE tablename = 'leads' ORDER BY 1`,
      );
      expect(indexes.map((i: { indexname: string }) => i.indexname)).toEqual(
        expect.arrayContaining([
          'ix_leads_email_trgm',
          'ix_leads_entity_created',
          'ix_leads_entity_status_created',
          'ix_leads_first_name_trgm',
          'ix_leads_last_name_trgm',
          'uq_leads_entity_email',
        ]),
      );
    }
    const page = await t.http
      .get(`/v1/entities/${entityId}/leads?limit=5`)
      .set(owner.auth)
      .expect(200);
    const times = page.body.items.map((i: { createdAt: string }) => Date.parse(i.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const stats = await t.http
      .get(`/v1/entities/${entityId}/leads/stats`)
      .set(owner.auth)
      .expect(200);
    expect(stats.body.total).toBe(2500);
    expect(stats.body.byStatus.REACHED_OUT).toBeGreaterThan(0);
  }, 150_000);

  it('refuses an unknown entity and bad options with exit code 1', () => {
    const unknown = cli([
      'seed-demo',
      '--leads',
      '10',
      '--entity',
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no active entity/);
    const bad = cli(['seed-demo', '--leads', 'many', '--entity', entityId]);
    expect(bad.status).toBe(1);
  }, 150_000);
});
