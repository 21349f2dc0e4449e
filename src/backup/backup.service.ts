import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import {
  APPLICATION_ID,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupCollectionHeader,
  BackupError,
  BackupHeader,
  crawlStoreOf,
  fromPortable,
  isJsonColumn,
  migrationTimestamp,
  READABLE_FORMAT_VERSIONS,
  toPortable,
} from './backup-format';
import { CrawlStoreBackup } from '../crawl/crawl.repository';
import { CrawlService } from '../crawl/crawl.service';
import { BackupRepository, RawRow } from './backup.repository';
import { BackupTable, backupTables } from './table-order';

/** Rows per keyset page of a backup read. */
const READ_BATCH = 5_000;
/**
 * Rows per string handed to gzip: small strings die young (a page-sized one would go to V8's
 * large-object space and pile up in the old generation until a major GC, raising peak RSS).
 */
const ROWS_PER_CHUNK = 200;

/**
 * Tables the migrations fill (the seeded subscription plans): a freshly migrated database has
 * rows there, so they do not make it "non-empty", and a restore replaces them with the file's.
 */
export const MIGRATION_SEEDED_TABLES: ReadonlySet<string> = new Set(['subscription_plans']);

/** Where a long run reports how far it got (a progress bar, plain lines, nothing). */
export interface Progress {
  start(total: number): void;
  advance(rows: number): void;
  /** `completed`: false when the run failed (its one-line error says the rest). */
  stop(completed: boolean): void;
}
const NO_PROGRESS: Progress = { start() {}, advance() {}, stop() {} };

/** Documents per ordered insertMany of a restore (the driver splits a batch past 48 MB itself). */
const DOCUMENTS_PER_INSERT = 1_000;

export interface BackupSummary {
  path: string;
  schema: string;
  tables: { name: string; rows: number }[];
  rows: number;
  /** Document collections (the MongoDB crawl documents), empty when the crawl store is SQL. */
  collections: BackupCollectionHeader[];
}

/**
 * backup: every relational table, parents first, as gzip JSON Lines (a header, then one line
 * per row) streamed from one snapshot in keyset pages, with backpressure all the way to the
 * file: memory stays flat whatever the size; then, when the crawl store is MongoDB, its
 * documents (one line each) from a cursor pulled at the same pace. restore: the same file into
 * a migrated database of this build, in ONE transaction: a refused or broken file restores
 * nothing; the documents are inserted while that transaction is open and deleted again if
 * anything fails (there is no transaction across the two stores).
 */
