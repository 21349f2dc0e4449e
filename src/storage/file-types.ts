/**
 * Upload types recognised by their magic bytes (never by the client's Content-Type or file
 * name). `sniffPrefix` decides from the first bytes while the upload streams (so junk is
 * refused early); `verifyContent` then checks the stored file's head and tail.
 */
export type FileKind = 'pdf' | 'docx' | 'odt' | 'doc';

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
};

/** Documents a resume may be: PDF, Word (DOCX, DOC), OpenDocument text. */
export const DOCUMENT_KINDS: FileKind[] = ['pdf', 'docx', 'odt', 'doc'];

const PDF = Buffer.from('%PDF-', 'latin1');
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Bytes needed before sniffPrefix can decide. */
export const SNIFF_BYTES = 8;

/** The family the first bytes announce: 'pdf', 'zip' (DOCX or ODT), 'doc', or null. */
export function sniffPrefix(head: Buffer): 'pdf' | 'zip' | 'doc' | null {
  if (head.length >= PDF.length && head.subarray(0, PDF.length).equals(PDF)) return 'pdf';
  if (head.length >= ZIP.length && head.subarray(0, ZIP.length).equals(ZIP)) return 'zip';
  if (head.length >= OLE.length && head.subarray(0, OLE.length).equals(OLE)) return 'doc';
  return null;
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
}

/**
 * The kind of a complete file given its first and last bytes (up to 64 KiB each), or null.
 * - PDF: `%PDF-<digit>.<digit>`, an `%%EOF` marker near the end and no HTML in the first
 *   KiB (a PDF header glued onto an HTML page is refused: it is not a PDF, and some
 *   clients would sniff and render it); StorageService scans the rest with MarkupScanner.
 * - ZIP: ODT when its first entry is `mimetype` = application/vnd.oasis.opendocument.text;
 *   DOCX when the central directory (at the end) names `[Content_Types].xml` and `word/`.
 * - DOC: the OLE2 compound-file signature.
 */
export function identify(head: Buffer, tail: Buffer): FileType | null {
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
      return directory.includes('[Content_Types].xml') && directory.includes('word/')
        ? FILE_TYPES.docx
        : null;
    }
    case 'doc':
      return FILE_TYPES.doc;
    default:
      return null;
  }
}
