import { ReadStream } from 'node:fs';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { CacheKeys } from '../cache/cache-keys';
import { assertVersion, StaleVersion, VersionCondition } from '../common/http/etag';
import { CacheService } from '../cache/cache.service';
import { Clock } from '../common/clock/clock';
import { CursorPageQueryDto, decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { deleteInBatches } from '../database/batched-delete';
import { UnitOfWork } from '../database/unit-of-work';
import { EntitiesService } from '../entities/entities.service';
import { DATA_KINDS, FILE_TYPES } from '../storage/file-types';
import { MultipartForm, MultipartFormOptions } from '../storage/multipart-form';
import { StorageService } from '../storage/storage.service';
import { AnalysesRepository, AnalysisChanges } from './analyses.repository';
import { CreateAnalysisDto, ListAnalysesQueryDto, UpdateAnalysisDto } from './dto/analysis.dto';
import {
  AnalysisFileResponse,
  AnalysisResponse,
  toAnalysisFileResponse,
  toAnalysisResponse,
} from './dto/analysis.response';
import { assertJobTransition, isTerminal } from './job-status';

/** Analyses per cleanup transaction (each with its file rows). */
const CLEANUP_BATCH = 500;

const notFound = () => new NotFoundException('Analysis not found');

/** The one file field of an analysis upload and what it accepts. */
export const ANALYSIS_FILE_FORM: MultipartFormOptions = {
  fileField: 'file',
  prefix: 'analyses',
  kinds: DATA_KINDS,
};

export interface AnalysisDownload {
  stream: ReadStream;
  size: number;
  contentType: string;
  fileName: string;
}

/**
 * Data analyses and their files, each visible to its owner only (404 to anyone else).
 * A completed analysis (terminal: it no longer changes) is cached whole as
 * `analysis_result:{id}`; every successful PATCH and the DELETE drop the key.
 */
@Injectable()
export class AnalysesService {
  constructor(
    private readonly repository: AnalysesRepository,
    private readonly entities: EntitiesService,
    private readonly storage: StorageService,
    private readonly cache: CacheService,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  async create(userId: string, dto: CreateAnalysisDto): Promise<AnalysisResponse> {
    const entityId = dto.entityId?.toLowerCase() ?? null;
    if (entityId && !(await this.entities.roleOf(userId, entityId))) {
      throw new NotFoundException('Entity not found');
    }
    const row = await this.repository.insert(userId, {
      entityId,
      name: dto.name,
      analysisType: dto.analysisType,
      parameters: dto.parameters,
    });
    return toAnalysisResponse(row);
  }

  async list(userId: string, query: ListAnalysesQueryDto): Promise<Page<AnalysisResponse>> {
    const rows = await this.repository.findPage(
      userId,
      { status: query.status, analysisType: query.analysisType },
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, toAnalysisResponse);
  }

  /** Served from the cache when completed; the cached copy names its owner, so others get a 404. */
  async get(userId: string, id: string): Promise<AnalysisResponse> {
    const key = CacheKeys.analysisResult(id);
    const cached = await this.cache.get<AnalysisResponse>(key);
    if (cached) {
      if (cached.userId !== userId) throw notFound();
      return cached;
    }
    const row = await this.repository.findOne(userId, id);
    if (!row) throw notFound();
    const response = toAnalysisResponse(row);
    if (row.status === 'completed') await this.cache.set(key, response);
    return response;
  }

  /** Applies the changes conditionally on the status read; a race that moved it is re-checked. */
  async update(
    userId: string,
    id: string,
    dto: UpdateAnalysisDto,
    expected?: VersionCondition,
  ): Promise<AnalysisResponse> {
    for (;;) {
      const current = await this.repository.findOne(userId, id);
      if (!current) throw notFound();
      assertVersion(expected, current.version);
      const status = dto.status ?? current.status;
      assertJobTransition(current.status, status, 'analysis');
      const now = this.clock.now();
      const changes: AnalysisChanges = {
        status,
        result: dto.result,
        errorMessage: dto.errorMessage,
        startedAt: status !== 'pending' ? now : undefined,
        completedAt: isTerminal(status) ? now : undefined,
      };
      const updated = await this.repository.update(userId, id, current.status, changes, expected);
      if (updated) {
        await this.cache.del(CacheKeys.analysisResult(id));
        return toAnalysisResponse(updated);
      }
    }
  }

  /** Deletes the rows (analysis and its files) in one unit, then the stored files. */
  async delete(userId: string, id: string, expected?: VersionCondition): Promise<void> {
    const keys = await this.uow.run(async (tx) => {
      const deleted = await this.repository.delete(userId, id, tx, expected);
      if (deleted && 'stale' in deleted) throw new StaleVersion(deleted.stale);
      return deleted;
    });
    if (!keys) throw notFound();
    await this.cache.del(CacheKeys.analysisResult(id));
    for (const key of keys) await this.storage.remove(key);
  }

  /** Cleanup: finished analyses last changed before `cutoff`, in batches, with their stored files. */
  deleteFinishedBefore(cutoff: Date): Promise<number> {
    return deleteInBatches(CLEANUP_BATCH, async (limit) => {
      const { ids, storageKeys } = await this.uow.run((tx) =>
        this.repository.deleteFinishedBefore(cutoff, limit, tx),
      );
      await Promise.all(ids.map((id) => this.cache.del(CacheKeys.analysisResult(id))));
      for (const key of storageKeys) await this.storage.remove(key);
      return ids.length;
    });
  }

  /** 404 unless the analysis exists and is yours (checked before an upload is read). */
  async assertOwned(userId: string, id: string): Promise<void> {
    if (!(await this.repository.findOne(userId, id))) throw notFound();
  }

  /**
   * Records a file already in storage. Whatever fails — a missing file, an extra form field,
   * the analysis deleted meanwhile (404) — removes the stored file before the error propagates.
   */
  async addFile(userId: string, id: string, form: MultipartForm): Promise<AnalysisFileResponse> {
    try {
      const extra = Object.keys(form.fields)[0];
      if (extra !== undefined) {
        throw new BadRequestException({
          detail: `${extra} is not a field of this form (send only "file")`,
          errors: [{ field: extra, message: 'is not a field of this form' }],
        });
      }
      const file = form.file;
      if (!file) {
        throw new BadRequestException({
          detail: 'file is required: attach a CSV, JSON, XLSX or PDF file',
          errors: [{ field: 'file', message: 'is required' }],
        });
      }
      const row = await this.repository.insertFile(userId, {
        analysisId: id,
        filename: file.originalName ?? `upload.${FILE_TYPES[file.kind].extension}`,
        storageKey: file.key,
        fileType: file.kind,
        contentType: file.contentType,
        sizeBytes: file.size,
        sha256: file.sha256,
      });
      if (!row) throw notFound();
      return toAnalysisFileResponse(row);
    } catch (error) {
      await this.storage.remove(form.file?.key);
      throw error;
    }
  }

  async listFiles(
    userId: string,
    id: string,
    query: CursorPageQueryDto,
  ): Promise<Page<AnalysisFileResponse>> {
    const cursor = decodeCursor(query.cursor);
    await this.assertOwned(userId, id);
    const rows = await this.repository.findFilesPage(userId, id, query.limit, cursor);
    return toPage(rows, query.limit, toAnalysisFileResponse);
  }

  /** The stored file as a stream, with what the download headers need. */
  async openFile(userId: string, id: string, fileId: string): Promise<AnalysisDownload> {
    const row = await this.repository.findFile(userId, id, fileId);
    if (!row) throw new NotFoundException('File not found');
    const file = await this.storage.open(row.storageKey);
    if (!file) throw new NotFoundException('The stored file is missing');
    return { ...file, contentType: row.contentType, fileName: row.filename };
  }
}
