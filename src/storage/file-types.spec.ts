import { doc, docx, odt, pdf, pdfWithHtml, plainZip } from '../../test/support/documents';
import { identify, sniffPrefix } from './file-types';

const kindOf = (data: Buffer) =>
  identify(data.subarray(0, 65536), data.subarray(Math.max(0, data.length - 65536)))?.kind ?? null;

describe('file types by magic bytes', () => {
  it.each([
    ['PDF', pdf(), 'pdf'],
    ['DOCX', docx(), 'docx'],
    ['ODT', odt(), 'odt'],
    ['DOC', doc(), 'doc'],
  ])('recognises %s', (_, data, kind) => {
    expect(kindOf(data)).toBe(kind);
  });

  it.each([
    ['a PDF header on an HTML page', pdfWithHtml()],
    ['a PDF without %%EOF', pdf().subarray(0, 30)],
    ['a zip that is not a document', plainZip()],
    ['plain text', Buffer.from('hello world, this is text')],
    ['HTML', Buffer.from('<!doctype html><html><script>alert(1)</script></html>')],
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

  it('decides the family from the first 8 bytes', () => {
    expect(sniffPrefix(Buffer.from('%PDF-1.4'))).toBe('pdf');
    expect(sniffPrefix(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]))).toBe('zip');
    expect(sniffPrefix(doc().subarray(0, 8))).toBe('doc');
    expect(sniffPrefix(Buffer.from('GIF89a..'))).toBeNull();
  });
});
