import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  BadRequestException,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import {
  FAMILY_OF,
  FileKind,
  identify,
  MarkupScanner,
  SNIFF_BYTES,
  sniffPrefix,
  TextScanner,
} from './file-types';

export interface StoredFile {
  /** Generated storage key `<prefix>/<uuid>.<ext>`: the only thing the database keeps. */
  key: string;
  /** Decided from the magic bytes (or, for CSV and JSON, strict text sniffing). */
  kind: FileKind;
  contentType: string;
  size: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
  /** The client's name, checked (no paths, no control characters); metadata only. */
  originalName: string | null;
}

export interface StoreOptions {
  /** Folder under UPLOAD_DIR, e.g. `resumes`. */
  prefix: string;
  /** Accepted kinds; anything else is 415. */
  kinds: FileKind[];
  originalName?: string | null;
  /** Defaults to MAX_UPLOAD_BYTES. */
  maxBytes?: number;
  /** True when the transport cut the stream at its own limit (@fastify/multipart `file.truncated`). */
  truncated?: () => boolean;
}

const KEY =
  /^[a-z0-9-]{1,40}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9]{1,8}$/;
const PREFIX = /^[a-z0-9-]{1,40}$/;
const PROBE_BYTES = 64 * 1024;
/** Partial uploads older than this are leftovers of a crashed process. */
const STALE_PART_MS = 60 * 60 * 1000;

/**
 * Path separators, C0 and C1 control characters, and the Unicode controls that make a name
 * display as something else: bidi overrides, embeddings and isolates (`cv\u202Efdp.exe`
 * shows as `cvexe.pdf`), the directional marks, line and paragraph separators, BOM.
 */
const UNSAFE_IN_FILE_NAME =
  // eslint-disable-next-line no-control-regex
  /[/\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** `../../etc/passwd`, `a\b`, NUL, control and bidi characters, over-long names: refused with 400. */
export function checkFileName(name: string | null | undefined): string | null {
  if (name === undefined || name === null || name === '') return null;
  if (name.length > 255 || UNSAFE_IN_FILE_NAME.test(name) || name === '.' || name === '..') {
    throw new BadRequestException({
      detail:
        'The file name must be a plain name (no path separators, control or bidirectional-override characters, at most 255 characters)',
      errors: [{ field: 'filename', message: 'must be a plain file name' }],
    });
  }
  return name;
}

function unsupported(kinds: FileKind[]): UnsupportedMediaTypeException {
  return new UnsupportedMediaTypeException(
    `The file content is not an accepted document (${kinds.join(', ').toUpperCase()}); the type is read from the file itself`,
  );
}

/**
 * Files on local disk under UPLOAD_DIR. Keys are generated (uuid + extension of the sniffed
 * type), never derived from client input. Writes go to `.tmp/` and are renamed into place
 * only once the whole file is there and its type verified, so readers never see a partial
 * file and a failed upload leaves nothing behind.
 *
 * Consistency with the database is the caller's order of operations: store the file, then
 * insert the row (remove the file when the insert fails); delete the row, then the file.
 */
@Injectable()
export class StorageService implements OnApplicationBootstrap {
  private readonly log = new Logger(StorageService.name);
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(private readonly config: AppConfig) {
    this.root = resolve(config.uploads.dir);
    this.tmpDir = join(this.root, '.tmp');
  }

  /** Removes partial uploads a crashed process left in `.tmp/` (older than an hour: never a live upload). */
  async onApplicationBootstrap(): Promise<void> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > STALE_PART_MS)
        await rm(path, { force: true }).catch(() => undefined);
    }
  }

  async store(source: Readable, options: StoreOptions): Promise<StoredFile> {
    if (!PREFIX.test(options.prefix)) throw new Error(`invalid storage prefix "${options.prefix}"`);
    const originalName = checkFileName(options.originalName);
    const maxBytes = options.maxBytes ?? this.config.uploads.maxBytes;
    const families = new Set(options.kinds.map((k) => FAMILY_OF[k]));
    const id = randomUUID();
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `${id}.part`);
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    let writeError: Error | null = null;
    out.on('error', (error) => (writeError ??= error));

    let failure: Error | null = null;
    let size = 0;
    let head = Buffer.alloc(0);
    let sniffed = false;
    let scanner: MarkupScanner | TextScanner | null = null;
    const hash = createHash('sha256');
    try {
      // Keep reading after a failure (discarding) so the request body is consumed and the
      // client gets the answer instead of a reset connection.
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (failure) continue;
        size += chunk.length;
        if (size > maxBytes) {
          failure = new PayloadTooLargeException(`The file is larger than ${maxBytes} bytes`);
          continue;
        }
        if (head.length < PROBE_BYTES)
          head = Buffer.concat([head, chunk.subarray(0, PROBE_BYTES - head.length)]);
        if (!sniffed && head.length >= SNIFF_BYTES) {
          sniffed = true;
          const family = sniffPrefix(head);
          if (!family || !families.has(family)) {
            failure = unsupported(options.kinds);
            continue;
          }
          if (family === 'pdf') scanner = new MarkupScanner();
          if (family === 'text') scanner = new TextScanner();
          // The bytes of earlier chunks (fewer than SNIFF_BYTES, so all in `head`) first.
          if (scanner?.push(head.subarray(0, size - chunk.length))) {
            failure = unsupported(options.kinds);
            continue;
          }
        }
        if (scanner?.push(chunk)) {
          failure = unsupported(options.kinds);
          continue;
        }
        if (writeError) throw writeError;
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      if (!failure && scanner?.end()) failure = unsupported(options.kinds);
      out.end();
      await finished(out);
      if (writeError) throw writeError;
      if (options.truncated?.())
        failure ??= new PayloadTooLargeException(`The file is larger than ${maxBytes} bytes`);
      if (failure) throw failure;
      if (size === 0) {
        throw new BadRequestException({
          detail: 'The file is empty',
          errors: [{ field: 'file', message: 'must not be empty' }],
        });
      }
      const type = identify(head, await this.readTail(tmp, size), size);
      if (!type || !options.kinds.includes(type.kind)) throw unsupported(options.kinds);

      const key = `${options.prefix}/${id}.${type.extension}`;
      const target = this.pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      return {
        key,
        kind: type.kind,
        contentType: type.contentType,
        size,
        sha256: hash.digest('hex'),
        originalName,
      };
    } catch (error) {
      out.destroy();
      await rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** A read stream and size for the key, or null when there is no such file. */
  async open(key: string): Promise<{ stream: ReadStream; size: number } | null> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      return { stream: createReadStream(path), size: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Removes the file; a missing file is not an error. Failures are logged, never thrown (the row is gone already). */
  async remove(key: string | null | undefined): Promise<void> {
    if (!key) return;
    try {
      await rm(this.pathOf(key), { force: true });
    } catch (error) {
      this.log.warn(`could not remove stored file ${key}: ${(error as Error).message}`);
    }
  }

  /** Absolute path of a key; keys that are not ours (or would leave UPLOAD_DIR) throw. */
  pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid storage key "${key}"`);
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep))
      throw new Error(`storage key "${key}" leaves the upload directory`);
    return path;
  }

  private async readTail(path: string, size: number): Promise<Buffer> {
    const length = Math.min(size, PROBE_BYTES);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer;
    } finally {
      await handle.close();
    }
  }
}
