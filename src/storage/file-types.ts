/**
 * Upload types recognised by their magic bytes (never by the client's Content-Type or file
 * name). `sniffPrefix` decides from the first bytes while the upload streams (so junk is
 * refused early); `verifyContent` then checks the stored file's head and tail.
 */
export type FileKind = 'pdf' | 'docx' | 'odt' | 'doc' | 'xlsx' | 'csv' | 'json';

/** How the first bytes announce a file: the container or encoding, before its kind is known. */
export type FileFamily = 'pdf' | 'zip' | 'doc' | 'text';

export interface FileType {
  kind: FileKind;
  extension: string;
  contentType: string;
}

export const FILE_TYPES: Record<FileKind, FileType> = {
  pdf: { kind: 'pdf', extension: 'pdf', contentType: 'application/pdf' },
  docx: {
    kind: 'docx',
    extension: 'docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  odt: { kind: 'odt', extension: 'odt', contentType: 'application/vnd.oasis.opendocument.text' },
  doc: { kind: 'doc', extension: 'doc', contentType: 'application/msword' },
  xlsx: {
    kind: 'xlsx',
    extension: 'xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  csv: { kind: 'csv', extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { kind: 'json', extension: 'json', contentType: 'application/json' },
};

/** The family each kind belongs to (what sniffPrefix answers for it). */
export const FAMILY_OF: Record<FileKind, FileFamily> = {
  pdf: 'pdf',
  docx: 'zip',
  odt: 'zip',
  xlsx: 'zip',
  doc: 'doc',
  csv: 'text',
  json: 'text',
};

/** Documents a resume may be: PDF, Word (DOCX, DOC), OpenDocument text. */
export const DOCUMENT_KINDS: FileKind[] = ['pdf', 'docx', 'odt', 'doc'];

const PDF = Buffer.from('%PDF-', 'latin1');
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Bytes needed before sniffPrefix can decide. */
export const SNIFF_BYTES = 8;

/** Data files an analysis takes: CSV, JSON, XLSX, PDF. */
export const DATA_KINDS: FileKind[] = ['csv', 'json', 'xlsx', 'pdf'];

/**
 * The family the first bytes announce: 'pdf', 'zip' (DOCX, ODT or XLSX), 'doc', 'text'
 * (UTF-8 without control characters other than tab, CR, LF; not a `#!` script), or null.
 * Executables (MZ, ELF, Mach-O) are none of these.
 */
export function sniffPrefix(head: Buffer): FileFamily | null {
  if (head.length >= PDF.length && head.subarray(0, PDF.length).equals(PDF)) return 'pdf';
  if (head.length >= ZIP.length && head.subarray(0, ZIP.length).equals(ZIP)) return 'zip';
  if (head.length >= OLE.length && head.subarray(0, OLE.length).equals(OLE)) return 'doc';
  if (looksLikeText(head)) return 'text';
  return null;
}

/** Bytes that never occur in a text data file: C0 controls other than tab, LF, CR; DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Valid UTF-8 (a sequence cut at the end is fine unless `complete`), no control characters,
 * no shebang.
 */
function looksLikeText(bytes: Buffer, complete = false): boolean {
  if (bytes.length === 0) return false;
  const scanner = new TextScanner();
  if (scanner.push(bytes) || (complete && scanner.end())) return false;
  return !bytes.subarray(0, 2).equals(SHEBANG);
}

const SHEBANG = Buffer.from('#!', 'latin1');

/**
 * Checks a text upload while it streams: strict UTF-8 (across chunk boundaries) and no
 * control characters. `push` and `end` answer true when the file is not text.
 */
export class TextScanner {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  found = false;

  push(chunk: Buffer): boolean {
    if (this.found) return true;
    try {
      this.found = CONTROL.test(this.decoder.decode(chunk, { stream: true }));
    } catch {
      this.found = true;
    }
    return this.found;
  }

  end(): boolean {
    if (this.found) return true;
    try {
      this.decoder.decode();
    } catch {
      this.found = true;
    }
    return this.found;
  }
}

/** Markup that has no business in a document and that a browser would render. */
const ACTIVE_MARKUP = /<\s*(!doctype\s+html|html|head|body|script|iframe|svg|meta|object|embed)\b/i;
/** Longer than any ACTIVE_MARKUP match worth finding (`<` + spaces + `!doctype html`). */
const MARKUP_OVERLAP = 64;

/**
 * Looks for active markup anywhere in a PDF while it streams: a PDF header, then an HTML
 * page after the first KiB, is refused like one glued on at the start. Each chunk is
 * searched with the end of the previous one, so a tag split across two chunks is seen.
 */
export class MarkupScanner {
  private carry = '';
  found = false;

  push(chunk: Buffer): boolean {
    if (this.found) return true;
    const text = this.carry + chunk.toString('latin1');
    this.found = ACTIVE_MARKUP.test(text);
    this.carry = text.slice(-MARKUP_OVERLAP);
    return this.found;
  }

  end(): boolean {
    return this.found;
  }
}

/** CSV's field separators, one of which the first line must hold. */
const CSV_SEPARATOR = /[,;\t]/;

/**
 * Text that is JSON or CSV. `whole` is true when `head` is the complete file: then JSON must
 * parse; otherwise it must start with `{`/`[` and end with `}`/`]` (the rest streamed through
 * TextScanner). CSV: not HTML (no active markup in the first KiB), and a first line that holds
 * a separator (`,`, `;` or tab) — prose or a one-column file is not taken for CSV.
 */
function identifyText(head: Buffer, tail: Buffer, whole: boolean): FileType | null {
  if (!looksLikeText(head, whole)) return null;
  const text = head.toString('utf8').replace(/^\ufeff/, '');
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) {
    if (whole) {
      try {
        JSON.parse(text);
        return FILE_TYPES.json;
      } catch {
        return null;
      }
    }
    const end = tail.toString('latin1').trimEnd();
    return end.endsWith('}') || end.endsWith(']') ? FILE_TYPES.json : null;
  }
  if (ACTIVE_MARKUP.test(text.slice(0, 1024))) return null;
  const firstLine = /^[^\r\n]*/.exec(text)![0];
  return CSV_SEPARATOR.test(firstLine) ? FILE_TYPES.csv : null;
}

/**
 * The kind of a complete file given its first and last bytes (up to 64 KiB each), or null.
 * - PDF: `%PDF-<digit>.<digit>`, an `%%EOF` marker near the end and no HTML in the first
 *   KiB (a PDF header glued onto an HTML page is refused: it is not a PDF, and some
 *   clients would sniff and render it); StorageService scans the rest with MarkupScanner.
 * - ZIP: ODT when its first entry is `mimetype` = application/vnd.oasis.opendocument.text;
 *   DOCX when the central directory (at the end) names `[Content_Types].xml` and `word/`;
 *   XLSX when it names `[Content_Types].xml` and `xl/workbook.xml`.
 * - DOC: the OLE2 compound-file signature.
 * - Text: JSON or CSV (identifyText); `size` tells whether `head` is the whole file.
 */
export function identify(head: Buffer, tail: Buffer, size = head.length): FileType | null {
  switch (sniffPrefix(head)) {
    case 'pdf': {
      const start = head.subarray(0, 1024).toString('latin1');
      if (!/^%PDF-\d\.\d/.test(start)) return null;
      if (ACTIVE_MARKUP.test(start)) return null;
      if (
        !tail
          .subarray(Math.max(0, tail.length - 1024))
          .toString('latin1')
          .includes('%%EOF')
      )
        return null;
      return FILE_TYPES.pdf;
    }
    case 'zip': {
      const nameLength = head.length >= 30 ? head.readUInt16LE(26) : 0;
      const extraLength = head.length >= 30 ? head.readUInt16LE(28) : 0;
      const firstName = head.subarray(30, 30 + nameLength).toString('latin1');
      if (firstName === 'mimetype') {
        const contentStart = 30 + nameLength + extraLength;
        const mime = head.subarray(contentStart, contentStart + 39).toString('latin1');
        return mime === 'application/vnd.oasis.opendocument.text' ? FILE_TYPES.odt : null;
      }
      const directory = tail.toString('latin1');
      if (!directory.includes('[Content_Types].xml')) return null;
      if (directory.includes('word/')) return FILE_TYPES.docx;
      if (directory.includes('xl/workbook.xml')) return FILE_TYPES.xlsx;
      return null;
    }
    case 'doc':
      return FILE_TYPES.doc;
    case 'text':
      return identifyText(head, tail, size <= head.length);
    default:
      return null;
  }
}
