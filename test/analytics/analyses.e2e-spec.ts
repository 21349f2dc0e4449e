import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheService } from '../../src/cache/cache.service';
import { FixedClock } from '../../src/common/clock/clock';
import { Actor, addMember, createEntity, register } from '../support/actors';
import { csv, elfBinary, json, pdf, windowsExe, xlsx } from '../support/documents';
import { startTestApp, TestApp } from '../support/test-app';

const PROBLEM = /^application\/problem\+json/;
const MAX_BYTES = 64 * 1024;

/** Files under the upload dir (recursively), temp area included. */
function storedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('analyses', () => {
  let t: TestApp;
  let uploads: string;
  let owner: Actor;
  let stranger: Actor;
  const clock = new FixedClock(new Date('2026-05-01T00:00:00.000Z'));
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const create = (who: Actor, body: Record<string, unknown> = {}) => {
    clock.advance(1000);
    return t.http
      .post('/v1/analyses')
      .set(bearer(who))
      .send({ name: 'Prices', analysisType: 'summary', parameters: { column: 'price' }, ...body });
  };
  const upload = (
    who: Actor,
    id: string,
    data: Buffer,
    filename = 'data.csv',
    contentType = 'text/csv',
  ) => {
    clock.advance(1000);
    return t.http
      .post(`/v1/analyses/${id}/files`)
      .set(bearer(who))
      .attach('file', data, { filename, contentType });
  };
  const fileRows = async (analysisId: string) =>
    Number(
      (
        await t.db.query(
          `SELECT COUNT(*) AS n FROM analysis_files WHERE analysis_id = '${analysisId}'`,
        )
      )[0].n,
    );

  beforeAll(async () => {
    uploads = mkdtempSync(join(tmpdir(), 'cs-analyses-'));
    t = await startTestApp({
      label: 'analyses',
      clock,
      env: { JWT_EXPIRES_IN: '3650d', UPLOAD_DIR: uploads, MAX_UPLOAD_BYTES: String(MAX_BYTES) },
    });
    owner = await register(t, 'analysis-owner');
    stranger = await register(t, 'analysis-stranger');
  });
  afterAll(async () => {
    await t?.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('creates, lists (keyset, filters), reads, updates to a terminal state and deletes', async () => {
    const a = await create(owner).expect(201);
    expect(a.body).toMatchObject({
      userId: owner.id,
      entityId: null,
      name: 'Prices',
      analysisType: 'summary',
      status: 'pending',
      parameters: { column: 'price' },
      result: null,
      errorMessage: null,
      startedAt: null,
      completedAt: null,
    });
    const b = await create(owner, { analysisType: 'regression', name: '  Trend  ' }).expect(201);
    expect(b.body.name).toBe('Trend');
    const rows = await t.db.query(
      `SELECT user_id, analysis_type, status FROM data_analyses WHERE id = '${b.body.id}'`,
    );
    expect(rows).toEqual([{ user_id: owner.id, analysis_type: 'regression', status: 'pending' }]);

    const page = await t.http.get('/v1/analyses?limit=1').set(bearer(owner)).expect(200);
    expect(page.body.items.map((x: { id: string }) => x.id)).toEqual([b.body.id]);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await t.http
      .get(`/v1/analyses?limit=1&cursor=${page.body.nextCursor}`)
      .set(bearer(owner))
      .expect(200);
    expect(next.body.items.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    expect(next.body.nextCursor).toBeNull();
    const filtered = await t.http
      .get('/v1/analyses?analysisType=regression&status=pending')
      .set(bearer(owner))
      .expect(200);
    expect(filtered.body.items.map((x: { id: string }) => x.id)).toEqual([b.body.id]);

    const one = await t.http.get(`/v1/analyses/${a.body.id}`).set(bearer(owner)).expect(200);
    expect(one.body.id).toBe(a.body.id);
    const processing = await t.http
      .patch(`/v1/analyses/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'processing' })
      .expect(200);
    expect(processing.body.status).toBe('processing');
    expect(processing.body.startedAt).toEqual(expect.any(String));
    const done = await t.http
      .patch(`/v1/analyses/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { mean: 4.2 } })
      .expect(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { mean: 4.2 },
      startedAt: processing.body.startedAt,
    });
    expect(done.body.completedAt).toEqual(expect.any(String));

    const again = await t.http
      .patch(`/v1/analyses/${a.body.id}`)
      .set(bearer(owner))
      .send({ status: 'failed', errorMessage: 'late' })
      .expect(409);
    expect(again.headers['content-type']).toMatch(PROBLEM);
    expect(again.body.currentStatus).toBe('completed');
    const sameResult = await t.http
      .patch(`/v1/analyses/${a.body.id}`)
      .set(bearer(owner))
      .send({ result: { mean: 0 } })
      .expect(409);
    expect(sameResult.body.currentStatus).toBe('completed');
    const unchanged = await t.http.get(`/v1/analyses/${a.body.id}`).set(bearer(owner)).expect(200);
    expect(unchanged.body).toMatchObject({ status: 'completed', result: { mean: 4.2 } });

    await t.http
      .patch(`/v1/analyses/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'processing' })
      .expect(200);
    await t.http
      .patch(`/v1/analyses/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'pending' })
      .expect(409);
    const failed = await t.http
      .patch(`/v1/analyses/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'failed', errorMessage: 'column price missing' })
      .expect(200);
    expect(failed.body).toMatchObject({ status: 'failed', errorMessage: 'column price missing' });
    await t.http
      .patch(`/v1/analyses/${b.body.id}`)
      .set(bearer(owner))
      .send({ status: 'completed' })
      .expect(409);

    await t.http.delete(`/v1/analyses/${a.body.id}`).set(bearer(owner)).expect(204);
    await t.http.get(`/v1/analyses/${a.body.id}`).set(bearer(owner)).expect(404);
    expect(await t.db.query(`SELECT id FROM data_analyses WHERE id = '${a.body.id}'`)).toEqual([]);
    await t.http.delete(`/v1/analyses/${a.body.id}`).set(bearer(owner)).expect(404);
  });

  it('takes an entityId only of an organisation the caller is a member of', async () => {
    const entityId = await createEntity(t, owner);
    const member = await register(t, 'analysis-member');
    await addMember(t, owner, entityId, member, 'member');
    const ok = await create(member, { entityId }).expect(201);
    expect(ok.body.entityId).toBe(entityId);
    const before = Number((await t.db.query('SELECT COUNT(*) AS n FROM data_analyses'))[0].n);
    const refused = await create(stranger, { entityId }).expect(404);
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    await create(stranger, { entityId: randomUUID() }).expect(404);
    expect(Number((await t.db.query('SELECT COUNT(*) AS n FROM data_analyses'))[0].n)).toBe(before);
    // Still the creator's alone: the owner of the entity does not see it.
    await t.http.get(`/v1/analyses/${ok.body.id}`).set(bearer(owner)).expect(404);
  });

  it('answers 404 to another user on every route, and changes nothing', async () => {
    const mine = await create(owner).expect(201);
    const id = mine.body.id as string;
    const file = await upload(owner, id, csv()).expect(201);
    const filesBefore = storedFiles(uploads).length;

    await t.http.get(`/v1/analyses/${id}`).set(bearer(stranger)).expect(404);
    await t.http
      .patch(`/v1/analyses/${id}`)
      .set(bearer(stranger))
      .send({ status: 'failed' })
      .expect(404);
    await t.http.delete(`/v1/analyses/${id}`).set(bearer(stranger)).expect(404);
    const upl = await upload(stranger, id, csv());
    expect(upl.status).toBe(404);
    expect(upl.headers['content-type']).toMatch(PROBLEM);
    await t.http.get(`/v1/analyses/${id}/files`).set(bearer(stranger)).expect(404);
    await t.http.get(`/v1/analyses/${id}/files/${file.body.id}`).set(bearer(stranger)).expect(404);
    // A real file id under another analysis of the owner's is not found either.
    const other = await create(owner).expect(201);
    await t.http
      .get(`/v1/analyses/${other.body.id}/files/${file.body.id}`)
      .set(bearer(owner))
      .expect(404);
    const list = await t.http.get('/v1/analyses').set(bearer(stranger)).expect(200);
    expect(list.body.items).toEqual([]);

    const still = await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200);
    expect(still.body.status).toBe('pending');
    expect(await fileRows(id)).toBe(1);
    expect(storedFiles(uploads)).toHaveLength(filesBefore);
    await t.http.get(`/v1/analyses/${randomUUID()}`).set(bearer(owner)).expect(404);
    await t.http.get(`/v1/analyses/${randomUUID()}/files`).set(bearer(owner)).expect(404);
  });

  it('stores CSV, JSON, XLSX and PDF files and hands back the same bytes as an attachment', async () => {
    const analysis = await create(owner).expect(201);
    const id = analysis.body.id as string;
    const cases: [Buffer, string, string, string][] = [
      [csv(), 'prix été.csv', 'csv', 'text/csv; charset=utf-8'],
      [json(), 'rows.json', 'json', 'application/json'],
      [
        xlsx(),
        'book.xlsx',
        'xlsx',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      ],
      // The type comes from the content, not from the client's name or Content-Type.
      [pdf(), 'report.csv', 'pdf', 'application/pdf'],
    ];
    const ids: string[] = [];
    for (const [data, filename, fileType, contentType] of cases) {
      const res = await upload(owner, id, data, filename).expect(201);
      expect(res.body).toMatchObject({
        analysisId: id,
        filename,
        fileType,
        contentType,
        sizeBytes: data.length,
      });
      expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
      ids.push(res.body.id);

      const download = await t.http
        .get(`/v1/analyses/${id}/files/${res.body.id}`)
        .set(bearer(owner))
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(Buffer.compare(download.body as Buffer, data)).toBe(0);
      expect(download.headers['content-type']).toBe(contentType);
      expect(download.headers['content-disposition']).toMatch(/^attachment; /);
      expect(download.headers['content-disposition']).toContain(
        `filename*=UTF-8''${encodeURIComponent(filename)}`,
      );
      expect(download.headers['x-content-type-options']).toBe('nosniff');
    }
    const [row] = await t.db.query(
      `SELECT storage_key AS "storageKey", sha256 FROM analysis_files WHERE id = '${ids[0]}'`,
    );
    expect(row.storageKey).toMatch(/^analyses\/[0-9a-f-]{36}\.csv$/);
    expect(readFileSync(join(uploads, row.storageKey)).equals(csv())).toBe(true);

    const page = await t.http
      .get(`/v1/analyses/${id}/files?limit=3`)
      .set(bearer(owner))
      .expect(200);
    expect(page.body.items.map((f: { id: string }) => f.id)).toEqual(ids.slice(1).reverse());
    const rest = await t.http
      .get(`/v1/analyses/${id}/files?limit=3&cursor=${page.body.nextCursor}`)
      .set(bearer(owner))
      .expect(200);
    expect(rest.body.items.map((f: { id: string }) => f.id)).toEqual([ids[0]]);
    expect(rest.body.nextCursor).toBeNull();
  });

  describe('refused uploads leave no row and no stored file', () => {
    let id: string;
    beforeAll(async () => {
      id = (await create(owner).expect(201)).body.id;
    });
    const cases: [string, () => ReturnType<typeof upload>, number][] = [
      ['a Windows executable (MZ)', () => upload(owner, id, windowsExe(), 'data.csv'), 415],
      ['an ELF executable', () => upload(owner, id, elfBinary(), 'data.json'), 415],
      ['a shell script', () => upload(owner, id, Buffer.from('#!/bin/sh\necho a,b\n')), 415],
      [
        'text with control characters',
        () => upload(owner, id, Buffer.from('a,b\n\u0007,1\n')),
        415,
      ],
      ['invalid UTF-8', () => upload(owner, id, Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff])), 415],
      [
        'a file over MAX_UPLOAD_BYTES',
        () => upload(owner, id, Buffer.concat([csv(), Buffer.alloc(MAX_BYTES, 0x31)])),
        413,
      ],
      ['an empty file', () => upload(owner, id, Buffer.alloc(0)), 400],
      [
        'a path in the file name',
        () =>
          t.http
            .post(`/v1/analyses/${id}/files`)
            .set(bearer(owner))
            .attach('file', csv(), { filename: 'x.csv', filepath: '../../etc/x.csv' } as never),
        400,
      ],
      [
        'an extra field',
        () =>
          t.http
            .post(`/v1/analyses/${id}/files`)
            .set(bearer(owner))
            .field('note', 'hello')
            .attach('file', csv(), 'data.csv'),
        400,
      ],
      [
        'the file sent twice',
        () =>
          t.http
            .post(`/v1/analyses/${id}/files`)
            .set(bearer(owner))
            .attach('file', csv(), 'a.csv')
            .attach('file', csv(), 'b.csv'),
        413,
      ],
      [
        'a __proto__ field',
        () =>
          t.http
            .post(`/v1/analyses/${id}/files`)
            .set(bearer(owner))
            .field('__proto__', 'polluted')
            .attach('file', csv(), 'data.csv'),
        400,
      ],
      [
        'no file',
        () => t.http.post(`/v1/analyses/${id}/files`).set(bearer(owner)).field('x', 'y'),
        400,
      ],
      [
        'the file under another field name',
        () =>
          t.http.post(`/v1/analyses/${id}/files`).set(bearer(owner)).attach('data', csv(), 'a.csv'),
        400,
      ],
      [
        'JSON instead of a form',
        () => t.http.post(`/v1/analyses/${id}/files`).set(bearer(owner)).send({ file: 'a,b' }),
        415,
      ],
    ];
    it.each(cases)('%s', async (_, send, status) => {
      const filesBefore = storedFiles(uploads).length;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(await fileRows(id)).toBe(0);
      expect(storedFiles(uploads)).toHaveLength(filesBefore);
    });
  });

  it('DELETE removes the analysis, its file rows and its stored files', async () => {
    const analysis = await create(owner).expect(201);
    const id = analysis.body.id as string;
    await upload(owner, id, csv()).expect(201);
    await upload(owner, id, pdf(), 'r.pdf').expect(201);
    const keys = (
      await t.db.query(
        `SELECT storage_key AS "storageKey" FROM analysis_files WHERE analysis_id = '${id}'`,
      )
    ).map((r: { storageKey: string }) => join(uploads, r.storageKey));
    expect(keys).toHaveLength(2);
    for (const path of keys) expect(existsSync(path)).toBe(true);
    // Another analysis's file stays.
    const keep = await create(owner).expect(201);
    await upload(owner, keep.body.id, json(), 'k.json').expect(201);
    const before = storedFiles(uploads).length;

    await t.http.delete(`/v1/analyses/${id}`).set(bearer(owner)).expect(204);
    for (const path of keys) expect(existsSync(path)).toBe(false);
    expect(await fileRows(id)).toBe(0);
    expect(storedFiles(uploads)).toHaveLength(before - 2);
    expect(await fileRows(keep.body.id)).toBe(1);
    await t.http.get(`/v1/analyses/${id}/files`).set(bearer(owner)).expect(404);
  });

  it('serves a completed analysis from the cache (analysis_result:{id}) until a change drops it', async () => {
    const cache = t.app.get(CacheService);
    const analysis = await create(owner).expect(201);
    const id = analysis.body.id as string;
    const key = `analysis_result:${id}`;
    await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200);
    expect(await cache.get(key)).toBeUndefined();

    await t.http
      .patch(`/v1/analyses/${id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { v: 1 } })
      .expect(200);
    const first = await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200);
    expect(first.body.result).toEqual({ v: 1 });
    expect(await cache.get(key)).toMatchObject({ id, status: 'completed', result: { v: 1 } });

    // The row changes behind the API's back: the GET still answers the cached copy.
    await t.db.query(`UPDATE data_analyses SET result = '{"v":2}' WHERE id = '${id}'`);
    const cached = await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200);
    expect(cached.body.result).toEqual({ v: 1 });
    // Others still get a 404, cached or not.
    await t.http.get(`/v1/analyses/${id}`).set(bearer(stranger)).expect(404);

    // A PATCH through the API (possible again once the row is back in processing) drops it.
    await t.db.query(`UPDATE data_analyses SET status = 'processing' WHERE id = '${id}'`);
    expect(
      (await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200)).body.status,
    ).toBe('completed');
    await t.http
      .patch(`/v1/analyses/${id}`)
      .set(bearer(owner))
      .send({ status: 'completed', result: { v: 3 } })
      .expect(200);
    expect(await cache.get(key)).toBeUndefined();
    const fresh = await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(200);
    expect(fresh.body.result).toEqual({ v: 3 });

    // DELETE drops it too: no stale copy answers after the row is gone.
    await t.http.delete(`/v1/analyses/${id}`).set(bearer(owner)).expect(204);
    expect(await cache.get(key)).toBeUndefined();
    await t.http.get(`/v1/analyses/${id}`).set(bearer(owner)).expect(404);
  });

  it('answers 400 to bad input and 401 without credentials', async () => {
    for (const body of [
      { name: 'x', analysisType: 'Bad Type', parameters: {} },
      { name: 'x', analysisType: 'summary', parameters: [] },
      { name: 'x', analysisType: 'summary', parameters: { big: 'x'.repeat(70_000) } },
      { name: 'x', analysisType: 'summary', parameters: { nul: 'a\u0000b' } },
      { name: 'x', analysisType: 'summary', parameters: { $gt: 1 } },
      { name: '', analysisType: 'summary', parameters: {} },
      { name: 'x'.repeat(201), analysisType: 'summary', parameters: {} },
      { name: 'x', analysisType: 'summary', parameters: {}, entityId: 'nope' },
      { analysisType: 'summary', parameters: {} },
      { name: 'x', analysisType: 'summary' },
    ]) {
      const res = await t.http.post('/v1/analyses').set(bearer(owner)).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    const mine = await create(owner).expect(201);
    for (const body of [
      { status: 'done' },
      { status: null },
      { errorMessage: 'a\u0000b' },
      { result: { $where: 'x' } },
    ]) {
      const res = await t.http.patch(`/v1/analyses/${mine.body.id}`).set(bearer(owner)).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    await t.http.get('/v1/analyses?status=done').set(bearer(owner)).expect(400);
    await t.http.get('/v1/analyses?cursor=bad!').set(bearer(owner)).expect(400);
    await t.http.get('/v1/analyses/not-a-uuid').set(bearer(owner)).expect(400);
    await t.http
      .get(`/v1/analyses/${mine.body.id}/files/not-a-uuid`)
      .set(bearer(owner))
      .expect(400);
    await t.http
      .get(`/v1/analyses/${mine.body.id}/files?cursor=eyJ4Ijox`)
      .set(bearer(owner))
      .expect(400);
    await t.http.get('/v1/analyses').expect(401);
    await t.http
      .post(`/v1/analyses/${mine.body.id}/files`)
      .attach('file', csv(), 'a.csv')
      .expect(401);
  });
});
