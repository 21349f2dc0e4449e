import { Readable } from 'node:stream';
import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
  OnModuleInit,
} from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { isoDateTime } from '../common/http/date-time';
import { assertVersion, StaleVersion, VersionCondition } from '../common/http/etag';
import { validateDto } from '../common/errors/validation-pipe';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { deleteInBatches } from '../database/batched-delete';
import { EntitiesService } from '../entities/entities.service';
import { MultipartForm } from '../storage/multipart-form';
import { StoredFile, StorageService } from '../storage/storage.service';
import { CreateLeadDto } from './dto/create-lead.dto';
import {
  LeadNumberedPageResponse,
  LeadResponse,
  LeadStatsResponse,
  PublicLeadResponse,
  toLeadResponse,
} from './dto/lead.response';
import { ListLeadsQueryDto, MAX_PAGE_DEPTH, RecentLeadsQueryDto } from './dto/list-leads.query.dto';
import { UpdateLeadDto } from './dto/update-lead.dto';
import { LeadFilters, LeadRow } from './lead-row';
import { LeadStatus } from './lead.entity';
import { LeadChanges, LeadsRepository } from './leads.repository';

const DAY_MS = 24 * 60 * 60 * 1000;

const notFound = () => new NotFoundException('Lead not found');

const RESUME_PURGE_BATCH = 500;

/** The business rules of leads; the only caller of LeadsRepository. Answers response DTOs. */
@Injectable()
export class LeadsService implements OnModuleInit {
  constructor(
    private readonly leads: LeadsRepository,
    private readonly storage: StorageService,
    private readonly entities: EntitiesService,
    private readonly clock: Clock,
  ) {}

  /** Resumes are personal documents: they do not outlive their entity (the lead rows do, as the soft delete keeps them). */
  onModuleInit(): void {
    this.entities.onEntityRemoved((entityId) => this.purgeResumes(entityId));
  }

  /**
   * Detaches every resume of the entity's leads (columns cleared first, then the files
   * removed: the order of `remove`), in batches; how many were purged.
   */
  purgeResumes(entityId: string): Promise<number> {
    return deleteInBatches(RESUME_PURGE_BATCH, async (limit) => {
      const keys = await this.leads.detachResumes(entityId, limit);
      for (const key of keys) await this.storage.remove(key);
      return keys.length;
    });
  }

  /** The cleanup sweep: resumes left under deleted entities (a purge that failed or was cut short). */
  async purgeResumesOfDeletedEntities(): Promise<number> {
    let purged = 0;
    await this.entities.forEachDeletedEntity(async (entityId) => {
      purged += await this.purgeResumes(entityId);
    });
    return purged;
  }

  /** A lead from a JSON body (already validated). */
  async create(entityId: string, dto: CreateLeadDto): Promise<LeadResponse> {
    return toLeadResponse(await this.insert(entityId, dto, null));
  }

  /** A lead from a multipart form (optional resume). */
  async createFromForm(entityId: string, form: MultipartForm): Promise<LeadResponse> {
    return toLeadResponse(await this.insertFromForm(entityId, form, false));
  }

  /** The public intake: a form with a required resume, into an active entity; answers only id and time. */
  async submitPublic(entityId: string, form: MultipartForm): Promise<PublicLeadResponse> {
    const row = await this.insertFromForm(entityId, form, true);
    return { id: row.id, createdAt: isoDateTime(row.createdAt) };
  }

  /** 404 unless the entity exists and is active: checked before a public upload is read. */
  async assertIntakeOpen(entityId: string): Promise<void> {
    if (!(await this.entities.findActive(entityId)))
      throw new NotFoundException('Entity not found');
  }