@Injectable()
export class BackupService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: BackupRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly crawls: CrawlService,
  ) {}

  async backup(path: string, progress: Progress = NO_PROGRESS): Promise<BackupSummary> {
    const tables = backupTables(this.dataSource);
    const store = this.crawls.storeBackup();
    // Written beside the target and renamed at the end: a failed run leaves no half file there.
    const partial = `${path}.partial`;
    try {
      const summary = await this.repository.inSnapshot(async (runner) => {
        const migration = (await this.repository.appliedMigrations(runner)).at(-1);
        if (!migration) throw new BackupError('backup: the database has no applied migrations');
        const counts = new Map<string, number>();
        for (const table of tables)
          counts.set(table.name, await this.repository.count(runner, table));
        // Counted after the snapshot began: MongoDB has no snapshot shared with the database.
        const collections = store
          ? [{ name: store.collection, documents: await store.count() }]
          : [];
        const header: BackupHeader = {
          format: BACKUP_FORMAT,
          formatVersion: BACKUP_FORMAT_VERSION,
          application: APPLICATION_ID,
          database: this.repository.kind,
          schema: { migration, timestamp: migrationTimestamp(migration) },
          createdAt: this.clock.now().toISOString(),
          tables: tables.map((t) => ({
            name: t.name,
            columns: t.columns.map((c) => c.databaseName),
            rows: counts.get(t.name)!,
          })),
          crawlStore: this.crawls.store,
          collections,
        };
        const rows = [...counts.values()].reduce((a, b) => a + b, 0);
        progress.start(rows + documentCount(header));
        await pipeline(
          // One page waiting at most: the reads run only as fast as gzip and the disk drain.
          Readable.from(this.lines(runner, header, tables, store, progress), {
            highWaterMark: 1,
          }),
          createGzip(),
          createWriteStream(partial),
        );
        await rename(partial, path);
        return summaryOf(path, header);
      });
      progress.stop(true);
      return summary;
    } catch (error) {
      progress.stop(false);
      await rm(partial, { force: true });
      throw asOneLine('backup', error);
    }
  }

  /** The file's text, one chunk per page: pulled by the gzip stream only as fast as it drains. */
  private async *lines(
    runner: QueryRunner,
    header: BackupHeader,
    tables: BackupTable[],
    store: CrawlStoreBackup | null,
    progress: Progress,
  ): AsyncGenerator<string> {
    yield `${JSON.stringify(header)}\n`;
    const driver = this.repository.driver;
    for (const table of tables) {
      const expected = header.tables.find((t) => t.name === table.name)!.rows;
      let written = 0;
      let after: unknown[] | null = null;
      const json = table.columns.map(isJsonColumn);
      for (;;) {
        const page: RawRow[] = await this.repository.page(runner, table, after, READ_BATCH);
        if (page.length === 0) break;
        let chunk = '';
        let inChunk = 0;
        for (const row of page) {
          const values = table.columns.map((c, i) =>
            json[i]
              ? row[c.databaseName]
              : toPortable(driver.prepareHydratedValue(row[c.databaseName], c)),
          );
          chunk += `${JSON.stringify({ t: table.name, r: values })}\n`;
          if (++inChunk === ROWS_PER_CHUNK) {
            yield chunk;
            chunk = '';
            inChunk = 0;
          }
        }
        if (chunk) yield chunk;
        written += page.length;
        progress.advance(page.length);
        if (page.length < READ_BATCH) break;
        const last = page[page.length - 1];
        after = table.primaryKey.map((k) => last[k]);
      }
      if (written !== expected) {
        throw new BackupError(
          `backup: ${table.name} changed during the backup (${written} rows read, ${expected} counted)`,
        );
      }
    }
    if (store) yield* this.documentLines(store, header.collections![0], progress);
  }

  /** The documents of the crawl store, one line each, from its cursor at the pace of the file. */
  private async *documentLines(
    store: CrawlStoreBackup,
    collection: BackupCollectionHeader,
    progress: Progress,
  ): AsyncGenerator<string> {
    const prefix = `{"c":${JSON.stringify(collection.name)},"d":`;
    let written = 0;
    for await (const texts of store.streamAll(ROWS_PER_CHUNK)) {
      yield texts.map((text) => `${prefix}${text}}\n`).join('');
      written += texts.length;
      progress.advance(texts.length);
    }
    if (written !== collection.documents) {
      throw new BackupError(
        `backup: the MongoDB collection ${collection.name} changed during the backup (${written} documents read, ${collection.documents} counted)`,
      );
    }
  }

  async restore(
    path: string,
    options: { force?: boolean } = {},
    progress: Progress = NO_PROGRESS,
  ): Promise<BackupSummary> {
    const input = createReadStream(path);
    const gunzip = createGunzip();
    // pipeline destroys both streams on any error, so the line reader below sees it.
    pipeline(input, gunzip).catch(() => undefined);
    const lines = readLines(gunzip);
    try {
      const header = await this.readHeader(lines);
      const plan = await this.plan(header);
      const force = options.force === true;
      progress.start(header.tables.reduce((sum, t) => sum + t.rows, 0) + documentCount(header));
      const documents = plan.documents;
      try {
        await this.uow.run(async (tx) => {
          await this.repository.deferForeignKeys(tx);
          await this.repository.prepareBulkLoad(tx);
          await this.emptyTarget(tx, plan.known, header, force, documents);
          await this.insertAll(tx, lines, header, plan.byName, documents, force, progress);
        });
      } catch (error) {
        // The relational part rolled back; the documents inserted so far are deleted by _id.
        if (documents && documents.inserted.length > 0) await undoDocuments(documents, error);
        throw error;
      }
      progress.stop(true);
      return summaryOf(path, header);
    } catch (error) {
      progress.stop(false);
      throw asOneLine('restore', error);
    } finally {
      input.destroy();
      gunzip.destroy();
    }
  }

  private async readHeader(lines: AsyncGenerator<Line>): Promise<BackupHeader> {
    const first = await lines.next();
    if (first.done) throw new BackupError('restore: the file is empty');
    const header = parseLine(first.value) as Partial<BackupHeader> | null;
    if (!header || typeof header !== 'object' || header.format !== BACKUP_FORMAT) {
      throw new BackupError('restore: not a Cornerstone backup (no backup header on line 1)');
    }
    if (header.application !== APPLICATION_ID) {
      throw new BackupError(
        `restore: the backup is of application "${String(header.application)}", not "${APPLICATION_ID}"`,
      );
    }
    if (!READABLE_FORMAT_VERSIONS.includes(header.formatVersion as number)) {
      throw new BackupError(
        `restore: unknown backup format version ${String(header.formatVersion)}`,
      );
    }
    if (
      !Array.isArray(header.tables) ||
      typeof header.schema?.migration !== 'string' ||
      !header.tables.every(
        (t) => typeof t?.name === 'string' && Array.isArray(t.columns) && Number.isInteger(t.rows),
      ) ||
      (header.crawlStore !== undefined && !['sql', 'mongo'].includes(header.crawlStore)) ||
      (header.collections !== undefined &&
        !(
          Array.isArray(header.collections) &&
          header.collections.every(
            (c) => typeof c?.name === 'string' && Number.isInteger(c.documents),
          )
        ))
    ) {
      throw new BackupError('restore: the backup header is malformed');
    }
    return header as BackupHeader;
  }

  /** Refuses what this build cannot restore; maps every table and column of the file. */
  private async plan(header: BackupHeader) {
    const known = backupTables(this.dataSource);
    const migrations = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name);
    if (header.database !== this.repository.kind) {
      throw new BackupError(
        `restore: the backup is of a ${header.database} database, this one is ${this.repository.kind}`,
      );
    }
    const source = crawlStoreOf(header);
    if (source !== this.crawls.store) {
      throw new BackupError(
        source === 'mongo'
          ? 'restore: the backup was taken with MONGO_URL (crawl documents in MongoDB) and this deployment keeps crawls in the relational database: set MONGO_URL to restore it'
          : 'restore: the backup was taken without MONGO_URL (crawl documents in the relational table) and this deployment keeps crawls in MongoDB: restore it without MONGO_URL',
      );
    }
    if (!migrations.includes(header.schema.migration)) {
      throw new BackupError(
        `restore: the backup is from a newer schema (migration ${header.schema.migration} is not known to this build)`,
      );
    }
    const applied = await this.repository.appliedMigrations();
    const pending = migrations.filter((m) => !applied.includes(m));
    if (pending.length > 0) {
      throw new BackupError(
        `restore: the target database has ${pending.length} pending migration(s); run migrate up first`,
      );
    }
    const knownByName = new Map(known.map((t) => [t.name, t]));
    const byName = new Map<string, RestoreTable>();
    const seen = new Set<string>();
    for (const entry of header.tables) {
      const table = knownByName.get(entry.name);
      if (!table) throw new BackupError(`restore: unknown table "${entry.name}" in the backup`);
      const unknownParent = table.references.find(
        (r) => header.tables.some((t) => t.name === r) && !seen.has(r),
      );
      if (unknownParent) {
        throw new BackupError(
          `restore: table "${entry.name}" comes before its parent "${unknownParent}"`,
        );
      }
      seen.add(entry.name);
      const columns = entry.columns.map((name) => {
        const column = table.columns.find((c) => c.databaseName === name);
        if (!column)
          throw new BackupError(`restore: unknown column "${entry.name}.${name}" in the backup`);
        return column;
      });
      byName.set(entry.name, {
        table,
        columns,
        json: columns.map(isJsonColumn),
        expected: entry.rows,
        restored: 0,
      });
    }
    return { known, byName, documents: this.planDocuments(header) };
  }

  /**
   * The document collections of the file: the MongoDB crawl documents, or none (a file of the
   * SQL store, or a format 1 file of a MongoDB deployment, which left them out: then the
   * collection is not touched).
   */
  private planDocuments(header: BackupHeader): RestoreDocuments | null {
    const [collection, ...others] = header.collections ?? [];
    if (!collection) return null;
    const store = this.crawls.storeBackup();
    const unknown = [collection, ...others].find(
      (c) => c !== collection || c.name !== store?.collection,
    );
    if (!store || unknown) {
      throw new BackupError(
        `restore: unknown collection "${(unknown ?? collection).name}" in the backup`,
      );
    }
    return { store, collection, inserted: [], restored: 0 };
  }

  /**
   * Refuses a target with data unless forced; with --force, and for the seeded tables the file
   * brings, deletes the rows children first, inside the restore's transaction.
   */
  private async emptyTarget(
    tx: Tx,
    known: BackupTable[],
    header: BackupHeader,
    force: boolean,
    documents: RestoreDocuments | null,
  ): Promise<void> {
    const counts = new Map<string, number>();
    for (const table of known) counts.set(table.name, await this.repository.countData(tx, table));
    const occupied = known
      .filter((t) => counts.get(t.name)! > 0 && !MIGRATION_SEEDED_TABLES.has(t.name))
      .map((t) => `${t.name} ${counts.get(t.name)}`);
    const inCollection = documents ? await documents.store.count() : 0;
    if (inCollection > 0) occupied.push(`${documents!.collection.name} (MongoDB) ${inCollection}`);
    if (occupied.length > 0 && !force) {
      const list = occupied.join(', ');
      throw new BackupError(
        `restore: the target database is not empty (${list}); use --force to replace its contents`,
      );
    }
    const inFile = new Set(header.tables.map((t) => t.name));
    for (const table of [...known].reverse()) {
      if (force || (MIGRATION_SEEDED_TABLES.has(table.name) && inFile.has(table.name))) {
        await this.repository.deleteAll(tx, table);
      }
    }
  }

  private async insertAll(
    tx: Tx,
    lines: AsyncGenerator<Line>,
    header: BackupHeader,
    byName: Map<string, RestoreTable>,
    documents: RestoreDocuments | null,
    force: boolean,
    progress: Progress,
  ): Promise<void> {
    const driver = this.repository.driver;
    /** Set once the rows are all in: the document lines follow them. */
    let inDocuments = false;
    let pending: { _id: unknown }[] = [];
    const flushDocuments = async () => {
      const batch = pending;
      pending = [];
      if (!documents || batch.length === 0) return;
      // Recorded before the insert: an ordered insertMany that fails half-way wrote a prefix.
      for (const doc of batch) documents.inserted.push(doc._id);
      await documents.store.restoreMany(batch);
      progress.advance(batch.length);
    };
    /**
     * After the last row (every table complete, or the file is refused before MongoDB is
     * touched): with --force, the collection's documents go now, and cannot come back if the
     * document section then fails.
     */
    const startDocuments = async () => {
      await flush();
      await inFlight;
      checkRowCounts(header, byName);
      inDocuments = true;
      if (documents && force) await documents.store.deleteAll();
    };
    const done = new Set<string>();
    let current: RestoreTable | null = null;
    let batch: unknown[][] = [];
    // One INSERT in flight while the next batch is parsed: the database and the parsing overlap.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      if (!current || batch.length === 0) return;
      const rows = batch;
      batch = [];
      inFlight = this.repository
        .insertRows(tx, current.table, current.columns, rows)
        .then(() => progress.advance(rows.length));
      // Awaited by the next flush; until then a failure must not count as unhandled.
      inFlight.catch(() => undefined);
    };
    for await (const line of lines) {
      if (line.text === '') continue;
      const parsed = parseLine(line) as Partial<{ t: unknown; r: unknown; c: unknown; d: unknown }>;
      if (parsed && typeof parsed === 'object' && 'c' in parsed) {
        if (!documents || parsed.c !== documents.collection.name) {
          throw new BackupError(
            `restore: line ${line.number}: unknown collection "${String(parsed.c)}"`,
          );
        }
        if (!inDocuments) await startDocuments();
        if (++documents.restored > documents.collection.documents) {
          throw new BackupError(
            `restore: ${documents.collection.name} has more documents than the header's ${documents.collection.documents}`,
          );
        }
        try {
          pending.push(documents.store.decode(parsed.d));
        } catch (error) {
          throw new BackupError(
            `restore: line ${line.number}: a document of ${documents.collection.name}: ${(error as Error).message}`,
          );
        }
        if (pending.length >= DOCUMENTS_PER_INSERT) await flushDocuments();
        continue;
      }
      if (inDocuments) {
        throw new BackupError(`restore: line ${line.number}: a table row after the documents`);
      }
      const target = typeof parsed?.t === 'string' ? byName.get(parsed.t) : undefined;
      if (!target) {
        throw new BackupError(`restore: line ${line.number}: unknown table "${String(parsed?.t)}"`);
      }
      if (!Array.isArray(parsed.r) || parsed.r.length !== target.columns.length) {
        throw new BackupError(
          `restore: line ${line.number}: a row of ${target.table.name} with the wrong number of values`,
        );
      }
      if (target !== current) {
        await flush();
        if (current) done.add(current.table.name);
        if (done.has(target.table.name)) {
          throw new BackupError(
            `restore: line ${line.number}: rows of ${target.table.name} out of order`,
          );
        }
        current = target;
      }
      if (++target.restored > target.expected) {
        throw new BackupError(
          `restore: ${target.table.name} has more rows than the header's ${target.expected}`,
        );
      }
      const values = parsed.r;
      batch.push(
        target.columns.map((column, i) => {
          try {
            if (target.json[i]) return jsonText(values[i]);
            return driver.preparePersistentValue(fromPortable(values[i], column), column);
          } catch (error) {
            throw new BackupError(
              `restore: line ${line.number}: ${target.table.name}.${column.databaseName}: ${(error as Error).message}`,
            );
          }
        }),
      );
      if (batch.length >= this.repository.rowsPerInsert(target.columns.length)) await flush();
    }
    if (!inDocuments) await startDocuments();
    await flushDocuments();
    if (documents) await checkDocumentCount(documents);
  }
}

