import {
  csv,
  doc,
  docx,
  elfBinary,
  json,
  odt,
  pdf,
  pdfWithHtml,
  plainZip,
  windowsExe,
  xlsx,
} from '../../test/support/documents';
import { DOCUMENT_KINDS, identify, sniffPrefix, TextScanner } from './file-types';

const kindOf = (data: Buffer) =>
  identify(data.subarray(0, 65536), data.subarray(Math.max(0, data.length - 65536)), data.length)
    ?.kind ?? null;

describe('file types by magic bytes', () => {
  it.each([
    ['PDF', pdf(), 'pdf'],
    ['DOCX', docx(), 'docx'],
    ['ODT', odt(), 'odt'],
    ['DOC', doc(), 'doc'],
    ['XLSX', xlsx(), 'xlsx'],
    ['CSV', csv(), 'csv'],
    ['CSV with a BOM and semicolons', Buffer.from('\ufeffa;b\r\n1;2\r\n'), 'csv'],
    ['tab-separated text', Buffer.from('a\tb\n1\t2\n'), 'csv'],
    ['JSON', json(), 'json'],
    ['a JSON array', Buffer.from(' [1, 2, {"x": "é"}]\n'), 'json'],
  ])('recognises %s', (_, data, kind) => {
    expect(kindOf(data)).toBe(kind);
  });

  it.each([
    ['a PDF header on an HTML page', pdfWithHtml()],
    ['a PDF without %%EOF', pdf().subarray(0, 30)],
    ['a zip that is not a document', plainZip()],
    ['prose without a separator', Buffer.from('hello world this is text')],
    ['HTML', Buffer.from('<!doctype html><html><script>alert(1)</script></html>')],
    ['HTML with a comma', Buffer.from('<html><body>a,b</body></html>')],
    ['a Windows executable (MZ)', windowsExe()],
    ['an ELF executable', elfBinary()],
    ['a shell script', Buffer.from('#!/bin/sh\nrm -rf /,x\n')],
    ['text with a NUL', Buffer.from('a,b\n1,\u00002\n')],
    ['invalid UTF-8', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xc3, 0x28, 0x0a])],
    ['JSON that does not parse', Buffer.from('{"a": 1,,}')],
    [
      'an ODT mimetype entry with another type',
      Buffer.from(
        odt().toString('latin1').replace('opendocument.text', 'opendocument.spread'),
        'latin1',
      ),
    ],
  ])('refuses %s', (_, data) => {
    expect(kindOf(data)).toBeNull();
  });

  it('tells DOCX from XLSX by the entries of the central directory', () => {
    expect(kindOf(docx())).toBe('docx');
    expect(kindOf(xlsx())).toBe('xlsx');
    expect(DOCUMENT_KINDS).not.toContain('xlsx');
  });

  it('decides the family from the first 8 bytes', () => {
    expect(sniffPrefix(Buffer.from('%PDF-1.4'))).toBe('pdf');
    expect(sniffPrefix(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]))).toBe('zip');
    expect(sniffPrefix(doc().subarray(0, 8))).toBe('doc');
    expect(sniffPrefix(Buffer.from('GIF89a..'))).toBe('text');
    expect(sniffPrefix(Buffer.from('GIF89a\u0000\u0001'))).toBeNull();
    expect(sniffPrefix(windowsExe().subarray(0, 8))).toBeNull();
    expect(sniffPrefix(elfBinary().subarray(0, 8))).toBeNull();
    // A multi-byte character cut at the end of the sniffed bytes is still text.
    expect(sniffPrefix(Buffer.from('abcdefg\u00e9', 'utf8').subarray(0, 8))).toBe('text');
  });

  it('checks UTF-8 across chunk boundaries while streaming', () => {
    const bytes = Buffer.from('a,é\n', 'utf8');
    const split = new TextScanner();
    expect(split.push(bytes.subarray(0, 3))).toBe(false);
    expect(split.push(bytes.subarray(3))).toBe(false);
    expect(split.end()).toBe(false);
    const cut = new TextScanner();
    expect(cut.push(bytes.subarray(0, 3))).toBe(false);
    expect(cut.end()).toBe(true);
    expect(new TextScanner().push(Buffer.from('a,b\u0007'))).toBe(true);
  });
});
