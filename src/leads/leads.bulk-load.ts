import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { SqlRepository } from '../database/sql-repository';
import { LeadInsertRow } from './lead-row';
import { Lead } from './lead.entity';

/**
 * Bulk loads of leads (seed-demo): one statement per batch, and on PostgreSQL the secondary
 * indexes dropped for the load and built once afterwards. The index definitions are read from
 * the database itself (pg_get_indexdef), so the migration stays their only source.
 */
@Injectable()
export class LeadsBulkLoad extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /** PostgreSQL: INSERT … SELECT FROM unnest(arrays) — 14 parameters whatever the batch size; SQLite: multi-row VALUES. */
  async insertBatch(rows: LeadInsertRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (!this.postgres) {
      for (let i = 0; i < rows.length; i += 500) {
        await this.dataSource
          .createQueryBuilder()
          .insert()
          .into(Lead)
          .values(rows.slice(i, i + 500))
          .updateEntity(false)
          .execute();
      }
      return;
    }
    const column = <K extends keyof LeadInsertRow>(key: K) => rows.map((r) => r[key]);
    const iso = (dates: Array<Date | null>) => dates.map((d) => d?.toISOString() ?? null);
    await this.dataSource.query(
      `INSERT INTO leads (id, entity_id, first_name, last_name, email, resume_path, resume_content_type, resume_size,
         resume_file_name, status, reached_out_at, notes, created_at, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
         $7::varchar[], $8::int[], $9::varchar[], $10::varchar[], $11::timestamptz[], $12::varchar[],
         $13::timestamptz[], $14::timestamptz[])`,
      [
        column('id'),
        column('entityId'),
        column('firstName'),
        column('lastName'),
        column('email'),
        column('resumePath'),
        column('resumeContentType'),
        column('resumeSize'),
        column('resumeFileName'),
        column('status'),
        iso(column('reachedOutAt')),
        column('notes'),
        iso(column('createdAt')),
        iso(column('updatedAt')),
      ],
    );
  }

  /**
   * PostgreSQL: drops the secondary indexes of `leads` that are far cheaper to build once,
   * sorted, than to maintain row by row (the trigram GINs above all) and returns their
   * definitions for restoreIndexes. The primary key and unique constraints stay. SQLite: none.
   */
  async dropSecondaryIndexes(): Promise<string[]> {
    if (!this.postgres) return [];
    const indexes: Array<{ name: string; definition: string }> = await this.dataSource.query(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'leads'::regclass AND NOT x.indisunique AND NOT x.indisprimary`,
    );
    for (const { name } of indexes) await this.dataSource.query(`DROP INDEX IF EXISTS "${name}"`);
    return indexes.map((index) => index.definition);
  }

  /** Builds the given index definitions (generous maintenance_work_mem, no statement timeout), then ANALYZE. */
  async restoreIndexes(definitions: string[]): Promise<void> {
    if (!this.postgres) return;
    const runner = this.dataSource.createQueryRunner('master');
    try {
      // Straight on the pg client: index builds outlast the pool's per-query timeouts.
      const client = (await runner.connect()) as {
        query: (q: { text: string; query_timeout: number }) => Promise<unknown>;
      };
      const run = (text: string) => client.query({ text, query_timeout: 60 * 60 * 1000 });
      await run(`SET maintenance_work_mem = '256MB'`);
      await run('SET statement_timeout = 0');
      // IF NOT EXISTS: a restore after a load that failed half-way may find some already built.
      for (const definition of definitions) {
        await run(definition.replace(/^CREATE INDEX /, 'CREATE INDEX IF NOT EXISTS '));
      }
      await run('ANALYZE leads');
      await run('RESET statement_timeout');
      await run('RESET maintenance_work_mem');
    } finally {
      await runner.release();
    }
  }
}
