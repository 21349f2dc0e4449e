import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { StoredFile, StorageService } from '../storage/storage.service';
import { LeadStatus } from './lead.entity';
import { CreateLeadDto } from './dto/create-lead.dto';
import {
  LeadNumberedPageResponse,
  LeadResponse,
  LeadStatsResponse,
  PublicLeadResponse,
} from './dto/lead.response';
import { ListLeadsQueryDto, MAX_PAGE_DEPTH, RecentLeadsQueryDto } from './dto/list-leads.query.dto';
import { UpdateLeadDto } from './dto/update-lead.dto';
import { LeadChanges, LeadFilters, LeadRepository, LeadRow } from './leads.repository';

const DAY_MS = 24 * 60 * 60 * 1000;

export function toLeadResponse(row: LeadRow): LeadResponse {
  return {
    id: row.id,
    entityId: row.entityId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    status: row.status,
    reachedOutAt: row.reachedOutAt,
    notes: row.notes,
    resume: row.resumePath
      ? {
          contentType: row.resumeContentType ?? 'application/octet-stream',
          size: row.resumeSize ?? 0,
          fileName: row.resumeFileName,
        }
      : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const notFound = () => new NotFoundException('Lead not found');

/** The business rules of leads; the only caller of LeadRepository. */
@Injectable()
export class LeadsService {
  constructor(
    private readonly leads: LeadRepository,
    private readonly storage: StorageService,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a lead, with the resume already in storage (or none). The row is inserted
   * after the file is stored; when the insert fails (duplicate email → 409) the file is
   * removed, so neither an orphan row nor an orphan file remains.
   */
  async create(
    entityId: string,
    dto: CreateLeadDto,
    resume: StoredFile | null = null,
  ): Promise<LeadRow> {
    try {
      return await this.leads.insertLead({
        id: randomUUID(),
        entityId,
        firstName: dto.firstName,
        lastName: dto.lastName,
        email: dto.email.toLowerCase(),
        notes: dto.notes ?? null,
        status: 'PENDING',
        reachedOutAt: null,
        resumePath: resume?.key ?? null,
        resumeContentType: resume?.contentType ?? null,
        resumeSize: resume?.size ?? null,
        resumeFileName: resume?.originalName ?? null,
      });
    } catch (error) {
      if (resume) await this.storage.remove(resume.key);
      throw error;
    }
  }

  async createPublic(
    entityId: string,
    dto: CreateLeadDto,
    resume: StoredFile,
  ): Promise<PublicLeadResponse> {
    const row = await this.create(entityId, dto, resume);
    return { id: row.id, createdAt: row.createdAt };
  }

  async findOne(
    entityId: string,
    id: string,
    options: { primary?: boolean } = {},
  ): Promise<LeadRow> {
    const row = await this.leads.findOneInEntity(entityId, id, options);
    if (!row) throw notFound();
    return row;
  }

  /** Reads that decide a write or read one back: on the primary when there are read replicas. */
  private current(entityId: string, id: string): Promise<LeadRow> {
    return this.findOne(entityId, id, { primary: true });
  }

  async list(
    entityId: string,
    query: ListLeadsQueryDto,
  ): Promise<Page<LeadResponse> | LeadNumberedPageResponse> {
    const filters = this.filters(query);
    if (query.page !== undefined) {
      if (query.cursor) {
        throw new BadRequestException({
          detail: 'Use either page or cursor, not both',
          errors: [{ field: 'page', message: 'cannot be combined with cursor' }],
        });
      }
      if (query.page * query.limit > MAX_PAGE_DEPTH) {
        throw new BadRequestException({
          detail: `page × limit may not exceed ${MAX_PAGE_DEPTH}; page deeper with the cursor (nextCursor) instead`,
          errors: [
            {
              field: 'page',
              message: `page × limit must be at most ${MAX_PAGE_DEPTH}; use cursor paging`,
            },
          ],
        });
      }
      const { rows, total } = await this.leads.findNumberedPage(
        entityId,
        filters,
        query.page,
        query.limit,
      );
      return { items: rows.map(toLeadResponse), total, page: query.page, limit: query.limit };
    }
    const cursor = decodeCursor(query.cursor);
    const rows = await this.leads.findPage(entityId, filters, query.limit, cursor);
    return toPage(rows, query.limit, toLeadResponse);
  }

  async recent(entityId: string, query: RecentLeadsQueryDto): Promise<Page<LeadResponse>> {
    const since = new Date(this.clock.now().getTime() - query.days * DAY_MS);
    const rows = await this.leads.findRecent(
      entityId,
      since,
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, toLeadResponse);
  }

  async stats(entityId: string): Promise<LeadStatsResponse> {
    const since = new Date(this.clock.now().getTime() - 7 * DAY_MS);
    const { byStatus, reachedOutSince } = await this.leads.countByStatus(entityId, since);
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    return { total, byStatus, reachedOutLast7Days: reachedOutSince };
  }

  /** Field changes and, when `status` is given, the status rule (see changeStatus). */
  async update(entityId: string, id: string, dto: UpdateLeadDto): Promise<LeadRow> {
    const changes: LeadChanges = {};
    if (dto.firstName !== undefined) changes.firstName = dto.firstName;
    if (dto.lastName !== undefined) changes.lastName = dto.lastName;
    if (dto.email !== undefined) changes.email = dto.email.toLowerCase();
    if (dto.notes !== undefined) changes.notes = dto.notes;
    if (dto.status !== undefined) return this.changeStatus(entityId, id, dto.status, changes);
    if (Object.keys(changes).length > 0 && !(await this.leads.updateFields(entityId, id, changes)))
      throw notFound();
    return this.current(entityId, id);
  }

  /**
   * The status rule: PENDING → REACHED_OUT sets reachedOutAt to now (the injected clock);
   * REACHED_OUT → PENDING clears it; the same status again is a no-op that keeps the
   * original reachedOutAt. The UPDATE is conditional on the status read, so a concurrent
   * change makes us re-read and apply the rule to the new state instead of overwriting it.
   */
  async changeStatus(
    entityId: string,
    id: string,
    status: LeadStatus,
    changes: LeadChanges = {},
  ): Promise<LeadRow> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current(entityId, id);
      if (current.status === status) {
        if (
          Object.keys(changes).length > 0 &&
          !(await this.leads.updateFields(entityId, id, changes))
        )
          throw notFound();
        return Object.keys(changes).length > 0 ? this.current(entityId, id) : current;
      }
      const reachedOutAt = status === 'REACHED_OUT' ? this.clock.now() : null;
      if (
        await this.leads.updateStatus(entityId, id, current.status, status, reachedOutAt, changes)
      ) {
        return this.current(entityId, id);
      }
    }
    throw new ConflictException('The lead changed concurrently; retry');
  }

  /** Deletes the row, then its resume file (admin+, enforced by the route). */
  async remove(entityId: string, id: string): Promise<void> {
    const deleted = await this.leads.deleteLead(entityId, id);
    if (!deleted) throw notFound();
    await this.storage.remove(deleted.resumePath);
  }

  /** The stored resume as a stream, with what the download headers need; 404 when there is none. */
  async resume(
    entityId: string,
    id: string,
  ): Promise<{ stream: Readable; size: number; contentType: string; fileName: string }> {
    const row = await this.findOne(entityId, id);
    if (!row.resumePath) throw new NotFoundException('This lead has no resume');
    const file = await this.storage.open(row.resumePath);
    if (!file) throw new NotFoundException('The resume file is missing');
    const extension = row.resumePath.slice(row.resumePath.lastIndexOf('.') + 1);
    return {
      stream: file.stream,
      size: file.size,
      contentType: row.resumeContentType ?? 'application/octet-stream',
      fileName: row.resumeFileName ?? `resume.${extension}`,
    };
  }

  /** Bulk load of prepared rows (seed-demo); rows must carry ids and timestamps. */
  importBatch(rows: LeadRow[]): Promise<void> {
    return this.leads.insertBatch(rows);
  }

  /** Before a large bulk load: drop the indexes cheaper to rebuild than to maintain (PostgreSQL); their names. */
  suspendIndexesForBulkLoad(): Promise<string[]> {
    return this.leads.dropBulkLoadIndexes();
  }

  /** After a bulk load (also after a failed one): rebuild what suspendIndexesForBulkLoad dropped, then ANALYZE. */
  restoreIndexesAfterBulkLoad(names: string[]): Promise<void> {
    return this.leads.createBulkLoadIndexes(names);
  }

  private filters(query: ListLeadsQueryDto): LeadFilters {
    const search = query.search?.trim();
    return {
      status: query.status,
      search: search ? search : undefined,
      createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
      createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
    };
  }
}