/** Every table has the rows its header announces (the file is not truncated within the rows). */
function checkRowCounts(header: BackupHeader, byName: Map<string, RestoreTable>): void {
  for (const entry of header.tables) {
    const restored = byName.get(entry.name)!.restored;
    if (restored !== entry.rows) {
      throw new BackupError(
        `restore: the backup is truncated: ${entry.name} has ${restored} of the ${entry.rows} rows its header announces; nothing restored`,
      );
    }
  }
}

/** The file had the documents its header announces, and the collection now holds exactly those. */
async function checkDocumentCount(documents: RestoreDocuments): Promise<void> {
  const { name, documents: expected } = documents.collection;
  if (documents.restored !== expected) {
    throw new BackupError(
      `restore: the backup is truncated: ${name} has ${documents.restored} of the ${expected} documents its header announces; nothing restored`,
    );
  }
  const stored = await documents.store.count();
  if (stored !== expected) {
    throw new BackupError(
      `restore: the MongoDB collection ${name} holds ${stored} documents after the restore, not the ${expected} of the backup (written to by something else?); nothing restored`,
    );
  }
}

/**
 * Deletes the documents a failed restore inserted. If that fails too, the one line says so:
 * MongoDB then holds part of the backup, and the restore should be run again with --force.
 */
async function undoDocuments(documents: RestoreDocuments, cause: unknown): Promise<void> {
  const failure = await documents.store.deleteIds(documents.inserted).then(
    () => null,
    (error: unknown) => error as Error,
  );
  if (!failure) return;
  throw new BackupError(
    `${asOneLine('restore', cause).message}; but the ${documents.inserted.length} documents it inserted into MongoDB ${documents.collection.name} could not be deleted (${String(failure.message).replace(/\s+/g, ' ')}): run the restore again with --force`,
  );
}