  async findOne(entityId: string, id: string): Promise<LeadResponse> {
    return toLeadResponse(await this.row(entityId, id));
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
      const { rows, total, totalIsEstimate } = await this.leads.findNumberedPage(
        entityId,
        filters,
        query.page,
        query.limit,
      );
      return {
        items: rows.map(toLeadResponse),
        total,
        totalIsEstimate,
        page: query.page,
        limit: query.limit,
      };
    }
    const cursor = decodeCursor(query.cursor);
    const rows = await this.leads.findPage(entityId, filters, query.limit, cursor);
    return toPage(rows, query.limit, toLeadResponse);
  }

  async recent(entityId: string, query: RecentLeadsQueryDto): Promise<Page<LeadResponse>> {
    const since = new Date(this.clock.now().getTime() - query.days * DAY_MS);
    const rows = await this.leads.findPage(
      entityId,
      { createdFrom: since },
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

  /**
   * Field changes and, when `status` is given, the status rule (see changeStatus); with an
   * If-Match condition, only onto a version it names (else StaleVersion → 412).
   */
  async update(
    entityId: string,
    id: string,
    dto: UpdateLeadDto,
    expected?: VersionCondition,
  ): Promise<LeadResponse> {
    const changes: LeadChanges = {};
    if (dto.firstName !== undefined) changes.firstName = dto.firstName;
    if (dto.lastName !== undefined) changes.lastName = dto.lastName;
    if (dto.email !== undefined) changes.email = dto.email.toLowerCase();
    if (dto.notes !== undefined) changes.notes = dto.notes;
    if (dto.status !== undefined) {
      return toLeadResponse(await this.changeStatus(entityId, id, dto.status, changes, expected));
    }
    if (
      Object.keys(changes).length > 0 &&
      (await this.leads.updateFields(entityId, id, changes, expected))
    )
      return toLeadResponse(await this.current(entityId, id));
    const current = await this.current(entityId, id);
    assertVersion(expected, current.version);
    return toLeadResponse(current);
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
    expected?: VersionCondition,
  ): Promise<LeadRow> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current(entityId, id);
      assertVersion(expected, current.version);
      if (current.status === status) {
        if (Object.keys(changes).length === 0) return current;
        if (await this.leads.updateFields(entityId, id, changes, expected))
          return this.current(entityId, id);
        continue; // changed meanwhile: re-read (404 if gone, 412 if another version)
      }
      const reachedOutAt = status === 'REACHED_OUT' ? this.clock.now() : null;
      if (
        await this.leads.updateStatus(
          entityId,
          id,
          current.status,
          status,
          reachedOutAt,
          changes,
          expected,
        )
      ) {
        return this.current(entityId, id);
      }
    }
    throw new ConflictException('The lead changed concurrently; retry');
  }

  /** Deletes the row (at a version If-Match names, if given), then its resume file (admin+, enforced by the route). */
  async remove(entityId: string, id: string, expected?: VersionCondition): Promise<void> {
    const deleted = await this.leads.deleteLead(entityId, id, expected);
    if (!deleted) throw notFound();
    if ('stale' in deleted) throw new StaleVersion(deleted.stale);
    await this.storage.remove(deleted.resumePath);
  }

  /** The stored resume as a stream, with what the download headers need; 404 when there is none. */
  async resume(
    entityId: string,
    id: string,
  ): Promise<{ stream: Readable; size: number; contentType: string; fileName: string }> {
    const row = await this.row(entityId, id);
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

  /**
   * The form's file (if any) is already in storage. Whatever fails after that — the fields'
   * validation, a required resume that is missing, the insert (a duplicate email is a 409) —
   * removes the file, so neither an orphan row nor an orphan file remains: the one place a
   * stored upload is cleaned up after a failure (readMultipartForm cleans up its own).
   */
  private async insertFromForm(
    entityId: string,
    form: MultipartForm,
    resumeRequired: boolean,
  ): Promise<LeadRow> {
    try {
      const dto = await validateDto(CreateLeadDto, form.fields);
      if (resumeRequired && !form.file) {
        throw new BadRequestException({
          detail: 'resume is required: attach a PDF, DOCX, ODT or DOC file',
          errors: [{ field: 'resume', message: 'is required' }],
        });
      }
      return await this.insert(entityId, dto, form.file);
    } catch (error) {
      await this.storage.remove(form.file?.key);
      throw error;
    }
  }

  private insert(entityId: string, dto: CreateLeadDto, resume: StoredFile | null) {
    return this.leads.insertLead(entityId, {
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
  }

  private async row(entityId: string, id: string): Promise<LeadRow> {
    const row = await this.leads.findOneInEntity(entityId, id);
    if (!row) throw notFound();
    return row;
  }

  /** Reads that decide a write or read one back: on the primary when there are read replicas. */
  private async current(entityId: string, id: string): Promise<LeadRow> {
    const row = await this.leads.findOneInEntity(entityId, id, { primary: true });
    if (!row) throw notFound();
    return row;
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
