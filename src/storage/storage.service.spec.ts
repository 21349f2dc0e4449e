import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config';
import { createHash } from 'node:crypto';
import { csv, docx, pdf, windowsExe } from '../../test/support/documents';
import { DATA_KINDS, DOCUMENT_KINDS } from './file-types';
import { StorageService } from './storage.service';

describe('StorageService', () => {
  let dir: string;
  let storage: StorageService;
  const files = () =>
    readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cs-storage-'));
    storage = new StorageService({ uploads: { dir, maxBytes: 1024 } } as AppConfig);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores under a generated key with the sniffed type, whatever the client called it', async () => {
    const stored = await storage.store(Readable.from([docx()]), {
      prefix: 'resumes',
      kinds: DOCUMENT_KINDS,
      originalName: 'cv.pdf',
    });
    expect(stored.key).toMatch(/^resumes\/[0-9a-f-]{36}\.docx$/);
    expect(stored.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(stored.originalName).toBe('cv.pdf');
    expect(existsSync(join(dir, stored.key))).toBe(true);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it.each([
    ['too big', Buffer.concat([pdf(), Buffer.alloc(2048)]), 413],
    ['not a document', Buffer.from('<html></html>'.repeat(10)), 415],
    ['empty', Buffer.alloc(0), 400],
  ])('refuses a file that is %s and leaves nothing behind', async (_, data, status) => {
    await expect(
      storage.store(Readable.from(data.length ? [data] : []), {
        prefix: 'resumes',
        kinds: DOCUMENT_KINDS,
      }),
    ).rejects.toMatchObject({ status });
    expect(files()).toEqual([]);
  });

  it('refuses a PDF whose HTML is split across two chunks, far after the first KiB', async () => {
    const whole = pdf(`${'x'.repeat(700)}<scr` + `ipt>alert(1)</script>`);
    const cut = whole.indexOf('<scr') + 3;
    const big = new StorageService({ uploads: { dir, maxBytes: 1 << 20 } } as AppConfig);
    await expect(
      big.store(Readable.from([whole.subarray(0, cut), whole.subarray(cut)]), {
        prefix: 'resumes',
        kinds: DOCUMENT_KINDS,
      }),
    ).rejects.toMatchObject({ status: 415 });
    expect(files()).toEqual([]);
  });

  it.each([
    ['a right-to-left override', 'cv\u202Efdp.exe'],
    ['a bidi isolate', 'cv\u2067.pdf'],
    ['a C1 control', 'cv\u009b.pdf'],
    ['a path', 'a/b.pdf'],
  ])('refuses a file name with %s', async (_, originalName) => {
    await expect(
      storage.store(Readable.from([pdf()]), {
        prefix: 'resumes',
        kinds: DOCUMENT_KINDS,
        originalName,
      }),
    ).rejects.toMatchObject({ status: 400 });
    expect(files()).toEqual([]);
  });

  it('keeps names in other scripts, right-to-left ones included', async () => {
    const stored = await storage.store(Readable.from([pdf()]), {
      prefix: 'resumes',
      kinds: DOCUMENT_KINDS,
      originalName: 'سيرة ذاتية – Müller.pdf',
    });
    expect(stored.originalName).toBe('سيرة ذاتية – Müller.pdf');
  });

  it('refuses keys that are not its own (no path traversal through a stored key)', () => {
    expect(() => storage.pathOf('../../etc/passwd')).toThrow();
    expect(() => storage.pathOf('resumes/../../x.pdf')).toThrow();
    expect(() => storage.pathOf('resumes/00000000-0000-4000-8000-000000000000.pdf')).not.toThrow();
  });

  it('sweeps partial uploads older than an hour at start, keeps fresh ones', async () => {
    mkdirSync(join(dir, '.tmp'), { recursive: true });
    writeFileSync(join(dir, '.tmp', 'old.part'), 'x');
    writeFileSync(join(dir, '.tmp', 'new.part'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dir, '.tmp', 'old.part'), twoHoursAgo, twoHoursAgo);
    await storage.onApplicationBootstrap();
    expect(readdirSync(join(dir, '.tmp'))).toEqual(['new.part']);
  });

  it('stores a CSV streamed in one-byte chunks (UTF-8 split across them) with its SHA-256', async () => {
    const data = csv();
    const stored = await storage.store(Readable.from([...data].map((b) => Buffer.from([b]))), {
      prefix: 'analyses',
      kinds: DATA_KINDS,
      originalName: 'prices.csv',
    });
    expect(stored).toMatchObject({
      kind: 'csv',
      contentType: 'text/csv; charset=utf-8',
      size: data.length,
    });
    expect(stored.key).toMatch(/^analyses\/[0-9a-f-]{36}\.csv$/);
    expect(stored.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it.each([
    ['an executable', windowsExe()],
    ['text with a control character past the first chunk', Buffer.from('a,b\n1,2\n\u0001')],
    [
      'text ending in a cut UTF-8 sequence',
      Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xc3]),
    ],
  ])('refuses %s as a data file and leaves nothing behind', async (_, data) => {
    await expect(
      storage.store(Readable.from([data.subarray(0, 8), data.subarray(8)]), {
        prefix: 'analyses',
        kinds: DATA_KINDS,
      }),
    ).rejects.toMatchObject({ status: 415 });
    expect(files()).toEqual([]);
  });

  it('does not take CSV for a resume', async () => {
    await expect(
      storage.store(Readable.from([csv()]), { prefix: 'resumes', kinds: DOCUMENT_KINDS }),
    ).rejects.toMatchObject({ status: 415 });
  });
});