function documentCount(header: BackupHeader): number {
  return (header.collections ?? []).reduce((sum, c) => sum + c.documents, 0);
}

function summaryOf(path: string, header: BackupHeader): BackupSummary {
  const tables = header.tables.map(({ name, rows }) => ({ name, rows }));
  return {
    path,
    schema: header.schema.migration,
    tables,
    rows: tables.reduce((sum, t) => sum + t.rows, 0),
    collections: header.collections ?? [],
  };
}

/** The document section of a restore, and what it inserted so far (the undo on failure). */
interface RestoreDocuments {
  store: CrawlStoreBackup;
  collection: BackupCollectionHeader;
  /** _id of every document inserted (or attempted), for the undo: a few dozen bytes each. */
  inserted: unknown[];
  restored: number;
}

interface RestoreTable {
  table: BackupTable;
  columns: BackupTable['columns'];
  json: boolean[];
  expected: number;
  restored: number;
}

interface Line {
  number: number;
  text: string;
}

/** Lines of a text stream, one chunk in memory at a time (async iteration pulls: backpressure). */
async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<Line> {
  stream.setEncoding('utf8');
  let carry = '';
  let number = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const text of parts) yield { number: ++number, text };
  }
  if (carry !== '') yield { number: ++number, text: carry };
}

/** A JSON column's value as the file carries it: its JSON text, or null. */
function jsonText(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'string') {
    JSON.parse(value);
    return value;
  }
  throw new Error('not JSON text');
}

function parseLine(line: Line): unknown {
  try {
    return JSON.parse(line.text);
  } catch {
    throw new BackupError(`restore: line ${line.number} is not valid JSON (corrupted file?)`);
  }
}

const ZLIB_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_STREAM_ERROR', 'Z_NEED_DICT']);

/** Any failure as one line for the CLI: the reason, never a stack. */
function asOneLine(what: 'backup' | 'restore', error: unknown): BackupError {
  if (error instanceof BackupError) return error;
  const e = error as NodeJS.ErrnoException;
  const message = String(e?.message ?? error).replace(/\s+/g, ' ');
  if (e?.code && ZLIB_CODES.has(e.code)) {
    return new BackupError(
      `restore: the file is not a complete gzip stream (${message}): truncated or corrupted; nothing restored`,
    );
  }
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') {
    return new BackupError(`${what}: cannot open ${e.path ?? 'the file'} (${e.code})`);
  }
  return new BackupError(
    what === 'restore'
      ? `restore failed, nothing restored: ${message}`
      : `backup failed: ${message}`,
  );
}
