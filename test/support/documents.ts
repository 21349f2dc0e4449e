/** Small but structurally real document bytes for upload tests (magic bytes + the markers the sniffer checks). */

function zipLocalEntry(name: string, content: string): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt32LE(Buffer.byteLength(content), 18);
  header.writeUInt32LE(Buffer.byteLength(content), 22);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, Buffer.from(name, 'latin1'), Buffer.from(content, 'latin1')]);
}

function zipCentral(names: string[]): Buffer {
  return Buffer.concat(
    names.map((name) => {
      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE(Buffer.byteLength(name), 28);
      return Buffer.concat([entry, Buffer.from(name, 'latin1')]);
    }),
  );
}

export const pdf = (body = 'BT /F1 12 Tf (Jane Doe, resume) Tj ET') =>
  Buffer.from(
    `%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nstream\n${body}\nendstream\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );

export const docx = () => {
  const names = ['[Content_Types].xml', '_rels/.rels', 'word/document.xml'];
  return Buffer.concat([...names.map((n) => zipLocalEntry(n, '<xml/>')), zipCentral(names)]);
};

export const odt = () =>
  Buffer.concat([
    zipLocalEntry('mimetype', 'application/vnd.oasis.opendocument.text'),
    zipLocalEntry('content.xml', '<office:document-content/>'),
    zipCentral(['mimetype', 'content.xml']),
  ]);

export const doc = () =>
  Buffer.concat([
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    Buffer.alloc(512, 0),
  ]);

/** A PDF header on an HTML page (would render as HTML if ever served inline). */
export const pdfWithHtml = () =>
  Buffer.from(
    '%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n',
    'latin1',
  );

/** A zip that is neither DOCX nor ODT. */
export const plainZip = () =>
  Buffer.concat([zipLocalEntry('a.txt', 'hello'), zipCentral(['a.txt'])]);

/** An XLSX-shaped zip: `[Content_Types].xml` and `xl/workbook.xml` in its central directory. */
export const xlsx = () => {
  const names = [
    '[Content_Types].xml',
    '_rels/.rels',
    'xl/workbook.xml',
    'xl/worksheets/sheet1.xml',
  ];
  return Buffer.concat([...names.map((n) => zipLocalEntry(n, '<xml/>')), zipCentral(names)]);
};

export const csv = () =>
  Buffer.from('city,price,rooms\nLyon,1200.5,3\n"Zürich, CH",2100,2\n', 'utf8');

export const json = () => Buffer.from(JSON.stringify({ rows: [{ a: 1 }, { a: 2 }] }), 'utf8');

/** A Windows PE header (`MZ`), as an executable starts. */
export const windowsExe = () =>
  Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0, 0, 0]), Buffer.alloc(120, 0)]);

/** An ELF header, as a Linux executable starts. */
export const elfBinary = () =>
  Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
    Buffer.alloc(120, 0),
  ]);
