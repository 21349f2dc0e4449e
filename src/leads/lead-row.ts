import { Brackets, SelectQueryBuilder } from 'typeorm';
import { toDate } from '../database/sql-repository';
import { likeContains } from '../database/like';
import { Lead, LeadStatus } from './lead.entity';

/**
 * The query building blocks of the leads module, shared by its repository, its PostgreSQL
 * search and its bulk loader: the row shape, its columns, the mapper and the filters.
 */

/** A lead row as the queries return it (plain object, no entity hydration). */
export interface LeadRow {
  id: string;
  entityId: string;
  firstName: string;
  lastName: string;
  email: string;
  resumePath: string | null;
  resumeContentType: string | null;
  resumeSize: number | null;
  resumeFileName: string | null;
  status: LeadStatus;
  reachedOutAt: Date | null;
  notes: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A row to insert: every column but the version (the column's default, 1). */
export type LeadInsertRow = Omit<LeadRow, 'version'>;

export interface LeadFilters {
  status?: LeadStatus;
  search?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

/** Column → property, in the order the API shows them. */
export const LEAD_COLUMNS: Array<[string, keyof LeadRow]> = [
  ['id', 'id'],
  ['entity_id', 'entityId'],
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['email', 'email'],
  ['resume_path', 'resumePath'],
  ['resume_content_type', 'resumeContentType'],
  ['resume_size', 'resumeSize'],
  ['resume_file_name', 'resumeFileName'],
  ['status', 'status'],
  ['reached_out_at', 'reachedOutAt'],
  ['notes', 'notes'],
  ['version', 'version'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];

export function toLeadRow(raw: Record<string, unknown>): LeadRow {
  return {
    id: raw.id as string,
    entityId: raw.entityId as string,
    firstName: raw.firstName as string,
    lastName: raw.lastName as string,
    email: raw.email as string,
    resumePath: (raw.resumePath as string | null) ?? null,
    resumeContentType: (raw.resumeContentType as string | null) ?? null,
    resumeSize:
      raw.resumeSize === null || raw.resumeSize === undefined ? null : Number(raw.resumeSize),
    resumeFileName: (raw.resumeFileName as string | null) ?? null,
    status: raw.status as LeadStatus,
    reachedOutAt: toDate(raw.reachedOutAt),
    notes: (raw.notes as string | null) ?? null,
    version: Number(raw.version),
    createdAt: toDate(raw.createdAt)!,
    updatedAt: toDate(raw.updatedAt)!,
  };
}

/** Every column of LEAD_COLUMNS, aliased to its property (raw rows, no hydration). */
export function selectLeadColumns(
  qb: SelectQueryBuilder<Lead>,
  alias: string,
): SelectQueryBuilder<Lead> {
  qb.select(`${alias}.${LEAD_COLUMNS[0][0]}`, LEAD_COLUMNS[0][1]);
  for (const [column, property] of LEAD_COLUMNS.slice(1)) {
    qb.addSelect(`${alias}.${column}`, property);
  }
  return qb;
}

/** The entity (always) and the filters present, as WHERE conditions with named parameters. */
export function filterLeads<T extends SelectQueryBuilder<Lead>>(
  qb: T,
  alias: string,
  entityId: string,
  f: LeadFilters,
): T {
  qb.where(`${alias}.entity_id = :entityId`, { entityId });
  if (f.status) qb.andWhere(`${alias}.status = :status`, { status: f.status });
  if (f.createdFrom) {
    qb.andWhere(`${alias}.created_at >= :createdFrom`, { createdFrom: f.createdFrom });
  }
  if (f.createdTo) qb.andWhere(`${alias}.created_at < :createdTo`, { createdTo: f.createdTo });
  if (f.search) matchSearch(qb, alias, f.search);
  return qb;
}

/** lower(column) LIKE '%fragment%' on the three columns: the trigram indexes' expressions on PostgreSQL. */
function matchSearch(qb: SelectQueryBuilder<Lead>, alias: string, search: string): void {
  qb.andWhere(
    new Brackets((or) => {
      or.where(`lower(${alias}.first_name) LIKE :pattern ESCAPE '\\'`)
        .orWhere(`lower(${alias}.last_name) LIKE :pattern ESCAPE '\\'`)
        .orWhere(`${alias}.email LIKE :pattern ESCAPE '\\'`);
    }),
    { pattern: likeContains(search) },
  );
}
